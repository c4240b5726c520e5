//! Scenarios: a workload, its parameters, repetitions, warm-up and regression thresholds,
//! kept as TOML data. The default suite is compiled into the binary from `scenarios/`.

pub mod builtin;
pub mod file;
pub mod overrides;

use crate::workload::{Params, WorkloadRef};

/// The most repetitions (or warm-up repetitions) a scenario may ask for. Each repetition
/// runs in a fresh namespace and keeps its samples in memory; 10,000 is far beyond what a
/// gate needs and still bounded.
pub const MAX_REPETITIONS: usize = 10_000;

/// Checks a repetition count against `1..=MAX_REPETITIONS`; the error names `what`.
pub fn check_repetitions(what: &str, repetitions: usize) -> Result<(), String> {
    if (1..=MAX_REPETITIONS).contains(&repetitions) {
        return Ok(());
    }
    Err(format!(
        "{what} must be between 1 and {MAX_REPETITIONS}, found {repetitions}"
    ))
}
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A validated scenario, ready to run.
#[derive(Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Borrowed from the catalog, or owned when built at run time (a replay file).
    pub workload: WorkloadRef,
    pub params: Params,
    /// Measured repetitions, each in fresh isolation (the unit of statistical evidence).
    pub repetitions: usize,
    /// Repetitions run first and thrown away (caches, table growth, first-touch effects).
    pub warmup: usize,
    /// Smallest relative change that matters for every metric of this scenario.
    pub threshold: Option<f64>,
    /// Per-metric overrides of `threshold`.
    pub metric_thresholds: BTreeMap<String, f64>,
    /// "default" puts the scenario in the suite that `kcanary run` runs without arguments.
    pub tags: Vec<String>,
    /// Where it came from: a file path, or `builtin:<file name>`.
    pub source: PathBuf,
}

impl Scenario {
    pub fn threshold_for(&self, metric: &str) -> Option<f64> {
        self.metric_thresholds
            .get(metric)
            .copied()
            .or(self.threshold)
    }

    pub fn in_default_suite(&self) -> bool {
        self.tags.iter().any(|t| t == "default")
    }
}

pub use builtin::{
    ScenarioWord, Selection, builtin_scenarios, builtin_text, resolve, resolve_words, select,
};
pub use file::{load_file, parse_scenario};

/// Where scenario files and names are resolved from.
pub fn user_scenario_dir() -> PathBuf {
    PathBuf::from("scenarios")
}
