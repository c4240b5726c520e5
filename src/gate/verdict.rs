//! The decision rules for one metric: a regression needs statistical evidence (the rank test
//! and the bootstrap interval agree that the candidate is worse) and a practically
//! relevant size (the effect is beyond the threshold). "Unchanged" needs the whole interval
//! inside the threshold band. Everything else is honestly "inconclusive".
//!
//! Two effect scales: the ratio of medians for performance metrics (scale-free), and the
//! difference of medians for counts of rare events (which are often 0 on the good kernel,
//! where no ratio exists). Settings get no verdict at all (see `compare.rs`).

use crate::results::Better;
use crate::stats::mann_whitney::smallest_one_sided_p;
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
    let limit = 1.0 + e.threshold;
    // "29.6% worse" reads well; "6767.8% worse" does not: large factors are shown as "68.7x".
    let size = |factor: f64| {
        if factor >= 2.0 {
            format!("{factor:.1}x")
        } else {
            format!("{:.1}%", (factor - 1.0) * 100.0)
        }
    };
    let describe = |worse: f64| {
        if worse >= 1.0 {
            format!("{} worse", size(worse))
        } else {
            format!("{} better", size(1.0 / worse))
        }
    };
    let threshold = percent(e.threshold);
    judge(&Oriented {
        effect: orient(e.better, e.ratio, e.interval, e.test, |x| 1.0 / x),
        no_change: 1.0,
        worse_edge: limit,
        better_edge: 1.0 / limit,
        describe: &describe,
        beyond: &format!("beyond the {threshold} threshold"),
        band: &format!("±{threshold}"),
        alpha: e.alpha,
        repetitions: (e.baseline_repetitions, e.candidate_repetitions),
    })
}

/// What the difference rule looks at: counts of rare events per repetition.
#[derive(Debug, Clone, Copy)]
pub struct DifferenceEvidence {
    /// median(candidate) - median(baseline) of the repetition values (events per repetition).
    pub difference: f64,
    pub interval: RatioInterval,
    pub test: RankTest,
    pub better: Better,
    /// The relative threshold; the band is `threshold × max(baseline median, 1 event)`, so
    /// from a zero baseline one more event per repetition is already beyond it.
    pub threshold: f64,
    pub baseline_median: f64,
    pub alpha: f64,
    pub baseline_repetitions: usize,
    pub candidate_repetitions: usize,
}

impl DifferenceEvidence {
    /// The half-width of the "no change that matters" band, in events per repetition.
    pub fn band(&self) -> f64 {
        self.threshold * self.baseline_median.abs().max(1.0)
    }
}

/// The verdict for a count of rare events: the same three tests as `decide`, on the
/// difference scale. 0 -> 0 is unchanged; 0 -> 5 in every repetition is a regression.
pub fn decide_difference(e: &DifferenceEvidence) -> (Verdict, String) {
    let band = e.band();
    let describe = |worse: f64| {
        let more = if worse >= 0.0 { "more" } else { "fewer" };
        format!("{:.1} events per repetition {more}", worse.abs())
    };
    judge(&Oriented {
        effect: orient(e.better, e.difference, e.interval, e.test, |x| -x),
        no_change: 0.0,
        worse_edge: band,
        better_edge: -band,
        describe: &describe,
        beyond: &format!(
            "baseline median {}, beyond the ±{band:.2}-event band",
            e.baseline_median
        ),
        band: &format!("±{band:.2} events per repetition"),
        alpha: e.alpha,
        repetitions: (e.baseline_repetitions, e.candidate_repetitions),
    })
}

/// An effect turned so that larger means worse, whichever direction is better: the
/// estimate, its interval, and the one-sided p-values of "worse" and "better".
struct Effect {
    worse: f64,
    low: f64,
    high: f64,
    p_worse: f64,
    p_better: f64,
}

/// `flip` maps the scale onto itself with worse and better swapped (1/x for ratios, -x for
/// differences), for metrics where higher is better.
fn orient(
    better: Better,
    estimate: f64,
    interval: RatioInterval,
    test: RankTest,
    flip: fn(f64) -> f64,
) -> Effect {
    match better {
        Better::Lower => Effect {
            worse: estimate,
            low: interval.lower,
            high: interval.upper,
            p_worse: test.p_greater,
            p_better: test.p_less,
        },
        Better::Higher => Effect {
            worse: flip(estimate),
            low: flip(interval.upper),
            high: flip(interval.lower),
            p_worse: test.p_less,
            p_better: test.p_greater,
        },
    }
}

/// One scale's rule: where "no change" lies, the edges beyond which a change matters, and
/// the words for the reasons.
struct Oriented<'a> {
    effect: Effect,
    no_change: f64,
    worse_edge: f64,
    better_edge: f64,
    /// "29.6% worse", "5.0 events per repetition more".
    describe: &'a dyn Fn(f64) -> String,
    /// Why a change counts: "beyond the 10% threshold".
    beyond: &'a str,
    /// The band of changes that do not matter: "±10%".
    band: &'a str,
    alpha: f64,
    repetitions: (usize, usize),
}

/// Regressed: the rank test says worse (one-sided at alpha/2), the interval lies on the worse
/// side of "no change", and the estimate is beyond the edge. Improved mirrors it. Unchanged:
/// the whole interval inside the band. Everything else is inconclusive, with the reason.
fn judge(rule: &Oriented) -> (Verdict, String) {
    let e = &rule.effect;
    let one_sided_alpha = rule.alpha / 2.0;
    let describe = rule.describe;
    if e.p_worse < one_sided_alpha && e.low > rule.no_change && e.worse > rule.worse_edge {
        return (
            Verdict::Regressed,
            format!(
                "{} ({}), rank test p={}",
                describe(e.worse),
                rule.beyond,
                format_p(e.p_worse)
            ),
        );
    }
    if e.p_better < one_sided_alpha && e.high < rule.no_change && e.worse < rule.better_edge {
        return (
            Verdict::Improved,
            format!(
                "{} ({}), rank test p={}",
                describe(e.worse),
                rule.beyond,
                format_p(e.p_better)
            ),
        );
    }
    if e.low >= rule.better_edge && e.high <= rule.worse_edge {
        return (
            Verdict::Unchanged,
            format!("interval lies within {}", rule.band),
        );
    }
    let (baseline, candidate) = rule.repetitions;
    let reason = if let Some(why) = too_few_repetitions(baseline, candidate, rule.alpha) {
        why
    } else if e.worse > rule.worse_edge {
        format!(
            "looks {}, but the evidence is too weak (p={})",
            describe(e.worse),
            format_p(e.p_worse)
        )
    } else if e.worse < rule.better_edge {
        format!(
            "looks {}, but the evidence is too weak (p={})",
            describe(e.worse),
            format_p(e.p_better)
        )
    } else {
        format!(
            "too noisy to tell: the interval reaches beyond {}",
            rule.band
        )
    };
    (Verdict::Inconclusive, reason)
}

/// "<0.001" or three decimals.
fn format_p(value: f64) -> String {
    if value < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{value:.3}")
    }
}

/// The reason when groups this small can never reach significance at `alpha`.
pub fn too_few_repetitions(baseline: usize, candidate: usize, alpha: f64) -> Option<String> {
    let smallest_p = smallest_one_sided_p(baseline, candidate);
    (smallest_p >= alpha / 2.0).then(|| {
        format!(
            "{baseline} vs {candidate} repetitions cannot show a difference at the {:.0}% level \
             (smallest possible p={smallest_p:.3}); run more repetitions (5 or more each)",
            alpha * 100.0
        )
    })
}

/// "10%", "2.5%", "0.1%", "35%": a fraction as people write percentages (no trailing zeros;
/// decimals only where they matter).
pub fn percent(fraction: f64) -> String {
    let pct = fraction * 100.0;
    let digits = if pct >= 10.0 {
        0
    } else if pct >= 1.0 {
        1
    } else {
        3
    };
    let text = format!("{pct:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(0.10), "10%");
        assert_eq!(percent(0.02), "2%");
        assert_eq!(percent(0.025), "2.5%");
        assert_eq!(percent(0.001), "0.1%");
        assert_eq!(percent(0.3512), "35%");
    }

    #[test]
    fn four_repetitions_are_the_least_that_can_conclude() {
        use crate::stats::mann_whitney::minimum_repetitions;
        assert_eq!(minimum_repetitions(0.05), 4);
        assert!(too_few_repetitions(3, 3, 0.05).is_some());
        assert!(too_few_repetitions(4, 4, 0.05).is_none());
    }

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

    fn counts(
        difference: f64,
        lower: f64,
        upper: f64,
        p_greater: f64,
        base: f64,
    ) -> DifferenceEvidence {
        DifferenceEvidence {
            difference,
            interval: RatioInterval {
                lower,
                upper,
                confidence: 0.95,
            },
            test: RankTest {
                p_greater,
                p_less: 1.0 - p_greater,
                exact: true,
            },
            better: Better::Lower,
            threshold: 0.10,
            baseline_median: base,
            alpha: 0.05,
            baseline_repetitions: 5,
            candidate_repetitions: 5,
        }
    }

    #[test]
    fn stalls_from_a_zero_baseline_are_a_regression() {
        let (v, why) = decide_difference(&counts(5.0, 4.0, 6.0, 0.004, 0.0));
        assert_eq!(v, Verdict::Regressed, "{why}");
        assert!(why.contains("5.0 events"), "{why}");
    }

    #[test]
    fn zero_against_zero_is_unchanged() {
        let (v, _) = decide_difference(&counts(0.0, 0.0, 0.0, 0.5, 0.0));
        assert_eq!(v, Verdict::Unchanged);
    }

    #[test]
    fn one_repetition_with_stalls_is_not_evidence() {
        // 0,0,0,0,3 against 0,0,0,0,0: the medians agree, the interval reaches 0 .. 3.
        let (v, _) = decide_difference(&counts(0.0, 0.0, 3.0, 0.21, 0.0));
        assert_eq!(v, Verdict::Inconclusive);
    }

    #[test]
    fn fewer_stalls_with_higher_is_better_is_a_regression() {
        let mut e = counts(-3.0, -4.0, -2.0, 0.996, 5.0);
        e.test.p_less = 0.004;
        assert_eq!(decide_difference(&e).0, Verdict::Improved);
        e.better = Better::Higher;
        assert_eq!(decide_difference(&e).0, Verdict::Regressed);
    }
}
