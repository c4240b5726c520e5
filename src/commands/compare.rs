//! `kcanary compare A B [C ...]`: kernels side by side, each against the first.

use super::gate_output::{finish, gate_options};
use crate::cli::CompareArgs;
use kcanary::error::Result;
use kcanary::gate::{compare_evidence, load_evidence};

pub fn execute(args: CompareArgs) -> Result<i32> {
    let options = gate_options(&args.gate)?;
    let runs = args
        .files
        .iter()
        .map(|f| load_evidence(f))
        .collect::<Result<Vec<_>>>()?;
    let (baseline, candidates) = runs.split_first().expect("clap requires two files");
    let comparisons: Vec<_> = candidates
        .iter()
        .map(|candidate| compare_evidence(baseline, candidate, &options))
        .collect();
    finish(&args.gate, &comparisons)
}
