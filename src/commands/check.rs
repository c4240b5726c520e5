//! `kcanary check RESULTS --baseline PATH`: the CI gate.

use super::args::{gate_options, outputs};
use crate::cli::CheckArgs;
use kcanary::check::compare_files;
use kcanary::error::Result;

pub fn execute(args: CheckArgs) -> Result<i32> {
    let files = [args.baseline.clone(), args.results.clone()];
    let status = compare_files(&files, &gate_options(&args.gate), &outputs(&args.gate))?;
    Ok(status.exit_code())
}
