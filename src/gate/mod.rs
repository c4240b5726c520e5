//! The regression gate: pairs the metrics of a baseline and a candidate run, compares each
//! pair with the statistics of `stats/`, and gives a verdict per metric. Method, thresholds
//! and baseline layout are documented in `docs/gate.md`.

pub mod baseline;
pub mod compact_json;
pub mod compare;
pub mod evidence;
pub mod input;
pub mod mode;
pub mod options;
pub mod status;
pub mod verdict;

pub use compare::{
    Comparison, EffectScale, GroupSummary, MetricComparison, OneSidedMetric, compare_evidence,
    compare_runs,
};
pub use evidence::{MetricEvidence, RunEvidence};
pub use input::{load_evidence, load_evidence_files};
pub use options::GateOptions;
pub use status::GateStatus;
pub use verdict::Verdict;
