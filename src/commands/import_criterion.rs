//! `kcanary import-criterion DIR`: criterion's measurements as a kcanary results file.

use crate::cli::ImportCriterionArgs;
use kcanary::error::{Result, exit_code};
use kcanary::results::criterion::{import_criterion, import_criterion_runs};
use kcanary::results::file::write_json_atomic;
use kcanary::results::{Environment, ExecutionMode};

pub fn execute(args: ImportCriterionArgs) -> Result<i32> {
    // criterion ran on this machine, so this machine's fingerprint describes the numbers.
    let environment = Environment::capture(ExecutionMode::Host);
    let run = match args.dirs.as_slice() {
        [dir] => import_criterion(dir, &args.saved, environment)?,
        dirs => {
            let dirs: Vec<&std::path::Path> = dirs.iter().map(|d| d.as_path()).collect();
            import_criterion_runs(&dirs, &args.saved, environment)?
        }
    };
    write_json_atomic(&args.out, &run)?;
    println!("{}: {} benchmarks", args.out.display(), run.results.len());
    Ok(exit_code::OK)
}
