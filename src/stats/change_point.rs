//! Change points along a series of groups of repetition values (one group per kernel, in
//! version order): binary segmentation with a rank statistic and a permutation test.
//!
//! For a segment of groups, every boundary between two groups is a candidate split; its
//! statistic is the standardized Mann-Whitney rank sum of the values left of it against
//! the values right of it, and the segment's statistic is the largest over all boundaries.
//! Under "no change in this segment" the values are exchangeable, so shuffling them gives
//! the statistic's null distribution, maximum over boundaries included: the p-value needs
//! no correction for the number of boundaries tried. A significant split is kept and both
//! halves are searched again (binary segmentation). Ranks make the test indifferent to the
//! shape of the noise (kernel timings are skewed, with heavy tails).
//!
//! Invariants: groups are non-empty and hold no NaN (repetition values from
//! `repetition_values`); the caller divides its family-wise `alpha` by the number of metrics
//! it tests. Under the global null the first test of a series rejects with probability at
//! most `alpha`, and later tests only run after a rejection, so a metric without any change
//! gets a false change point with probability at most `alpha`.
//!
//! Cost: O(n log n) to rank a segment of n values, then O(n) per permutation.

use super::rng::SplitMix64;

/// How hard to look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePointOptions {
    /// Significance level of each split test (already divided by the number of metrics).
    pub alpha: f64,
    /// Shuffles per test; `permutations_for` picks enough for `alpha`.
    pub permutations: usize,
    /// Seed of the shuffles: the same series always gives the same answer.
    pub seed: u64,
}

impl ChangePointOptions {
    pub fn new(alpha: f64, seed: u64) -> ChangePointOptions {
        ChangePointOptions {
            alpha,
            permutations: permutations_for(alpha),
            seed,
        }
    }
}

/// Enough shuffles that a p-value of `alpha` is resolved: about 20 exceedances expected at
/// the boundary, never fewer than 999.
pub fn permutations_for(alpha: f64) -> usize {
    ((20.0 / alpha.max(1e-6)).ceil() as usize).max(999)
}

/// A significant split: the groups before `index` and those from `index` on differ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Index of the first group after the change (1 ..= groups - 1).
    pub index: usize,
    /// Permutation p-value of the test that found it (in the segment it was found in).
    pub p_value: f64,
}

/// Every significant split of `groups`, in index order.
pub fn binary_segmentation(groups: &[Vec<f64>], options: &ChangePointOptions) -> Vec<Split> {
    let mut rng = SplitMix64::new(options.seed);
    let mut found = Vec::new();
    let mut pending = vec![(0, groups.len())];
    while let Some((start, end)) = pending.pop() {
        if end - start < 2 {
            continue;
        }
        let Some(split) = test_segment(&groups[start..end], options, &mut rng) else {
            continue;
        };
        let index = start + split.index;
        found.push(Split {
            index,
            p_value: split.p_value,
        });
        pending.push((start, index));
        pending.push((index, end));
    }
    found.sort_by_key(|s| s.index);
    found
}

/// The best split of one segment when it is significant (index relative to the segment).
fn test_segment(
    groups: &[Vec<f64>],
    options: &ChangePointOptions,
    rng: &mut SplitMix64,
) -> Option<Split> {
    let values: Vec<f64> = groups.iter().flatten().copied().collect();
    let boundaries: Vec<usize> = groups
        .iter()
        .scan(0, |count, g| {
            *count += g.len();
            Some(*count)
        })
        .take(groups.len() - 1)
        .collect();
    let RankedSegment {
        mut ranks,
        tie_term,
    } = RankedSegment::of(&values);
    let (observed, best) = max_standardized_rank_sum(&ranks, &boundaries, tie_term)?;
    // Ties within floating-point rounding of the observed statistic count as "as extreme".
    let bar = observed * (1.0 - 1e-9);
    let mut as_extreme = 0usize;
    for _ in 0..options.permutations {
        shuffle(&mut ranks, rng);
        let (statistic, _) = max_standardized_rank_sum(&ranks, &boundaries, tie_term)?;
        if statistic >= bar {
            as_extreme += 1;
        }
    }
    let p_value = (1 + as_extreme) as f64 / (1 + options.permutations) as f64;
    (p_value <= options.alpha).then_some(Split {
        index: best + 1,
        p_value,
    })
}

/// Mid-ranks of a segment's values, and the tie correction of the rank-sum variance.
struct RankedSegment {
    ranks: Vec<f64>,
    /// Σ (t³ - t) over groups of t tied values.
    tie_term: f64,
}

impl RankedSegment {
    fn of(values: &[f64]) -> RankedSegment {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let mut ranks = vec![0.0; values.len()];
        let mut tie_term = 0.0;
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && values[order[end]] == values[order[start]] {
                end += 1;
            }
            let mid_rank = (start + 1 + end) as f64 / 2.0;
            for &index in &order[start..end] {
                ranks[index] = mid_rank;
            }
            let t = (end - start) as f64;
            tie_term += t * t * t - t;
            start = end;
        }
        RankedSegment { ranks, tie_term }
    }
}

/// The largest |z| of the rank sum left of a boundary, over all boundaries, and the
/// position (in `boundaries`) where it is reached. `None` when every value is tied (no
/// split can be told apart from another).
fn max_standardized_rank_sum(
    ranks: &[f64],
    boundaries: &[usize],
    tie_term: f64,
) -> Option<(f64, usize)> {
    let n = ranks.len() as f64;
    let spread = (n + 1.0) - tie_term / (n * (n - 1.0));
    if spread <= 0.0 || !spread.is_finite() {
        return None;
    }
    let mut best = (f64::NEG_INFINITY, 0);
    let mut rank_sum = 0.0;
    let mut taken = 0;
    for (position, &boundary) in boundaries.iter().enumerate() {
        rank_sum += ranks[taken..boundary].iter().sum::<f64>();
        taken = boundary;
        let left = boundary as f64;
        let expected = left * (n + 1.0) / 2.0;
        let variance = left * (n - left) * spread / 12.0;
        let z = (rank_sum - expected).abs() / variance.sqrt();
        if z > best.0 {
            best = (z, position);
        }
    }
    Some(best)
}

/// Fisher-Yates.
fn shuffle(values: &mut [f64], rng: &mut SplitMix64) {
    for i in (1..values.len()).rev() {
        values.swap(i, rng.next_index(i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(levels: &[f64], per_group: usize) -> Vec<Vec<f64>> {
        levels
            .iter()
            .enumerate()
            .map(|(g, &level)| {
                (0..per_group)
                    .map(|i| level * (1.0 + 0.01 * ((g * 7 + i * 3) % 5) as f64))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_clear_step_is_split_where_it_is() {
        let groups = series(&[100.0, 100.0, 100.0, 200.0, 200.0], 5);
        let splits = binary_segmentation(&groups, &ChangePointOptions::new(0.05, 1));
        assert_eq!(splits.iter().map(|s| s.index).collect::<Vec<_>>(), vec![3]);
        assert!(splits[0].p_value < 0.01, "{splits:?}");
    }

    #[test]
    fn all_tied_values_have_no_split() {
        let groups = vec![vec![5.0; 4]; 6];
        assert!(binary_segmentation(&groups, &ChangePointOptions::new(0.05, 1)).is_empty());
    }

    #[test]
    fn one_group_has_nothing_to_split() {
        let groups = vec![vec![1.0, 2.0, 3.0]];
        assert!(binary_segmentation(&groups, &ChangePointOptions::new(0.05, 1)).is_empty());
    }

    #[test]
    fn too_few_values_cannot_reach_a_strict_level() {
        // Two kernels with 2 repetitions each: the most extreme arrangement has p = 1/3 (two
        // of the six orderings are as extreme), so nothing is significant at 0.05.
        let groups = vec![vec![1.0, 1.1], vec![9.0, 9.1]];
        assert!(binary_segmentation(&groups, &ChangePointOptions::new(0.05, 1)).is_empty());
    }

    #[test]
    fn the_permutation_count_resolves_alpha() {
        assert_eq!(permutations_for(0.05), 999);
        assert_eq!(permutations_for(0.001), 20_000);
    }
}
