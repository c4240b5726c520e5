//! The plain-text table of a run's results printed at the end of `kcanary run`.

use crate::results::RunResults;
use std::fmt::Write;

/// Formats a value of `unit` compactly: nanoseconds become µs/ms/s.
pub fn format_value(value: f64, unit: &str) -> String {
    if unit != "ns" {
        return if value.fract() == 0.0 && value.abs() < 1e15 {
            format!("{value:.0} {unit}")
        } else {
            format!("{value:.3} {unit}")
        };
    }
    let abs = value.abs();
    if abs >= 1e9 {
        format!("{:.3} s", value / 1e9)
    } else if abs >= 1e6 {
        format!("{:.2} ms", value / 1e6)
    } else if abs >= 1e3 {
        format!("{:.2} µs", value / 1e3)
    } else {
        format!("{value:.0} ns")
    }
}

/// The results table: one row per metric with n and the main percentiles.
pub fn results_table(run: &RunResults) -> String {
    let mut out = String::new();
    let env = &run.environment;
    let _ = writeln!(
        out,
        "kernel {} ({}), {} CPUs, {}",
        env.kernel_release, env.execution_mode, env.cpus, env.cpu_model
    );
    let header = ["scenario/metric", "n", "reps", "p50", "p90", "p99", "max"];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for r in &run.results {
        let s = &r.summary;
        rows.push([
            r.key(),
            s.n.to_string(),
            r.repetition_sizes.len().to_string(),
            format_value(s.p50, &r.unit),
            format_value(s.p90, &r.unit),
            format_value(s.p99, &r.unit),
            format_value(s.max, &r.unit),
        ]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 0 {
                let _ = write!(out, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "  {}{cell}", " ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    for s in &run.skipped {
        let _ = writeln!(out, "{}: skipped: {}", s.scenario, s.reason);
    }
    out
}
