//! The Mann-Whitney / Wilcoxon rank-sum test on two groups of repetition values. It makes
//! no assumption about the shape of the noise (kernel timings are skewed and heavy-tailed)
//! and, unlike a bootstrap, it knows how little a handful of values can prove: with 3
//! repetitions against 3 the smallest possible two-sided p-value is 0.1.
//!
//! Small groups get the exact permutation distribution (enumerated, with mid-ranks for
//! ties); larger groups the normal approximation with tie and continuity correction.

use super::normal::upper_tail;

/// Enumerate the exact distribution up to this many ways of choosing the candidate group
/// (C(20,10) = 184,756: 10 repetitions against 10 is still exact).
const MAX_EXACT_COMBINATIONS: u64 = 200_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankTest {
    /// Probability of a rank sum at least this large if both groups came from one
    /// distribution: small when the candidate is larger.
    pub p_greater: f64,
    /// Same for at least this small: small when the candidate is smaller.
    pub p_less: f64,
    /// Whether the p-values come from the exact distribution.
    pub exact: bool,
}

impl RankTest {
    pub fn p_two_sided(&self) -> f64 {
        (2.0 * self.p_greater.min(self.p_less)).min(1.0)
    }
}

/// Tests whether `candidate` tends to be larger or smaller than `baseline`. `None` when a
/// group is empty.
pub fn rank_test(baseline: &[f64], candidate: &[f64]) -> Option<RankTest> {
    if baseline.is_empty() || candidate.is_empty() {
        return None;
    }
    let doubled_ranks = doubled_mid_ranks(baseline, candidate);
    let (m, n) = (candidate.len(), baseline.len());
    let observed: u64 = doubled_ranks[n..].iter().sum();
    if combinations(m + n, m).is_some_and(|c| c <= MAX_EXACT_COMBINATIONS) {
        Some(exact(&doubled_ranks, m, observed))
    } else {
        Some(normal_approximation(&doubled_ranks, m, observed))
    }
}

/// Mid-ranks times two (so they stay integers) of baseline values followed by candidate
/// values, in that order.
fn doubled_mid_ranks(baseline: &[f64], candidate: &[f64]) -> Vec<u64> {
    let values: Vec<f64> = baseline.iter().chain(candidate).copied().collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0u64; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean; doubled: start+1+end.
        for &index in &order[start..end] {
            ranks[index] = (start + 1 + end) as u64;
        }
        start = end;
    }
    ranks
}

fn combinations(n: usize, k: usize) -> Option<u64> {
    let k = k.min(n - k);
    let mut result: u64 = 1;
    for i in 0..k {
        result = result.checked_mul((n - i) as u64)? / (i as u64 + 1);
    }
    Some(result)
}

/// Counts, over every way of picking `m` of the ranks as "candidate", how often the rank
/// sum is at least / at most the observed one.
fn exact(ranks: &[u64], m: usize, observed: u64) -> RankTest {
    let mut chosen: Vec<usize> = (0..m).collect();
    let (mut total, mut at_least, mut at_most) = (0u64, 0u64, 0u64);
    loop {
        let sum: u64 = chosen.iter().map(|&i| ranks[i]).sum();
        total += 1;
        at_least += u64::from(sum >= observed);
        at_most += u64::from(sum <= observed);
        if !next_combination(&mut chosen, ranks.len()) {
            break;
        }
    }
    RankTest {
        p_greater: at_least as f64 / total as f64,
        p_less: at_most as f64 / total as f64,
        exact: true,
    }
}

/// Advances `chosen` (strictly increasing indices below `n`) to the next combination in
/// lexicographic order; false after the last one.
fn next_combination(chosen: &mut [usize], n: usize) -> bool {
    let k = chosen.len();
    for i in (0..k).rev() {
        if chosen[i] < n - k + i {
            chosen[i] += 1;
            for j in i + 1..k {
                chosen[j] = chosen[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

fn normal_approximation(ranks: &[u64], m: usize, observed: u64) -> RankTest {
    let total = ranks.len() as f64;
    let m_f = m as f64;
    let n_f = total - m_f;
    let rank_sum = observed as f64 / 2.0;
    let mean = m_f * (total + 1.0) / 2.0;
    let mut sorted = ranks.to_vec();
    sorted.sort_unstable();
    let tie_term: f64 = sorted
        .chunk_by(|a, b| a == b)
        .map(|group| {
            let t = group.len() as f64;
            t * t * t - t
        })
        .sum();
    let variance = m_f * n_f / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    if variance <= 0.0 {
        // Every value is equal: no evidence either way.
        return RankTest {
            p_greater: 1.0,
            p_less: 1.0,
            exact: false,
        };
    }
    let sd = variance.sqrt();
    RankTest {
        p_greater: upper_tail((rank_sum - mean - 0.5) / sd),
        p_less: upper_tail((mean - rank_sum - 0.5) / sd),
        exact: false,
    }
}

/// The conventional two-sided significance level, the gate's default (`GateOptions`).
pub const DEFAULT_ALPHA: f64 = 0.05;

/// The fewest repetitions per side (equal on both) with which the rank test can reach a
/// verdict at `alpha`: 4 at the default 0.05 (1/C(8,4) = 0.014 < 0.025; 3 give 0.05).
pub fn minimum_repetitions(alpha: f64) -> usize {
    (1..64)
        .find(|&n| smallest_one_sided_p(n, n) < alpha / 2.0)
        .unwrap_or(64)
}

/// The smallest one-sided p-value the rank test can give for groups of these sizes
/// (complete separation, no ties): 1 / C(n + m, m).
pub fn smallest_one_sided_p(n: usize, m: usize) -> f64 {
    let k = n.min(m);
    let mut ways = 1.0f64;
    for i in 0..k {
        ways = ways * (n + m - i) as f64 / (i + 1) as f64;
    }
    1.0 / ways
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_against_three_cannot_reach_five_percent() {
        let t = rank_test(&[1.0, 2.0, 3.0], &[100.0, 200.0, 300.0]).unwrap();
        assert!(t.exact);
        assert!((t.p_greater - 0.05).abs() < 1e-12, "{t:?}");
        assert!((t.p_two_sided() - 0.1).abs() < 1e-12);
        assert_eq!(t.p_less, 1.0);
    }

    #[test]
    fn five_against_five_separated() {
        let t = rank_test(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert!((t.p_greater - 1.0 / 252.0).abs() < 1e-12);
        let reversed = rank_test(&[6.0, 7.0, 8.0, 9.0, 10.0], &[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!((reversed.p_less - 1.0 / 252.0).abs() < 1e-12);
    }

    #[test]
    fn ties_and_identical_groups_show_nothing() {
        let t = rank_test(&[5.0; 4], &[5.0; 4]).unwrap();
        assert_eq!((t.p_greater, t.p_less), (1.0, 1.0));
        let big = vec![5.0; 30];
        let t = rank_test(&big, &big).unwrap();
        assert!(!t.exact);
        assert_eq!(t.p_two_sided(), 1.0);
    }

    #[test]
    fn normal_approximation_agrees_with_exact_near_the_border() {
        // 10 vs 10 is computed exactly; compare the approximation on the same data.
        let base: Vec<f64> = (0..10).map(|i| i as f64 * 2.0).collect();
        let cand: Vec<f64> = (0..10).map(|i| i as f64 * 2.0 + 5.0).collect();
        let exact_test = rank_test(&base, &cand).unwrap();
        assert!(exact_test.exact);
        let ranks = doubled_mid_ranks(&base, &cand);
        let observed = ranks[10..].iter().sum();
        let approx = normal_approximation(&ranks, 10, observed);
        assert!(
            (exact_test.p_greater - approx.p_greater).abs() < 0.01,
            "{exact_test:?} {approx:?}"
        );
    }

    #[test]
    fn large_groups_use_the_approximation() {
        let base: Vec<f64> = (0..40).map(f64::from).collect();
        let cand: Vec<f64> = (0..40).map(|i| f64::from(i) + 30.0).collect();
        let t = rank_test(&base, &cand).unwrap();
        assert!(!t.exact);
        assert!(t.p_greater < 1e-6 && t.p_less > 0.99, "{t:?}");
    }
}
