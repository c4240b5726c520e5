//! `kcanary compare A B [C ...]`: kernels side by side, each against the first.

use super::args::{gate_options, outputs};
use crate::cli::CompareArgs;
use kcanary::check::compare_files;
use kcanary::error::Result;

pub fn execute(args: CompareArgs) -> Result<i32> {
    let status = compare_files(&args.files, &gate_options(&args.gate), &outputs(&args.gate))?;
    Ok(status.exit_code())
}
