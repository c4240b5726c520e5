//! INTERIM comparison of two kernels' results: per-metric medians and a fixed relative
//! threshold. The gate (`src/gate/`, compare/check with proper statistics) replaces this:
//! `kcanary vm` and `bisect-step` reach it only through `commands::vm::compare_kernels`, so the
//! swap is one function body there. [`ensure_same_execution_mode`] stays either way.

use crate::error::{KcanaryError, Result};
use crate::report::table::format_value;
use crate::results::{Better, RunResults};
use std::fmt::Write;

/// Relative change that counts as a regression when the scenario sets no threshold.
pub const DEFAULT_THRESHOLD: f64 = 0.10;

pub struct MetricComparison {
    pub key: String,
    pub unit: String,
    pub baseline_median: f64,
    pub candidate_median: f64,
    /// (candidate - baseline) / baseline.
    pub change: f64,
    pub threshold: f64,
    pub regressed: bool,
}

pub struct Comparison {
    pub baseline_label: String,
    pub candidate_label: String,
    pub metrics: Vec<MetricComparison>,
    /// Metrics only one side has (a scenario skipped on one kernel, for instance).
    pub unmatched: Vec<String>,
    pub environment_differences: Vec<String>,
}

impl Comparison {
    pub fn has_regression(&self) -> bool {
        self.metrics.iter().any(|m| m.regressed)
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "baseline {} vs candidate {} (medians; interim check: change beyond threshold in the bad direction)",
            self.baseline_label, self.candidate_label
        );
        let header = [
            "scenario/metric",
            "baseline",
            "candidate",
            "change",
            "threshold",
            "verdict",
        ];
        let rows: Vec<[String; 6]> = self
            .metrics
            .iter()
            .map(|m| {
                [
                    m.key.clone(),
                    format_value(m.baseline_median, &m.unit),
                    format_value(m.candidate_median, &m.unit),
                    format!("{:+.1}%", m.change * 100.0),
                    format!("{:.0}%", m.threshold * 100.0),
                    if m.regressed {
                        "REGRESSED".into()
                    } else {
                        "ok".into()
                    },
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut line = |cells: Vec<&str>| {
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                let pad = " ".repeat(w - cell.chars().count());
                let _ = if i == 0 {
                    write!(out, "{cell}{pad}")
                } else {
                    write!(out, "  {pad}{cell}")
                };
            }
            out.push('\n');
        };
        line(header.to_vec());
        for row in &rows {
            line(row.iter().map(String::as_str).collect());
        }
        for key in &self.unmatched {
            let _ = writeln!(out, "{key}: only in one of the two runs, not compared");
        }
        for difference in &self.environment_differences {
            let _ = writeln!(out, "warning: {difference}");
        }
        out
    }
}

/// Results of different execution modes (host, TCG, TCG with icount, KVM) are refused: their
/// timings differ by design, not by kernel.
pub fn ensure_same_execution_mode(baseline: &RunResults, candidate: &RunResults) -> Result<()> {
    let (a, b) = (&baseline.environment, &candidate.environment);
    if a.execution_mode != b.execution_mode {
        return Err(KcanaryError::Usage(format!(
            "refusing to compare results of different execution modes: baseline ran as '{}', \
             candidate as '{}' (run both the same way, e.g. both with or both without --deterministic)",
            a.execution_mode, b.execution_mode
        )));
    }
    Ok(())
}

/// Compares `candidate` against `baseline`, metric by metric (medians).
pub fn compare_runs(baseline: &RunResults, candidate: &RunResults) -> Comparison {
    let (a, b) = (&baseline.environment, &candidate.environment);
    let mut comparison = Comparison {
        baseline_label: a.kernel_release.clone(),
        candidate_label: b.kernel_release.clone(),
        metrics: Vec::new(),
        unmatched: Vec::new(),
        environment_differences: a.differences(b),
    };
    for base in &baseline.results {
        let Some(cand) = candidate.results.iter().find(|c| c.key() == base.key()) else {
            comparison.unmatched.push(base.key());
            continue;
        };
        let threshold = cand
            .threshold
            .or(base.threshold)
            .unwrap_or(DEFAULT_THRESHOLD);
        let change = (cand.summary.p50 - base.summary.p50) / base.summary.p50;
        let regressed = match base.better {
            Better::Lower => change > threshold,
            Better::Higher => change < -threshold,
        };
        comparison.metrics.push(MetricComparison {
            key: base.key(),
            unit: base.unit.clone(),
            baseline_median: base.summary.p50,
            candidate_median: cand.summary.p50,
            change,
            threshold,
            regressed,
        });
    }
    for cand in &candidate.results {
        if !baseline.results.iter().any(|b| b.key() == cand.key()) {
            comparison.unmatched.push(cand.key());
        }
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Environment, MetricResult, SCHEMA_VERSION, SampleKind, Summary};

    fn run(mode: &str, release: &str, median: f64) -> RunResults {
        let samples = vec![median * 0.9, median, median * 1.1];
        RunResults {
            schema_version: SCHEMA_VERSION,
            environment: Environment {
                kernel_release: release.into(),
                execution_mode: mode.into(),
                ..Default::default()
            },
            results: vec![MetricResult {
                scenario: "swap".into(),
                metric: "latency".into(),
                unit: "ns".into(),
                better: Better::Lower,
                sample_kind: SampleKind::PerOperation,
                summary: Summary::of(&samples).unwrap(),
                samples,
                repetition_sizes: vec![3],
                threshold: None,
                parameters: Default::default(),
            }],
            skipped: vec![],
        }
    }

    #[test]
    fn slower_candidate_regresses_and_faster_does_not() {
        let baseline = run("qemu-tcg", "6.1", 100.0);
        let slow = compare_runs(&baseline, &run("qemu-tcg", "6.12", 150.0));
        assert!(slow.has_regression());
        assert!(slow.table().contains("REGRESSED"));
        assert!(!compare_runs(&baseline, &run("qemu-tcg", "6.12", 50.0)).has_regression());
        assert!(!compare_runs(&baseline, &run("qemu-tcg", "6.12", 105.0)).has_regression());
    }

    #[test]
    fn different_modes_are_refused() {
        let a = run("qemu-tcg", "6.1", 1.0);
        let error =
            ensure_same_execution_mode(&a, &run("qemu-tcg-icount", "6.1", 1.0)).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit_code::BAD_INPUT);
        assert!(error.to_string().contains("different execution modes"));
        ensure_same_execution_mode(&a, &a).unwrap();
    }
}
