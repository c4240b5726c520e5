//! Latency distributions of probe samples: percentiles, maximum, counts above thresholds.

/// Thresholds the probes count samples above: the seed case's symptom is delays of tens to
/// hundreds of milliseconds, so the counts go from "noticeable" to "an outage".
pub const THRESHOLDS_NS: [(u64, &str); 4] = [
    (100_000, "over_100us"),
    (1_000_000, "over_1ms"),
    (10_000_000, "over_10ms"),
    (100_000_000, "over_100ms"),
];

/// Sorted samples in nanoseconds, with the statistics probes report.
#[derive(Debug, Clone)]
pub struct Distribution {
    sorted_ns: Vec<u64>,
}

impl Distribution {
    pub fn new(mut samples_ns: Vec<u64>) -> Distribution {
        samples_ns.sort_unstable();
        Distribution {
            sorted_ns: samples_ns,
        }
    }

    pub fn count(&self) -> usize {
        self.sorted_ns.len()
    }

    /// Nearest-rank percentile (`quantile` in 0..=1); 0 for an empty distribution.
    pub fn percentile(&self, quantile: f64) -> u64 {
        if self.sorted_ns.is_empty() {
            return 0;
        }
        let rank = (quantile * self.sorted_ns.len() as f64).ceil() as usize;
        self.sorted_ns[rank.clamp(1, self.sorted_ns.len()) - 1]
    }

    pub fn max(&self) -> u64 {
        self.sorted_ns.last().copied().unwrap_or(0)
    }

    /// How many samples are strictly above `threshold_ns`.
    pub fn count_above(&self, threshold_ns: u64) -> usize {
        self.sorted_ns.len() - self.sorted_ns.partition_point(|&s| s <= threshold_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let d = Distribution::new((1..=1000).rev().collect());
        assert_eq!(d.percentile(0.5), 500);
        assert_eq!(d.percentile(0.99), 990);
        assert_eq!(d.percentile(0.999), 999);
        assert_eq!(d.percentile(0.0), 1);
        assert_eq!(d.max(), 1000);
        assert_eq!(d.count_above(990), 10);
        assert_eq!(d.count_above(1000), 0);
        assert_eq!(Distribution::new(vec![]).percentile(0.5), 0);
    }
}
