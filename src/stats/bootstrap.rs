//! Bootstrap confidence intervals of the ratio of medians (candidate / baseline) and of the
//! difference of medians (candidate - baseline) of two groups of repetition values. Each
//! group is resampled with replacement on its own (the groups are independent runs); the
//! interval is the percentile interval of the resampled statistic. A ratio is scale-free, so
//! one threshold fits nanoseconds and seconds; a difference works for counts whose baseline
//! is 0.

use super::rng::SplitMix64;
use crate::results::summary::quantile_sorted;
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
    // A zero baseline draw gives an infinite (or NaN, 0/0) ratio: count it as infinite, so
    // the interval says "unbounded" instead of dropping the draw.
    bootstrap_interval(
        baseline,
        candidate,
        confidence,
        resamples,
        seed,
        |base, cand| {
            let ratio = cand / base;
            if ratio.is_nan() { f64::INFINITY } else { ratio }
        },
    )
}

/// Percentile bootstrap interval of median(candidate) - median(baseline): the effect size of
/// counts, which may be 0 on the baseline (where a ratio does not exist). Same resampling,
/// seeding and invariants as `ratio_of_medians_interval`.
pub fn difference_of_medians_interval(
    baseline: &[f64],
    candidate: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> Option<RatioInterval> {
    bootstrap_interval(
        baseline,
        candidate,
        confidence,
        resamples,
        seed,
        |base, cand| cand - base,
    )
}

/// Resamples both groups independently `resamples` times and returns the central
/// `confidence` interval of `statistic(median(baseline draw), median(candidate draw))`.
fn bootstrap_interval(
    baseline: &[f64],
    candidate: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
    statistic: impl Fn(f64, f64) -> f64,
) -> Option<RatioInterval> {
    if baseline.is_empty() || candidate.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let mut base_draw = vec![0.0; baseline.len()];
    let mut cand_draw = vec![0.0; candidate.len()];
    let mut draws = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        resample_into(&mut rng, baseline, &mut base_draw);
        resample_into(&mut rng, candidate, &mut cand_draw);
        draws.push(statistic(
            median_in_place(&mut base_draw),
            median_in_place(&mut cand_draw),
        ));
    }
    draws.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some(RatioInterval {
        lower: quantile_sorted(&draws, tail),
        upper: quantile_sorted(&draws, 1.0 - tail),
        confidence,
    })
}

fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    let upper_index = n / 2;
    let (below, upper, _) = values.select_nth_unstable_by(upper_index, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
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
    fn selection_median_matches_sorting() {
        let mut rng = SplitMix64::new(3);
        for n in 1..40 {
            let values: Vec<f64> = (0..n).map(|_| (rng.next_f64() * 10.0).floor()).collect();
            let expected = crate::results::summary::median(&values).unwrap();
            assert_eq!(median_in_place(&mut values.clone()), expected, "{values:?}");
        }
    }

    #[test]
    fn difference_interval_works_from_a_zero_baseline() {
        let base = [0.0; 5];
        let cand = [5.0, 5.0, 4.0, 6.0, 5.0];
        let ci = difference_of_medians_interval(&base, &cand, 0.95, 2000, 7).unwrap();
        assert!(ci.lower >= 4.0 && ci.upper <= 6.0, "{ci:?}");
        let same = difference_of_medians_interval(&base, &base, 0.95, 2000, 7).unwrap();
        assert_eq!((same.lower, same.upper), (0.0, 0.0));
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
