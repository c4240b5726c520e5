//! `kcanary plot RESULTS... --out DIR`: SVG and PNG plots of results files.

use crate::cli::PlotArgs;
use kcanary::error::{Result, exit_code};
use kcanary::report::plot::{PlotInput, plot_runs};
use kcanary::results::file::read_results;

pub fn execute(args: PlotArgs) -> Result<i32> {
    let mut runs = Vec::new();
    for path in &args.results {
        let run = read_results(path)?;
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
    for path in plot_runs(&runs, &args.out)? {
        println!("{}", path.display());
    }
    Ok(exit_code::OK)
}
