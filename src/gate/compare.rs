//! Pairs the metrics of two runs by "scenario/metric" and compares each pair with the rule
//! its role calls for. Metrics found on one side only are listed, never dropped silently; a
//! baseline metric the candidate lacks makes the comparison incomplete (unless allowed), and
//! so does a comparison in which nothing was compared: no verdict without evidence.

use super::evidence::{MetricEvidence, RunEvidence};
use super::options::GateOptions;
use super::verdict::{
    DifferenceEvidence, Evidence, Verdict, decide, decide_difference, too_few_repetitions,
};
use crate::results::summary::median;
use crate::results::{Better, ExecutionMode, MetricId, MetricRole, RunResults};
use crate::stats::detectable::{minimum_detectable_effect, sample_sd, standard_error, widen};
use crate::stats::rng::seed_from_key;
use crate::stats::{
    RankTest, RatioInterval, difference_of_medians_interval, rank_test, ratio_of_medians_interval,
};
use serde::Serialize;

/// The result of comparing one candidate run against one baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub baseline: RunLabel,
    pub candidate: RunLabel,
    /// Environment, parameter and setting differences that make the numbers less comparable.
    pub warnings: Vec<String>,
    pub metrics: Vec<MetricComparison>,
    /// Metrics of the baseline that the candidate lacks, with the candidate's reason.
    pub only_in_baseline: Vec<OneSidedMetric>,
    /// Metrics present in the candidate only (e.g. a new scenario).
    pub only_in_candidate: Vec<OneSidedMetric>,
    /// Scenarios the candidate run skipped, with the reason.
    pub candidate_skipped: Vec<String>,
    /// Scenarios left out on purpose (`--ignore-scenario`).
    pub ignored_scenarios: Vec<String>,
    /// Why this comparison is not evidence enough for a pass (empty when it is): nothing
    /// compared, or baseline metrics missing without `--allow-missing`.
    pub incomplete: Vec<String>,
    /// Why the metrics moved, from traced repetitions of both runs (`--explain`); empty
    /// when nothing was traced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<crate::explain::diff::AttributionDiff>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunLabel {
    pub label: String,
    pub kernel_release: String,
}

/// Which scale a metric's effect is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectScale {
    /// median(candidate) / median(baseline); the threshold is a relative change.
    Ratio,
    /// median(candidate) - median(baseline), in the metric's unit (events per repetition).
    Difference,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricComparison {
    /// Which metric (not in the JSON, which carries `key`).
    #[serde(skip)]
    pub id: MetricId,
    /// `id` as "scenario/metric", as reports show it.
    pub key: String,
    pub unit: String,
    pub better: Better,
    pub role: MetricRole,
    pub scale: EffectScale,
    /// The threshold that was applied (fraction, e.g. 0.10).
    pub threshold: f64,
    pub baseline: GroupSummary,
    pub candidate: GroupSummary,
    /// median(candidate) / median(baseline) of the repetition values; `None` when it
    /// cannot be formed (zero baseline, different units).
    pub ratio: Option<f64>,
    /// The interval of the effect on `scale` (ratio or difference), widened by between-run
    /// drift where that is known.
    pub interval: Option<RatioInterval>,
    /// median(candidate) - median(baseline), for the difference scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<f64>,
    /// Two-sided p-value of the rank test.
    pub p_value: Option<f64>,
    /// Standard deviation of the between-run drift folded into the interval (log scale for
    /// ratios), when the baseline was saved from several runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_sd: Option<f64>,
    /// The smallest change this comparison detects with 80% probability, on `scale`
    /// (a fraction such as 0.35 for ratios, events per repetition for differences); `None`
    /// when the repetition counts cannot show any change at all.
    pub detectable_change: Option<f64>,
    pub verdict: Verdict,
    /// One sentence on why.
    pub reason: String,
}

impl MetricComparison {
    /// The threshold on the metric's own scale: a fraction for ratios, events for differences.
    pub fn threshold_on_scale(&self) -> f64 {
        match self.scale {
            EffectScale::Ratio => self.threshold,
            EffectScale::Difference => self.threshold * self.baseline.median.abs().max(1.0),
        }
    }

    /// The smallest change the threshold makes matter, on the metric's scale. Counts move in
    /// whole events, so for them a band below one event means "one event".
    pub fn smallest_change_that_matters(&self) -> f64 {
        match self.scale {
            EffectScale::Ratio => self.threshold_on_scale(),
            EffectScale::Difference => self.threshold_on_scale().max(1.0),
        }
    }

    /// True when this comparison could not have seen a change of the threshold's size.
    pub fn blind_to_threshold(&self) -> bool {
        self.detectable_change
            .is_none_or(|d| d > self.smallest_change_that_matters())
    }
}

/// A metric that only one of the two runs has.
#[derive(Debug, Clone, Serialize)]
pub struct OneSidedMetric {
    #[serde(skip)]
    pub id: MetricId,
    /// `id` as "scenario/metric", as reports show it.
    pub key: String,
    pub unit: String,
    pub better: Better,
    pub summary: GroupSummary,
    /// Why the other run lacks it (its skip reason), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl OneSidedMetric {
    fn of(metric: &MetricEvidence, reason: Option<String>) -> OneSidedMetric {
        OneSidedMetric {
            id: metric.id(),
            key: metric.key(),
            unit: metric.unit.clone(),
            better: metric.better,
            summary: summarise(metric),
            reason,
        }
    }
}

/// The repetition values of one side, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub repetitions: usize,
    pub samples: usize,
    /// Median of the repetition values.
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Comparison {
    pub fn regressed(&self) -> impl Iterator<Item = &MetricComparison> {
        self.metrics
            .iter()
            .filter(|m| m.verdict == Verdict::Regressed)
    }

    pub fn has_regression(&self) -> bool {
        self.regressed().next().is_some()
    }

    /// False when this comparison cannot support a pass (see `incomplete`).
    pub fn is_complete(&self) -> bool {
        self.incomplete.is_empty()
    }
}

/// Compares two in-memory runs (for callers that hold `RunResults`, like the VM runner).
pub fn compare_runs(
    baseline: &RunResults,
    candidate: &RunResults,
    options: &GateOptions,
) -> Comparison {
    let label = |run: &RunResults, fallback: &str| {
        if run.environment.kernel_release.is_empty() {
            fallback.to_string()
        } else {
            run.environment.kernel_release.clone()
        }
    };
    compare_evidence(
        &RunEvidence::from_results(label(baseline, "baseline"), baseline),
        &RunEvidence::from_results(label(candidate, "candidate"), candidate),
        options,
    )
}

pub fn compare_evidence(
    baseline: &RunEvidence,
    candidate: &RunEvidence,
    options: &GateOptions,
) -> Comparison {
    let mut warnings = baseline.environment.differences(&candidate.environment);
    let ignored = |m: &&MetricEvidence| options.ignores(&m.scenario);
    let (base_settings, base_metrics) = split_settings(&baseline.metrics);
    let (cand_settings, cand_metrics) = split_settings(&candidate.metrics);
    warnings.extend(setting_differences(&base_settings, &cand_settings));

    let mode = &candidate.environment.execution_mode;
    let mut used = vec![false; base_metrics.len()];
    let mut metrics = Vec::new();
    let mut only_in_candidate = Vec::new();
    for cand in cand_metrics.iter().filter(|m| !ignored(m)) {
        let id = cand.id();
        let found = base_metrics
            .iter()
            .enumerate()
            .find(|(i, b)| !used[*i] && b.id() == id);
        let Some((index, base)) = found else {
            only_in_candidate.push(OneSidedMetric::of(cand, None));
            continue;
        };
        used[index] = true;
        if base.parameters != cand.parameters {
            warnings.push(format!(
                "{id}: parameters differ: {} vs {}",
                serde_json::Value::from(serde_json::Map::from_iter(base.parameters.clone())),
                serde_json::Value::from(serde_json::Map::from_iter(cand.parameters.clone())),
            ));
        }
        metrics.push(compare_metric(base, cand, mode, options));
    }
    let skip_reason = |scenario: &str| {
        candidate
            .skipped
            .iter()
            .find(|s| s.scenario == scenario)
            .map(|s| format!("skipped by the candidate: {}", s.reason))
    };
    let only_in_baseline: Vec<OneSidedMetric> = base_metrics
        .iter()
        .zip(&used)
        .filter(|(m, used)| !**used && !ignored(m))
        .map(|(m, _)| {
            let reason = skip_reason(&m.scenario)
                .unwrap_or_else(|| "not measured by the candidate".to_string());
            OneSidedMetric::of(m, Some(reason))
        })
        .collect();
    if !options.interleaved
        && metrics.iter().any(|m| m.drift_sd.is_none())
        && baseline.metrics.iter().all(|m| m.run_medians.is_empty())
    {
        warnings.push(
            "the baseline is a single run: between-run drift is not in its repetitions, so \
             verdicts may be overconfident; save the baseline from several runs of the same \
             kernel (kcanary baseline save RUN1.json RUN2.json RUN3.json) to learn it"
                .to_string(),
        );
    }
    let incomplete = incompleteness(&metrics, &only_in_baseline, options);
    Comparison {
        baseline: run_label(baseline),
        candidate: run_label(candidate),
        warnings,
        metrics,
        only_in_baseline,
        only_in_candidate,
        candidate_skipped: candidate
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.scenario, s.reason))
            .collect(),
        ignored_scenarios: options.ignore_scenarios.clone(),
        incomplete,
        attribution: Vec::new(),
    }
}

/// Why a comparison is no basis for a pass.
fn incompleteness(
    metrics: &[MetricComparison],
    only_in_baseline: &[OneSidedMetric],
    options: &GateOptions,
) -> Vec<String> {
    let mut why = Vec::new();
    if metrics.is_empty() {
        why.push("nothing was compared: the two runs have no metric in common".to_string());
    }
    if !only_in_baseline.is_empty() && !options.allow_missing {
        let mut scenarios: Vec<&str> = only_in_baseline
            .iter()
            .map(|m| m.id.scenario.as_str())
            .collect();
        scenarios.dedup();
        why.push(format!(
            "{} metric(s) of the baseline are missing in the candidate (scenarios: {}); \
             pass --allow-missing or --ignore-scenario NAME to accept that",
            only_in_baseline.len(),
            scenarios.join(", ")
        ));
    }
    why
}

/// Settings (context) apart from the metrics that get verdicts.
fn split_settings(metrics: &[MetricEvidence]) -> (Vec<&MetricEvidence>, Vec<&MetricEvidence>) {
    metrics
        .iter()
        .partition(|m| m.role() == MetricRole::Setting)
}

/// One warning per setting whose value differs, or which only one run recorded.
fn setting_differences(base: &[&MetricEvidence], cand: &[&MetricEvidence]) -> Vec<String> {
    let value = |m: &MetricEvidence| median(&m.repetition_values).unwrap_or(f64::NAN);
    let mut warnings = Vec::new();
    for b in base {
        match cand.iter().find(|c| c.id() == b.id()) {
            Some(c) if value(c) != value(b) => warnings.push(format!(
                "setting {} differs: {} in the baseline, {} in the candidate",
                b.key(),
                value(b),
                value(c)
            )),
            Some(_) => {}
            None => warnings.push(format!(
                "setting {} ({}) was recorded by the baseline only",
                b.key(),
                value(b)
            )),
        }
    }
    for c in cand
        .iter()
        .filter(|c| !base.iter().any(|b| b.id() == c.id()))
    {
        warnings.push(format!(
            "setting {} ({}) was recorded by the candidate only",
            c.key(),
            value(c)
        ));
    }
    warnings
}

fn run_label(run: &RunEvidence) -> RunLabel {
    RunLabel {
        label: run.label.clone(),
        kernel_release: run.environment.kernel_release.clone(),
    }
}

fn summarise(metric: &MetricEvidence) -> GroupSummary {
    let values = &metric.repetition_values;
    GroupSummary {
        repetitions: values.len(),
        samples: metric.summary.n,
        median: median(values).unwrap_or(f64::NAN),
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

fn compare_metric(
    base: &MetricEvidence,
    cand: &MetricEvidence,
    mode: &ExecutionMode,
    options: &GateOptions,
) -> MetricComparison {
    let id = cand.id();
    let key = id.to_string();
    let role = cand.role();
    let threshold = options.threshold_for(cand.threshold.or(base.threshold), mode);
    let (baseline, candidate) = (summarise(base), summarise(cand));
    let mut out = MetricComparison {
        id,
        key: key.clone(),
        unit: cand.unit.clone(),
        better: cand.better,
        role,
        scale: match role {
            MetricRole::EventCount => EffectScale::Difference,
            _ => EffectScale::Ratio,
        },
        threshold,
        baseline,
        candidate,
        ratio: None,
        interval: None,
        difference: None,
        p_value: None,
        drift_sd: None,
        detectable_change: None,
        verdict: Verdict::Inconclusive,
        reason: String::new(),
    };
    if base.unit != cand.unit || base.better != cand.better || base.role() != role {
        out.reason = format!(
            "not comparable: baseline is {} ({:?} is better, {:?}), candidate {} ({:?} is \
             better, {role:?})",
            base.unit,
            base.better,
            base.role(),
            cand.unit,
            cand.better
        );
        return out;
    }
    let Some(test) = rank_test(&base.repetition_values, &cand.repetition_values) else {
        out.reason = "no repetition values".to_string();
        return out;
    };
    out.p_value = Some(test.p_two_sided());
    let seed = seed_from_key(&key, options.seed);
    let (base_n, cand_n) = (base.repetition_values.len(), cand.repetition_values.len());
    let cannot_conclude = too_few_repetitions(base_n, cand_n, options.alpha).is_some();
    match out.scale {
        EffectScale::Difference => judge_difference(&mut out, base, cand, test, seed, options),
        EffectScale::Ratio => judge_ratio(&mut out, base, cand, test, seed, options),
    }
    if cannot_conclude {
        out.detectable_change = None;
    }
    if out.verdict == Verdict::Inconclusive && out.baseline.min > 0.0 && out.candidate.min > 0.0 {
        // Say how noisy the repetitions were: the usual cause, and what to fix (quieter
        // machine, pinning, more repetitions).
        out.reason.push_str(&format!(
            "; slowest/fastest repetition: baseline {:.2}x, candidate {:.2}x",
            out.baseline.max / out.baseline.min,
            out.candidate.max / out.candidate.min
        ));
    }
    out
}

/// Between-run drift of `values`' runs on the effect's scale (log for ratios), combined for
/// the two sides: sd × sqrt(1/runs_baseline + 1/runs_candidate). `None` when no side was
/// saved from several runs.
fn drift_sd(base: &MetricEvidence, cand: &MetricEvidence, log: bool) -> Option<f64> {
    let spread = |m: &MetricEvidence| {
        let values: Vec<f64> = if log {
            m.run_medians
                .iter()
                .filter(|v| **v > 0.0)
                .map(|v| v.ln())
                .collect()
        } else {
            m.run_medians.clone()
        };
        sample_sd(&values)
    };
    let sd = match (spread(base), spread(cand)) {
        (None, None) => return None,
        (a, b) => a.unwrap_or(0.0).max(b.unwrap_or(0.0)),
    };
    Some(sd * (1.0 / base.runs() as f64 + 1.0 / cand.runs() as f64).sqrt())
}

fn judge_ratio(
    out: &mut MetricComparison,
    base: &MetricEvidence,
    cand: &MetricEvidence,
    test: RankTest,
    seed: u64,
    options: &GateOptions,
) {
    let positive = |median: f64| median.is_finite() && median > 0.0;
    if !positive(out.baseline.median) || !positive(out.candidate.median) {
        out.reason = "a ratio needs positive medians on both sides".to_string();
        return;
    }
    let ratio = out.candidate.median / out.baseline.median;
    let Some(mut interval) = ratio_of_medians_interval(
        &base.repetition_values,
        &cand.repetition_values,
        options.confidence,
        options.resamples,
        seed,
    ) else {
        out.reason = "no repetition values".to_string();
        return;
    };
    // Work on the log scale, where the ratio's interval is (nearly) symmetric and drift adds.
    let (log_ratio, mut low, mut high) = (ratio.ln(), interval.lower.ln(), interval.upper.ln());
    out.drift_sd = drift_sd(base, cand, true);
    if let Some(sd) = out.drift_sd {
        (low, high) = widen(log_ratio, low, high, sd, options.confidence);
        interval.lower = low.exp();
        interval.upper = high.exp();
    }
    if low.is_finite() && high.is_finite() {
        let se = standard_error(high - low, options.confidence);
        out.detectable_change =
            Some(minimum_detectable_effect(se, options.alpha, options.power).exp() - 1.0);
    }
    let (verdict, reason) = decide(&Evidence {
        ratio,
        interval,
        test,
        better: out.better,
        threshold: out.threshold,
        alpha: options.alpha,
        baseline_repetitions: base.repetition_values.len(),
        candidate_repetitions: cand.repetition_values.len(),
    });
    out.ratio = Some(ratio);
    out.interval = Some(interval);
    out.verdict = verdict;
    out.reason = reason;
}

fn judge_difference(
    out: &mut MetricComparison,
    base: &MetricEvidence,
    cand: &MetricEvidence,
    test: RankTest,
    seed: u64,
    options: &GateOptions,
) {
    let difference = out.candidate.median - out.baseline.median;
    let Some(mut interval) = difference_of_medians_interval(
        &base.repetition_values,
        &cand.repetition_values,
        options.confidence,
        options.resamples,
        seed,
    ) else {
        out.reason = "no repetition values".to_string();
        return;
    };
    out.drift_sd = drift_sd(base, cand, false);
    if let Some(sd) = out.drift_sd {
        (interval.lower, interval.upper) = widen(
            difference,
            interval.lower,
            interval.upper,
            sd,
            options.confidence,
        );
    }
    let se = standard_error(interval.upper - interval.lower, options.confidence);
    // Counts move in whole events: no run sees less than one event per repetition.
    out.detectable_change =
        Some(minimum_detectable_effect(se, options.alpha, options.power).max(1.0));
    if positive_median(out.baseline.median) {
        out.ratio = Some(out.candidate.median / out.baseline.median);
    }
    let (verdict, reason) = decide_difference(&DifferenceEvidence {
        difference,
        interval,
        test,
        better: out.better,
        threshold: out.threshold,
        baseline_median: out.baseline.median,
        alpha: options.alpha,
        baseline_repetitions: base.repetition_values.len(),
        candidate_repetitions: cand.repetition_values.len(),
    });
    out.difference = Some(difference);
    out.interval = Some(interval);
    out.verdict = verdict;
    out.reason = reason;
}

fn positive_median(median: f64) -> bool {
    median.is_finite() && median > 0.0
}
