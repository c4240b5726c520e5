//! Order statistics of one metric's samples. Pure arithmetic: no I/O, no kernel.

use serde::{Deserialize, Serialize};

/// The summary printed in tables and stored next to the raw samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    /// Summarise `samples`; `None` when there are none (a metric with no samples is a bug
    /// in the workload, and the caller reports it rather than printing zeros).
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
        Some(Summary {
            n: sorted.len(),
            min: sorted[0],
            p50: quantile_sorted(&sorted, 0.50),
            p90: quantile_sorted(&sorted, 0.90),
            p99: quantile_sorted(&sorted, 0.99),
            p999: quantile_sorted(&sorted, 0.999),
            max: sorted[sorted.len() - 1],
            mean,
        })
    }
}

/// Quantile of already sorted data by linear interpolation between closest ranks
/// (Hyndman & Fan type 7, the default of R and numpy), so small samples give
/// values that are comparable with what other tools print.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let weight = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * weight
}

/// Median of unsorted data (copies; used on per-repetition values, which are few).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(quantile_sorted(&sorted, 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let data = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&data, 0.5), 2.5);
        assert_eq!(quantile_sorted(&data, 0.0), 1.0);
        assert_eq!(quantile_sorted(&data, 1.0), 4.0);
        assert!((quantile_sorted(&data, 0.9) - 3.7).abs() < 1e-9);
    }

    #[test]
    fn summary_orders_percentiles() {
        let samples: Vec<f64> = (1..=1000).rev().map(f64::from).collect();
        let s = Summary::of(&samples).unwrap();
        assert_eq!(s.n, 1000);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 1000.0);
        assert!(s.p50 < s.p90 && s.p90 < s.p99 && s.p99 < s.p999);
        assert_eq!(s.mean, 500.5);
        assert!(Summary::of(&[]).is_none());
    }
}
