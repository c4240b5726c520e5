//! Kernel histories: results of a series of kernels (one directory, append-only), change
//! points of every metric along the series, trend plots and a summary.
//!
//! `collection` reads a directory into kernels in version order (`version`), `collect`
//! boots the kernels it lacks, `detect` finds change points (`stats::change_point`),
//! `report` words them, `outputs` writes plots, the Markdown summary and Bencher files.

pub mod collect;
pub mod collection;
pub mod detect;
pub mod outputs;
pub mod report;
pub mod version;

pub use collection::{History, KernelEvidence, load_history};
pub use detect::{MetricHistory, detect};

/// Whether the newest kernel of the history made some metric worse by a change point right
/// before it: what a CI job adding one kernel per run fails on.
pub fn newest_kernel_regressed(history: &History, metrics: &[MetricHistory]) -> Vec<String> {
    let Some(newest) = history.kernels.last() else {
        return Vec::new();
    };
    metrics
        .iter()
        .filter(|m| {
            m.change_points().any(|s| {
                s.worse
                    && s.at + 1 == m.series.points.len()
                    && m.series.points[s.at].release == newest.release
            })
        })
        .map(|m| m.series.key.clone())
        .collect()
}
