//! Pairs the metrics of two runs by "scenario/metric" and compares each pair. Metrics found
//! on one side only are listed, never dropped silently.

use super::evidence::{MetricEvidence, RunEvidence};
use super::options::GateOptions;
use super::verdict::{Evidence, Verdict, decide};
use crate::results::summary::median;
use crate::results::{Better, RunResults};
use crate::stats::rng::seed_from_key;
use crate::stats::{RatioInterval, rank_test, ratio_of_medians_interval};
use serde::Serialize;

/// The result of comparing one candidate run against one baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub baseline: RunLabel,
    pub candidate: RunLabel,
    /// Environment and parameter differences that make the numbers less comparable.
    pub warnings: Vec<String>,
    pub metrics: Vec<MetricComparison>,
    /// Metrics present in the baseline only (e.g. a scenario the candidate skipped).
    pub only_in_baseline: Vec<OneSidedMetric>,
    /// Metrics present in the candidate only (e.g. a new scenario).
    pub only_in_candidate: Vec<OneSidedMetric>,
    /// Scenarios the candidate run skipped, with the reason.
    pub candidate_skipped: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunLabel {
    pub label: String,
    pub kernel_release: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricComparison {
    pub key: String,
    pub unit: String,
    pub better: Better,
    /// The threshold that was applied (fraction, e.g. 0.10).
    pub threshold: f64,
    pub baseline: GroupSummary,
    pub candidate: GroupSummary,
    /// median(candidate) / median(baseline) of the repetition values; `None` when it
    /// cannot be formed (zero baseline, different units).
    pub ratio: Option<f64>,
    pub interval: Option<RatioInterval>,
    /// Two-sided p-value of the rank test.
    pub p_value: Option<f64>,
    pub verdict: Verdict,
    /// One sentence on why.
    pub reason: String,
}

/// A metric that only one of the two runs has.
#[derive(Debug, Clone, Serialize)]
pub struct OneSidedMetric {
    pub key: String,
    pub unit: String,
    pub better: Better,
    pub summary: GroupSummary,
}

impl OneSidedMetric {
    fn of(metric: &MetricEvidence) -> OneSidedMetric {
        OneSidedMetric {
            key: metric.key(),
            unit: metric.unit.clone(),
            better: metric.better,
            summary: summarise(metric),
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
    let mut used = vec![false; baseline.metrics.len()];
    let mut metrics = Vec::new();
    let mut only_in_candidate = Vec::new();
    for cand in &candidate.metrics {
        let key = cand.key();
        let found = baseline
            .metrics
            .iter()
            .enumerate()
            .find(|(i, b)| !used[*i] && b.key() == key);
        let Some((index, base)) = found else {
            only_in_candidate.push(OneSidedMetric::of(cand));
            continue;
        };
        used[index] = true;
        if base.parameters != cand.parameters {
            warnings.push(format!(
                "{key}: parameters differ: {} vs {}",
                serde_json::Value::from(serde_json::Map::from_iter(base.parameters.clone())),
                serde_json::Value::from(serde_json::Map::from_iter(cand.parameters.clone())),
            ));
        }
        metrics.push(compare_metric(base, cand, options));
    }
    let only_in_baseline = baseline
        .metrics
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(m, _)| OneSidedMetric::of(m))
        .collect();
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
    }
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
    options: &GateOptions,
) -> MetricComparison {
    let key = cand.key();
    let threshold = options.threshold_for(cand.threshold.or(base.threshold));
    let (baseline, candidate) = (summarise(base), summarise(cand));
    let mut out = MetricComparison {
        key: key.clone(),
        unit: cand.unit.clone(),
        better: cand.better,
        threshold,
        baseline,
        candidate,
        ratio: None,
        interval: None,
        p_value: None,
        verdict: Verdict::Inconclusive,
        reason: String::new(),
    };
    if base.unit != cand.unit || base.better != cand.better {
        out.reason = format!(
            "not comparable: baseline is {} ({:?} is better), candidate {} ({:?} is better)",
            base.unit, base.better, cand.unit, cand.better
        );
        return out;
    }
    let positive = |median: f64| median.is_finite() && median > 0.0;
    if !positive(out.baseline.median)
        || !(positive(out.candidate.median) || out.candidate.median == 0.0)
    {
        out.reason = "a ratio needs a positive baseline median".to_string();
        return out;
    }
    let ratio = out.candidate.median / out.baseline.median;
    let seed = seed_from_key(&key, options.seed);
    let (Some(interval), Some(test)) = (
        ratio_of_medians_interval(
            &base.repetition_values,
            &cand.repetition_values,
            options.confidence,
            options.resamples,
            seed,
        ),
        rank_test(&base.repetition_values, &cand.repetition_values),
    ) else {
        out.reason = "no repetition values".to_string();
        return out;
    };
    let (verdict, reason) = decide(&Evidence {
        ratio,
        interval,
        test,
        better: cand.better,
        threshold,
        alpha: options.alpha,
        baseline_repetitions: base.repetition_values.len(),
        candidate_repetitions: cand.repetition_values.len(),
    });
    out.ratio = Some(ratio);
    out.interval = Some(interval);
    out.p_value = Some(test.p_two_sided());
    out.verdict = verdict;
    out.reason = reason;
    out
}
