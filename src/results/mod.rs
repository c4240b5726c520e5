//! What a run produced: samples per metric, the environment they were measured in, and the
//! versioned JSON file that carries both. Reports and the gate only ever read these types.

pub mod criterion;
pub mod environment;
pub mod file;
pub mod summary;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use environment::Environment;
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

/// The samples of one metric of one scenario, over all its measured repetitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricResult {
    pub scenario: String,
    pub metric: String,
    pub unit: String,
    pub better: Better,
    pub sample_kind: SampleKind,
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

    /// "scenario/metric": the key under which the gate pairs metrics of two runs.
    pub fn key(&self) -> String {
        format!("{}/{}", self.scenario, self.metric)
    }

    /// Checks the invariants a reader relies on (sizes add up, no NaN), so that a hand-edited
    /// or truncated file is rejected with a reason instead of panicking later.
    pub fn validate(&self) -> Result<(), String> {
        let total: usize = self.repetition_sizes.iter().sum();
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
        Ok(())
    }
}

/// A scenario that did not run, and why (e.g. "kernel has no IP_VS").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    pub scenario: String,
    pub reason: String,
}
