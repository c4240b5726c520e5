//! The decision rule for one metric: a regression needs statistical evidence (the rank test
//! and the bootstrap interval agree that the candidate is worse) and a practically
//! relevant size (the ratio is beyond the threshold). "Unchanged" needs the whole interval
//! inside the threshold band. Everything else is honestly "inconclusive".

use crate::results::Better;
use crate::stats::{RankTest, RatioInterval};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::Inconclusive => "inconclusive",
        })
    }
}

/// Everything the rule looks at, already computed.
#[derive(Debug, Clone, Copy)]
pub struct Evidence {
    /// median(candidate) / median(baseline) of the repetition values.
    pub ratio: f64,
    pub interval: RatioInterval,
    pub test: RankTest,
    pub better: Better,
    pub threshold: f64,
    pub alpha: f64,
    pub baseline_repetitions: usize,
    pub candidate_repetitions: usize,
}

/// The verdict and one sentence saying why.
pub fn decide(e: &Evidence) -> (Verdict, String) {
    // Work in "worse factor" terms: > 1 means worse, whichever direction is better.
    let (worse, worse_low, worse_high, p_worse, p_better) = match e.better {
        Better::Lower => (
            e.ratio,
            e.interval.lower,
            e.interval.upper,
            e.test.p_greater,
            e.test.p_less,
        ),
        Better::Higher => (
            1.0 / e.ratio,
            1.0 / e.interval.upper,
            1.0 / e.interval.lower,
            e.test.p_less,
            e.test.p_greater,
        ),
    };
    let limit = 1.0 + e.threshold;
    let one_sided_alpha = e.alpha / 2.0;
    // "29.6% worse" reads well; "6767.8% worse" does not: large factors are shown as "68.7x".
    let size = |factor: f64| {
        if factor >= 2.0 {
            format!("{factor:.1}x")
        } else {
            format!("{:.1}%", (factor - 1.0) * 100.0)
        }
    };
    let threshold_pct = e.threshold * 100.0;
    let p = |value: f64| {
        if value < 0.001 {
            "<0.001".to_string()
        } else {
            format!("{value:.3}")
        }
    };

    if p_worse < one_sided_alpha && worse_low > 1.0 && worse > limit {
        return (
            Verdict::Regressed,
            format!(
                "{} worse (beyond the {threshold_pct:.0}% threshold), rank test p={}",
                size(worse),
                p(p_worse)
            ),
        );
    }
    if p_better < one_sided_alpha && worse_high < 1.0 && worse < 1.0 / limit {
        return (
            Verdict::Improved,
            format!(
                "{} better (beyond the {threshold_pct:.0}% threshold), rank test p={}",
                size(1.0 / worse),
                p(p_better)
            ),
        );
    }
    if worse_low >= 1.0 / limit && worse_high <= limit {
        return (
            Verdict::Unchanged,
            format!("interval lies within ±{threshold_pct:.0}%"),
        );
    }
    let smallest_p = smallest_one_sided_p(e.baseline_repetitions, e.candidate_repetitions);
    let reason = if smallest_p >= one_sided_alpha {
        format!(
            "{} vs {} repetitions cannot show a difference at the {:.0}% level (smallest \
             possible p={smallest_p:.3}); run more repetitions (5 or more each)",
            e.baseline_repetitions,
            e.candidate_repetitions,
            e.alpha * 100.0
        )
    } else if worse > limit {
        format!(
            "looks {} worse, but the evidence is too weak (p={})",
            size(worse),
            p(p_worse)
        )
    } else if worse < 1.0 / limit {
        format!(
            "looks {} better, but the evidence is too weak (p={})",
            size(1.0 / worse),
            p(p_better)
        )
    } else {
        format!("too noisy to tell: the interval reaches beyond ±{threshold_pct:.0}%")
    };
    (Verdict::Inconclusive, reason)
}

/// The smallest one-sided p-value the rank test can give for groups of these sizes
/// (complete separation, no ties): 1 / C(n + m, m).
fn smallest_one_sided_p(n: usize, m: usize) -> f64 {
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

    fn evidence(ratio: f64, lower: f64, upper: f64, p_greater: f64, p_less: f64) -> Evidence {
        Evidence {
            ratio,
            interval: RatioInterval {
                lower,
                upper,
                confidence: 0.95,
            },
            test: RankTest {
                p_greater,
                p_less,
                exact: true,
            },
            better: Better::Lower,
            threshold: 0.10,
            alpha: 0.05,
            baseline_repetitions: 10,
            candidate_repetitions: 10,
        }
    }

    #[test]
    fn significant_but_small_change_is_not_a_regression() {
        let (v, _) = decide(&evidence(1.05, 1.03, 1.07, 0.001, 0.999));
        assert_eq!(v, Verdict::Unchanged);
        let (v, _) = decide(&evidence(1.08, 1.03, 1.15, 0.001, 0.999));
        assert_eq!(v, Verdict::Inconclusive);
    }

    #[test]
    fn big_change_without_evidence_is_inconclusive() {
        let (v, why) = decide(&evidence(1.5, 0.9, 2.5, 0.2, 0.8));
        assert_eq!(v, Verdict::Inconclusive);
        assert!(why.contains("too weak"), "{why}");
    }

    #[test]
    fn direction_follows_better() {
        let mut e = evidence(2.0, 1.8, 2.2, 0.0001, 0.9999);
        assert_eq!(decide(&e).0, Verdict::Regressed);
        e.better = Better::Higher;
        assert_eq!(decide(&e).0, Verdict::Improved);
    }

    #[test]
    fn three_against_three_says_why() {
        let mut e = evidence(50.0, 40.0, 60.0, 0.05, 1.0);
        e.baseline_repetitions = 3;
        e.candidate_repetitions = 3;
        let (v, why) = decide(&e);
        assert_eq!(v, Verdict::Inconclusive);
        assert!(why.contains("3 vs 3"), "{why}");
        assert!((smallest_one_sided_p(3, 3) - 0.05).abs() < 1e-12);
    }
}
