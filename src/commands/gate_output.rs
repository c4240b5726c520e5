//! What `check` and `compare` share: typed gate options from the flags, the rendered
//! outputs, and the exit code.

use crate::cli::{GateArgs, TableFormat};
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::gate::{Comparison, GateOptions, Verdict};
use kcanary::report::export::{
    BencherExporter, ComparisonExporter, JunitExporter, MarkdownExporter, TextExporter,
};
use kcanary::results::file::write_bytes_atomic;

pub fn gate_options(args: &GateArgs) -> Result<GateOptions> {
    let options = GateOptions {
        default_threshold: args.default_threshold,
        threshold_override: args.threshold,
        ..GateOptions::default()
    };
    if let Some(t) = args.threshold {
        check_threshold("--threshold", t)?;
    }
    check_threshold("--default-threshold", args.default_threshold)?;
    options.validate().map_err(KcanaryError::Usage)?;
    Ok(options)
}

fn check_threshold(flag: &str, value: f64) -> Result<()> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(KcanaryError::Usage(format!(
            "{flag} must be a positive fraction such as 0.10 (10%), found {value}"
        )))
    }
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
    if let Some(path) = &args.bencher {
        write_bytes_atomic(path, BencherExporter.render(comparisons).as_bytes())?;
    }
    let regressed = comparisons.iter().any(Comparison::has_regression);
    let inconclusive = comparisons
        .iter()
        .flat_map(|c| &c.metrics)
        .any(|m| m.verdict == Verdict::Inconclusive);
    Ok(
        if regressed || (args.fail_on_inconclusive && inconclusive) {
            exit_code::REGRESSION
        } else {
            exit_code::OK
        },
    )
}
