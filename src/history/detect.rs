//! Change points of every metric along a history: the series of repetition values per
//! kernel, split by `stats::change_point`, and each split's size (ratio of medians of the
//! segments on either side, with a bootstrap interval; a difference for rare-event counts).
//! A split is a change point when the test finds it (family-wise level `alpha` over all
//! metrics, Bonferroni) *and* its size is beyond the metric's threshold, the gate's rule:
//! in deterministic mode tiny code-layout shifts are significant but do not matter.

use super::collection::History;
use crate::gate::GateOptions;
use crate::results::summary::median;
use crate::results::{Better, MetricRole};
use crate::stats::change_point::{ChangePointOptions, binary_segmentation};
use crate::stats::rng::seed_from_key;
use crate::stats::{RatioInterval, difference_of_medians_interval, ratio_of_medians_interval};

/// One metric along the kernels that recorded it.
#[derive(Debug, Clone)]
pub struct MetricSeries {
    /// "scenario/metric".
    pub key: String,
    pub unit: String,
    pub better: Better,
    pub role: MetricRole,
    /// The threshold that applies (scenario's, `--threshold`, else the mode's default).
    pub threshold: f64,
    pub points: Vec<SeriesPoint>,
}

/// One kernel's repetition values of a metric.
#[derive(Debug, Clone)]
pub struct SeriesPoint {
    pub release: String,
    pub values: Vec<f64>,
}

impl SeriesPoint {
    pub fn median(&self) -> f64 {
        median(&self.values).unwrap_or(f64::NAN)
    }
}

/// How big a split is: after against before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepSize {
    /// median(after) / median(before), with its bootstrap interval.
    Ratio { ratio: f64, interval: RatioInterval },
    /// median(after) - median(before) in events per repetition (counts that may be 0).
    Difference {
        difference: f64,
        interval: RatioInterval,
    },
}

/// A split the test found.
#[derive(Debug, Clone)]
pub struct Step {
    /// Index in `MetricSeries::points` of the first kernel after the change.
    pub at: usize,
    pub size: StepSize,
    pub p_value: f64,
    /// Beyond the metric's threshold: a change point. Otherwise a real but small shift.
    pub matters: bool,
    /// The step makes the metric worse (by its `better` direction).
    pub worse: bool,
}

/// A metric's series and what the detection found in it.
#[derive(Debug, Clone)]
pub struct MetricHistory {
    pub series: MetricSeries,
    pub steps: Vec<Step>,
    /// Why the metric was not tested, when it was not.
    pub not_tested: Option<String>,
}

impl MetricHistory {
    pub fn change_points(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.matters)
    }
}

/// The metrics of a history (every metric any kernel recorded) as series in kernel order.
pub fn metric_series(history: &History, options: &GateOptions) -> Vec<MetricSeries> {
    let mut all: Vec<MetricSeries> = Vec::new();
    for kernel in &history.kernels {
        for metric in &kernel.metrics {
            let key = metric.key();
            let point = SeriesPoint {
                release: kernel.release.clone(),
                values: metric.repetition_values.clone(),
            };
            match all.iter_mut().find(|s| s.key == key) {
                Some(series) => series.points.push(point),
                None => all.push(MetricSeries {
                    key,
                    unit: metric.unit.clone(),
                    better: metric.better,
                    role: metric.role(),
                    threshold: options.threshold_for(metric.threshold, &history.execution_mode),
                    points: vec![point],
                }),
            }
        }
    }
    all.sort_by(|a, b| a.key.cmp(&b.key));
    all
}

/// Finds the change points of every metric. `options.alpha` is the family-wise level over
/// all metrics tested.
pub fn detect(history: &History, options: &GateOptions) -> Vec<MetricHistory> {
    let series = metric_series(history, options);
    let tested = series
        .iter()
        .filter(|s| why_not_tested(s).is_none())
        .count();
    let alpha = options.alpha / tested.max(1) as f64;
    series
        .into_iter()
        .map(|series| match why_not_tested(&series) {
            Some(reason) => MetricHistory {
                series,
                steps: Vec::new(),
                not_tested: Some(reason),
            },
            None => {
                let steps = steps_of(&series, alpha, options);
                MetricHistory {
                    series,
                    steps,
                    not_tested: None,
                }
            }
        })
        .collect()
}

fn why_not_tested(series: &MetricSeries) -> Option<String> {
    if series.role == MetricRole::Setting {
        Some("a setting recorded for context, not a performance metric".into())
    } else if series.points.len() < 2 {
        Some(format!("recorded for {} kernel only", series.points.len()))
    } else {
        None
    }
}

fn steps_of(series: &MetricSeries, alpha: f64, options: &GateOptions) -> Vec<Step> {
    let groups: Vec<Vec<f64>> = series.points.iter().map(|p| p.values.clone()).collect();
    let seed = seed_from_key(&series.key, options.seed);
    let splits = binary_segmentation(&groups, &ChangePointOptions::new(alpha, seed));
    let edges: Vec<usize> = std::iter::once(0)
        .chain(splits.iter().map(|s| s.index))
        .chain(std::iter::once(groups.len()))
        .collect();
    splits
        .iter()
        .enumerate()
        .map(|(i, split)| {
            let before: Vec<f64> = groups[edges[i]..edges[i + 1]].concat();
            let after: Vec<f64> = groups[edges[i + 1]..edges[i + 2]].concat();
            let seed = seed_from_key(&format!("{}@{}", series.key, split.index), options.seed);
            step(
                series,
                split.index,
                split.p_value,
                &before,
                &after,
                seed,
                options,
            )
        })
        .collect()
}

fn step(
    series: &MetricSeries,
    at: usize,
    p_value: f64,
    before: &[f64],
    after: &[f64],
    seed: u64,
    options: &GateOptions,
) -> Step {
    let (m_before, m_after) = (median(before).unwrap_or(0.0), median(after).unwrap_or(0.0));
    let (size, up, matters) = if series.role == MetricRole::EventCount || m_before <= 0.0 {
        let difference = m_after - m_before;
        let interval = difference_of_medians_interval(
            before,
            after,
            options.confidence,
            options.resamples,
            seed,
        )
        .unwrap_or(RatioInterval {
            lower: difference,
            upper: difference,
            confidence: options.confidence,
        });
        let band = series.threshold * m_before.abs().max(1.0);
        (
            StepSize::Difference {
                difference,
                interval,
            },
            difference > 0.0,
            difference.abs() >= band,
        )
    } else {
        let ratio = m_after / m_before;
        let interval =
            ratio_of_medians_interval(before, after, options.confidence, options.resamples, seed)
                .unwrap_or(RatioInterval {
                    lower: ratio,
                    upper: ratio,
                    confidence: options.confidence,
                });
        let limit = 1.0 + series.threshold;
        (
            StepSize::Ratio { ratio, interval },
            ratio > 1.0,
            ratio >= limit || ratio <= 1.0 / limit,
        )
    };
    Step {
        at,
        size,
        p_value,
        matters,
        worse: up == (series.better == Better::Lower),
    }
}
