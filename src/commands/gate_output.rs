//! What `check` and `compare` share: typed gate options from the flags, the rendered
//! outputs, and the exit code.

use crate::cli::{GateArgs, TableFormat};
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::gate::{Comparison, GateOptions, RunEvidence, Verdict};
use kcanary::report::export::{
    BencherExporter, ComparisonExporter, JsonExporter, JunitExporter, MarkdownExporter,
    TextExporter,
};
use kcanary::results::file::write_bytes_atomic;
use std::path::PathBuf;

pub fn gate_options(args: &GateArgs) -> Result<GateOptions> {
    let options = GateOptions {
        default_threshold: args.default_threshold,
        threshold_override: args.threshold,
        allow_missing: args.allow_missing,
        ignore_scenarios: args.ignore_scenarios.clone(),
        ..GateOptions::default()
    };
    options.validate().map_err(KcanaryError::Usage)?;
    Ok(options)
}

/// Prints the table, writes the requested files, and returns the exit code.
pub fn finish(args: &GateArgs, comparisons: &[Comparison]) -> Result<i32> {
    let table: &dyn ComparisonExporter = match args.format {
        TableFormat::Text => &TextExporter,
        TableFormat::Markdown => &MarkdownExporter,
    };
    print!("{}", table.render(comparisons));
    if let Some(path) = &args.junit {
        write_bytes_atomic(path, JunitExporter.render(comparisons).as_bytes())?;
    }
    if let Some(path) = &args.json {
        write_bytes_atomic(path, JsonExporter.render(comparisons).as_bytes())?;
    }
    if let Some(path) = &args.bencher {
        write_bytes_atomic(path, BencherExporter.render(comparisons).as_bytes())?;
    }
    Ok(exit_status(comparisons, args.fail_on_inconclusive))
}

/// 1 when a metric regressed (or, with `--fail-on-inconclusive`, is inconclusive); else 4
/// when a comparison is no evidence for a pass (nothing compared, baseline metrics missing);
/// else 0.
pub fn exit_status(comparisons: &[Comparison], fail_on_inconclusive: bool) -> i32 {
    let regressed = comparisons.iter().any(Comparison::has_regression);
    let inconclusive = comparisons
        .iter()
        .flat_map(|c| &c.metrics)
        .any(|m| m.verdict == Verdict::Inconclusive);
    if regressed || (fail_on_inconclusive && inconclusive) {
        exit_code::REGRESSION
    } else if comparisons.is_empty() || !comparisons.iter().all(Comparison::is_complete) {
        exit_code::INCOMPLETE
    } else {
        exit_code::OK
    }
}

/// Runs are labelled by file name; when two share one (a/results.json, b/results.json) the
/// paths as given tell them apart.
pub fn label_by_path_if_ambiguous(runs: &mut [RunEvidence], paths: &[PathBuf]) {
    let names: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    if (1..names.len()).any(|i| names[..i].contains(&names[i])) {
        for (run, path) in runs.iter_mut().zip(paths) {
            run.label = path.display().to_string();
        }
    }
}
