//! Power-of-two histogram of samples, like bpftrace's `hist()`: bucket [2^k, 2^(k+1)), plus
//! one bucket for values below 1. It keeps a latency distribution's shape (modes, tail) in a
//! few dozen numbers, which is what baselines store and plots draw.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log2Histogram {
    /// Non-empty buckets in increasing order.
    pub buckets: Vec<Log2Bucket>,
}

/// Values in `[lower, upper)`; the first bucket of all is `[0, 1)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log2Bucket {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
}

impl Log2Histogram {
    pub fn of(samples: &[f64]) -> Log2Histogram {
        let mut counts: std::collections::BTreeMap<i32, u64> = Default::default();
        for &sample in samples {
            *counts.entry(bucket_index(sample)).or_default() += 1;
        }
        let buckets = counts
            .into_iter()
            .map(|(index, count)| {
                let (lower, upper) = bucket_bounds(index);
                Log2Bucket {
                    lower,
                    upper,
                    count,
                }
            })
            .collect();
        Log2Histogram { buckets }
    }

    pub fn total(&self) -> u64 {
        self.buckets.iter().map(|b| b.count).sum()
    }
}

/// -1 for values below 1 (and negative ones), else floor(log2(value)).
fn bucket_index(value: f64) -> i32 {
    if value < 1.0 {
        -1
    } else {
        value.log2().floor() as i32
    }
}

fn bucket_bounds(index: i32) -> (f64, f64) {
    if index < 0 {
        (0.0, 1.0)
    } else {
        (2f64.powi(index), 2f64.powi(index + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        let h = Log2Histogram::of(&[0.5, 1.0, 1.9, 2.0, 3.0, 1000.0, 1024.0]);
        let got: Vec<(f64, u64)> = h.buckets.iter().map(|b| (b.lower, b.count)).collect();
        assert_eq!(
            got,
            vec![(0.0, 1), (1.0, 2), (2.0, 2), (512.0, 1), (1024.0, 1)]
        );
        assert_eq!(h.total(), 7);
        assert_eq!(h.buckets[3].upper, 1024.0);
    }
}
