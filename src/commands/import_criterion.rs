//! `kcanary import-criterion DIR`: criterion's measurements as a kcanary results file.

use crate::cli::ImportCriterionArgs;
use kcanary::error::{Result, exit_code};
use kcanary::results::Environment;
use kcanary::results::criterion::import_criterion;
use kcanary::results::file::write_json_atomic;

pub fn execute(args: ImportCriterionArgs) -> Result<i32> {
    // criterion ran on this machine, so this machine's fingerprint describes the numbers.
    let run = import_criterion(&args.dir, &args.saved, Environment::capture("host"))?;
    write_json_atomic(&args.out, &run)?;
    println!("{}: {} benchmarks", args.out.display(), run.results.len());
    Ok(exit_code::OK)
}
