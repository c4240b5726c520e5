//! `kcanary plot RESULTS... --out DIR`: SVG and PNG plots of results files.

use crate::cli::PlotArgs;
use kcanary::error::KcanaryError;
use kcanary::error::{Result, exit_code};
use kcanary::gate::input::{GateInput, read_gate_input};
use kcanary::report::plot::{PlotInput, plot_runs};

pub fn execute(args: PlotArgs) -> Result<i32> {
    let mut runs = Vec::new();
    for path in &args.results {
        let run = match read_gate_input(path)? {
            GateInput::Results(run) => run,
            GateInput::Baseline(_) => {
                return Err(KcanaryError::bad_input(
                    path,
                    None,
                    "this is a baseline file: it keeps no raw samples to plot; give the results file it was saved from",
                ));
            }
        };
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label = match run.environment.kernel_release.as_str() {
            "" => name,
            release => format!("{name} ({release})"),
        };
        runs.push(PlotInput { label, run });
    }
    if runs.iter().all(|input| input.run.results.is_empty()) {
        return Err(KcanaryError::Usage(nothing_to_plot(&runs)));
    }
    for path in plot_runs(&runs, &args.out)? {
        println!("{}", path.display());
    }
    Ok(exit_code::OK)
}

/// Says why there is nothing to draw: a silent exit would look like success.
fn nothing_to_plot(runs: &[PlotInput]) -> String {
    let skipped: Vec<String> = runs
        .iter()
        .flat_map(|input| &input.run.skipped)
        .map(|s| format!("{}: {}", s.scenario, s.reason))
        .collect();
    if skipped.is_empty() {
        "nothing to plot: the results files hold no metrics".to_string()
    } else {
        format!(
            "nothing to plot: the results files hold no metrics (skipped: {})",
            skipped.join("; ")
        )
    }
}
