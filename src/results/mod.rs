//! What a run produced: samples per metric, the environment they were measured in, and the
//! versioned JSON file that carries both. Reports and the gate only ever read these types.

pub mod criterion;
pub mod environment;
pub mod execution_mode;
pub mod file;
pub mod summary;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use environment::Environment;
pub use execution_mode::ExecutionMode;
pub use summary::Summary;

/// Bumped whenever a field changes meaning or disappears; readers refuse other versions.
/// The schema is documented in `docs/results-schema.md`.
pub const SCHEMA_VERSION: u32 = 1;

/// One results file: everything a single `kcanary run` (or one VM boot) measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResults {
    pub schema_version: u32,
    pub environment: Environment,
    pub results: Vec<MetricResult>,
    /// Scenarios that could not run on this kernel or machine, with the reason.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// Which direction of change is good for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

/// What one sample stands for; the gate needs it to pick the unit of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// One sample per kernel operation (e.g. one swap); many per repetition.
    PerOperation,
    /// One sample per repetition (e.g. the wall time of a whole restore).
    PerRepetition,
}

/// What a metric's numbers are, and so which verdict rule fits them (`docs/gate.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricRole {
    /// A cost or a rate (latency, total time, throughput): judged by the ratio of medians.
    #[default]
    Performance,
    /// A count of rare events per repetition (probe samples over 1/10/100 ms, cgroups left
    /// behind): often 0 on a good kernel, so judged by the difference of medians, which works
    /// from a zero baseline (0 -> 5 stalls is a regression when the repetitions agree).
    EventCount,
    /// A setting or descriptor recorded for context (the probe's CPU, a sysctl's value, the
    /// number of commands in a file): never a verdict; a difference is a warning.
    Setting,
}

impl MetricRole {
    /// The role of a metric in a file written before roles were recorded: settings had the
    /// units "cpu" and "value" (or were the size of a replayed file), rare-event counts were
    /// the probes' `.over_*` counters.
    pub fn inferred(metric: &str, unit: &str) -> MetricRole {
        if unit == "cpu" || unit == "value" || metric == "replay_commands" {
            MetricRole::Setting
        } else if metric.contains(".over_") || metric == "dying_after_cleanup" {
            MetricRole::EventCount
        } else {
            MetricRole::Performance
        }
    }
}

/// The samples of one metric of one scenario, over all its measured repetitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricResult {
    pub scenario: String,
    pub metric: String,
    pub unit: String,
    pub better: Better,
    pub sample_kind: SampleKind,
    /// Absent in files written before roles existed: `MetricRole::inferred` fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MetricRole>,
    /// Raw samples in measurement order, repetition after repetition.
    pub samples: Vec<f64>,
    /// How many consecutive entries of `samples` each repetition contributed. Repetitions
    /// (fresh namespaces / processes) are the independent trials; samples inside one
    /// repetition are not.
    pub repetition_sizes: Vec<usize>,
    pub summary: Summary,
    /// The smallest relative change of this metric that matters (0.10 = 10%), from the
    /// scenario file; `None` means the gate's global default applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The workload parameters that produced these samples (sets, swaps, ...).
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
}

impl MetricResult {
    /// The samples of each repetition, in order.
    pub fn repetitions(&self) -> impl Iterator<Item = &[f64]> {
        let mut start = 0;
        self.repetition_sizes.iter().map(move |&size| {
            let slice = &self.samples[start..start + size];
            start += size;
            slice
        })
    }

    /// Which metric of which scenario: what the gate pairs two runs' metrics by.
    pub fn id(&self) -> MetricId {
        MetricId::new(&self.scenario, &self.metric)
    }

    /// The id as "scenario/metric", as tables show it.
    pub fn key(&self) -> String {
        self.id().to_string()
    }

    /// The recorded role, or the one inferred for an older file.
    pub fn role(&self) -> MetricRole {
        self.role
            .unwrap_or_else(|| MetricRole::inferred(&self.metric, &self.unit))
    }

    /// Checks the invariants a reader relies on (sizes add up, no NaN), so that a hand-edited
    /// or truncated file is rejected with a reason instead of panicking later.
    pub fn validate(&self) -> Result<(), String> {
        // Checked: sizes that only add up by wrapping around would pass, then slice out of
        // bounds in `repetitions`.
        let total = self
            .repetition_sizes
            .iter()
            .try_fold(0usize, |total, &size| total.checked_add(size))
            .ok_or_else(|| format!("{}: repetition_sizes add up to more than 2^64", self.key()))?;
        if total != self.samples.len() {
            return Err(format!(
                "{}: repetition_sizes add up to {total} but there are {} samples",
                self.key(),
                self.samples.len()
            ));
        }
        if self.samples.is_empty() {
            return Err(format!("{}: no samples", self.key()));
        }
        if self.samples.iter().any(|s| !s.is_finite()) {
            return Err(format!("{}: a sample is not a finite number", self.key()));
        }
        if cannot_be_negative(&self.unit)
            && let Some(bad) = self.samples.iter().find(|s| **s < 0.0)
        {
            return Err(format!(
                "{}: negative sample {bad} ({} cannot be negative)",
                self.key(),
                self.unit
            ));
        }
        if let Some(t) = self.threshold {
            check_threshold(t).map_err(|e| format!("{}: {e}", self.key()))?;
        }
        Ok(())
    }
}

/// One metric of one scenario, as results files and gate evidence both name it. Kept as two
/// fields rather than the "scenario/metric" text: scenario names may contain '/' (a replayed
/// file's path), so the text cannot be split back reliably.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricId {
    pub scenario: String,
    pub metric: String,
}

impl MetricId {
    pub fn new(scenario: &str, metric: &str) -> MetricId {
        MetricId {
            scenario: scenario.to_string(),
            metric: metric.to_string(),
        }
    }
}

impl std::fmt::Display for MetricId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.scenario, self.metric)
    }
}

/// Times cannot be negative; other numbers may be: settings (`est_nice` = -5) and estimates
/// from differences of kernel counters (`kernel_bytes_per_dying_cgroup`, `dying_after_cleanup`
/// when the platform freed cgroups of its own meanwhile), which kcanary itself records.
pub fn cannot_be_negative(unit: &str) -> bool {
    unit == "ns"
}

/// The range every threshold must lie in, wherever it comes from (scenario file, results file,
/// command line): above 0 (a zero threshold makes every measurable difference matter) and at
/// most 10 (an 11x slowdown ignored is no gate at all).
pub const THRESHOLD_RANGE: (f64, f64) = (0.0, 10.0);

/// `Err(reason)` when `threshold` lies outside `THRESHOLD_RANGE` or is not a number.
pub fn check_threshold(threshold: f64) -> Result<(), String> {
    let (low, high) = THRESHOLD_RANGE;
    if threshold > low && threshold <= high {
        Ok(())
    } else {
        Err(format!(
            "threshold must be a fraction in ({low}, {high}] such as 0.10 (10%), found {threshold}"
        ))
    }
}

/// A scenario that did not run, and why (e.g. "kernel has no IP_VS").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    pub scenario: String,
    pub reason: String,
}
