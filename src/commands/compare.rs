//! `kcanary compare A B [C ...]`: kernels side by side, each against the first.

use super::gate_output::{finish, gate_options, label_by_path_if_ambiguous};
use crate::cli::CompareArgs;
use kcanary::error::{KcanaryError, Result};
use kcanary::gate::{compare_evidence, load_evidence};

pub fn execute(args: CompareArgs) -> Result<i32> {
    let options = gate_options(&args.gate)?;
    let mut runs = args
        .files
        .iter()
        .map(|f| load_evidence(f))
        .collect::<Result<Vec<_>>>()?;
    label_by_path_if_ambiguous(&mut runs, &args.files);
    let Some((baseline, candidates)) = runs.split_first().filter(|(_, rest)| !rest.is_empty())
    else {
        return Err(KcanaryError::Usage(
            "compare needs at least two files".into(),
        ));
    };
    let comparisons: Vec<_> = candidates
        .iter()
        .map(|candidate| compare_evidence(baseline, candidate, &options))
        .collect();
    finish(&args.gate, &comparisons)
}
