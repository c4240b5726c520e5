//! Bootstrap confidence interval of the ratio of medians (candidate / baseline) of two
//! groups of repetition values. Each group is resampled with replacement on its own
//! (the groups are independent runs); the interval is the percentile interval of the
//! resampled ratios. A ratio is scale-free, so one threshold fits nanoseconds and seconds.

use super::rng::SplitMix64;
use crate::results::summary::{median, quantile_sorted};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatioInterval {
    pub lower: f64,
    pub upper: f64,
    /// E.g. 0.95.
    pub confidence: f64,
}

impl RatioInterval {
    pub fn contains(&self, ratio: f64) -> bool {
        self.lower <= ratio && ratio <= self.upper
    }
}

/// The percentile bootstrap interval of median(candidate) / median(baseline) from
/// `resamples` resamples drawn with a generator seeded by `seed`. `None` when a group is
/// empty. With very few values the interval is coarse (it can only take values formed
/// from the observed ones); the rank test, not this interval, guards against verdicts
/// from too little data.
pub fn ratio_of_medians_interval(
    baseline: &[f64],
    candidate: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> Option<RatioInterval> {
    if baseline.is_empty() || candidate.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let mut base_draw = vec![0.0; baseline.len()];
    let mut cand_draw = vec![0.0; candidate.len()];
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        resample_into(&mut rng, baseline, &mut base_draw);
        resample_into(&mut rng, candidate, &mut cand_draw);
        let ratio = median(&cand_draw)? / median(&base_draw)?;
        ratios.push(if ratio.is_nan() { f64::INFINITY } else { ratio });
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some(RatioInterval {
        lower: quantile_sorted(&ratios, tail),
        upper: quantile_sorted(&ratios, 1.0 - tail),
        confidence,
    })
}

fn resample_into(rng: &mut SplitMix64, source: &[f64], target: &mut [f64]) {
    for slot in target.iter_mut() {
        *slot = source[rng.next_index(source.len())];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_brackets_a_clean_shift() {
        let base: Vec<f64> = (0..20).map(|i| 100.0 + i as f64).collect();
        let cand: Vec<f64> = base.iter().map(|v| v * 2.0).collect();
        let ci = ratio_of_medians_interval(&base, &cand, 0.95, 2000, 1).unwrap();
        assert!(ci.contains(2.0), "{ci:?}");
        assert!(ci.lower > 1.8 && ci.upper < 2.2, "{ci:?}");
    }

    #[test]
    fn deterministic_for_a_seed() {
        let base = [1.0, 2.0, 3.0, 4.0, 5.0];
        let cand = [1.5, 2.5, 3.5, 4.5, 5.5];
        let a = ratio_of_medians_interval(&base, &cand, 0.95, 500, 42);
        let b = ratio_of_medians_interval(&base, &cand, 0.95, 500, 42);
        assert_eq!(a, b);
        assert!(ratio_of_medians_interval(&[], &cand, 0.95, 500, 42).is_none());
    }
}
