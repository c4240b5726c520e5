//! Attribution: why a metric moved. One extra repetition of a scenario runs with kernel
//! tracing on, after (and apart from) the measured repetitions, so tracing never touches a
//! sample the verdict uses (`capture`); the traces of two kernels are then compared (`diff`).
//!
//! The method depends on the kernel and on what the workload declares
//! (`Workload::entry_points`): the `function_graph` tracer below the workload's kernel entry
//! functions; the `function` tracer's call counts where there is no graph tracer; the
//! timer/softirq tracepoints for latency probes; and where no function tracer is usable, the
//! scheduler's `sched_switch` tracepoint (how long kcanary's own tasks were off the CPU per
//! operation). What was used, and why not something better, is stated in `notes`.

pub mod capture;
pub mod diff;

use crate::tracefs::events::EventProfile;
use crate::tracefs::graph::GraphProfile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a trace was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `function_graph` limited to the entry functions: calls and time per call path.
    FunctionGraph,
    /// `function` tracer filtered to the entry functions: calls only.
    FunctionCounts,
    /// Tracepoints: timer callbacks, softirqs, kcanary's off-CPU time.
    Tracepoints,
    /// Nothing usable on this kernel (the notes say why).
    None,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::FunctionGraph => "function_graph tracer",
            Method::FunctionCounts => "function tracer (call counts only)",
            Method::Tracepoints => "tracepoints",
            Method::None => "none",
        })
    }
}

/// One scenario's traced repetition on one kernel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attribution {
    pub scenario: String,
    pub method: Method,
    /// What was traced and what was missing, in words ("no function_graph tracer: ...").
    pub notes: Vec<String>,
    /// Functions given to the tracer, or events enabled.
    pub traced: Vec<String>,
    /// Operations in the traced repetition: completed calls of the entry functions (graph),
    /// else the samples of the scenario's first per-operation metric; 0 when unknown.
    pub operations: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<GraphProfile>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub function_counts: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<EventProfile>,
    /// Events the ring buffer dropped: the figures above are then lower bounds.
    pub lost_events: u64,
    /// Median of each metric in the traced repetition (its samples are never used for a
    /// verdict): against the measured median it shows the tracing overhead.
    pub traced_medians: BTreeMap<String, f64>,
    /// Wall time of the traced repetition, seconds.
    pub traced_seconds: f64,
    /// The beginning of the raw trace text, for a human to check the figures.
    pub trace_excerpt: String,
}

impl Attribution {
    fn new(scenario: &str) -> Attribution {
        Attribution {
            scenario: scenario.to_string(),
            method: Method::None,
            notes: Vec::new(),
            traced: Vec::new(),
            operations: 0,
            graph: None,
            function_counts: BTreeMap::new(),
            events: None,
            lost_events: 0,
            traced_medians: BTreeMap::new(),
            traced_seconds: 0.0,
            trace_excerpt: String::new(),
        }
    }
}

/// Traces one more repetition of each scenario that ran (skipped ones have nothing to
/// explain), after all measured repetitions are done: `kcanary run --explain` and the guest
/// of `kcanary vm --explain`. tracefs is mounted under `mount_parent` and unmounted after
/// each scenario.
pub fn explain_scenarios(
    scenarios: &[crate::scenario::Scenario],
    run: &crate::results::RunResults,
    mount_parent: &std::path::Path,
    status: &dyn Fn(&str),
) -> Vec<Attribution> {
    let mut attributions = Vec::new();
    for scenario in scenarios {
        if run.skipped.iter().any(|s| s.scenario == scenario.name) {
            continue;
        }
        status(&format!(
            "{}: one traced repetition (attribution)",
            scenario.name
        ));
        let attribution = capture::attribute(scenario, mount_parent);
        status(&format!(
            "{}: traced with {} ({} operations, {:.1} s)",
            scenario.name, attribution.method, attribution.operations, attribution.traced_seconds
        ));
        attributions.push(attribution);
    }
    attributions
}

/// The traced repetition's median against the measured one, per metric both have: the cost
/// of tracing (1.0 = none). Only time metrics (ns) with a positive measured median; for a
/// per-repetition metric the traced value is one repetition's.
pub fn overhead(attribution: &Attribution, run: &crate::results::RunResults) -> Vec<(String, f64)> {
    run.results
        .iter()
        .filter(|m| m.scenario == attribution.scenario)
        .filter(|m| m.unit == "ns")
        .filter(|m| m.summary.p50 > 0.0)
        .filter_map(|m| {
            let traced = attribution.traced_medians.get(&m.metric)?;
            Some((m.metric.clone(), traced / m.summary.p50))
        })
        .collect()
}

/// Where the attributions of a results file go: "x.json" → "x.attribution.json".
pub fn attribution_path(results: &std::path::Path) -> std::path::PathBuf {
    results.with_extension("attribution.json")
}
