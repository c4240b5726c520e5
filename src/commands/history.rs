//! `kcanary history --from DIR [--kernel K ...] [SCENARIO...]`: add what is missing, then
//! change points per metric, trend plots and a summary. Exit 1 when the newest kernel made
//! a metric worse (a change point right before it), so a CI job adding one kernel per run
//! fails on the kernel that moved a metric.

use super::args::session_options;
use crate::cli::{HistoryArgs, TableFormat};
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::gate::GateOptions;
use kcanary::history::collect::collect_missing;
use kcanary::history::outputs::{write_bencher, write_report};
use kcanary::history::report::{markdown_summary, text_report};
use kcanary::history::{detect, load_history, newest_kernel_regressed};
use kcanary::vm::session::RoundPlan;

pub fn execute(args: HistoryArgs) -> Result<i32> {
    let options = GateOptions {
        default_threshold: args.default_threshold,
        threshold_override: args.threshold,
        alpha: args.alpha,
        ..GateOptions::default()
    };
    options.validate().map_err(KcanaryError::Usage)?;
    if args.rounds == 0 {
        return Err(KcanaryError::Usage("--rounds must be at least 1".into()));
    }
    if !args.kernels.is_empty() {
        let session = session_options(
            args.kernels.clone(),
            RoundPlan::Fixed(args.rounds),
            &args.run,
        );
        collect_missing(&session, &args.dir, &|line| eprintln!("{line}"))?;
    } else if !args.run.scenarios.is_empty() {
        return Err(KcanaryError::Usage(
            "scenarios name what to run on --kernel; without --kernel the history is only read"
                .into(),
        ));
    }
    let history = load_history(&args.dir)?;
    if let Some(warning) = history.mixed_builds_warning() {
        eprintln!("{warning}");
    }
    let metrics = detect(&history, &options);
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| args.dir.join("report"));
    let summary = write_report(&history, &metrics, &report_dir)?;
    match args.format {
        TableFormat::Text => print!("{}", text_report(&history, &metrics, options.alpha)),
        TableFormat::Markdown => print!("{}", markdown_summary(&history, &metrics, &|_| None)),
    }
    eprintln!("report: {} (trend plots beside it)", summary.display());
    if let Some(dir) = &args.bencher {
        for path in write_bencher(&history, dir)? {
            eprintln!("bencher: {}", path.display());
        }
    }
    let regressed = newest_kernel_regressed(&history, &metrics);
    if regressed.is_empty() {
        Ok(exit_code::OK)
    } else {
        eprintln!(
            "kcanary: the newest kernel, {}, made {} worse",
            history
                .kernels
                .last()
                .map(|k| k.release.as_str())
                .unwrap_or("?"),
            regressed.join(", ")
        );
        Ok(exit_code::REGRESSION)
    }
}
