//! `kcanary check RESULTS --baseline PATH`: the CI gate.

use super::gate_output::{finish, gate_options, label_by_path_if_ambiguous};
use crate::cli::CheckArgs;
use kcanary::error::Result;
use kcanary::gate::{compare_evidence, load_evidence};

pub fn execute(args: CheckArgs) -> Result<i32> {
    let options = gate_options(&args.gate)?;
    let mut runs = [
        load_evidence(&args.baseline)?,
        load_evidence(&args.results)?,
    ];
    label_by_path_if_ambiguous(&mut runs, &[args.baseline.clone(), args.results.clone()]);
    let [baseline, candidate] = &runs;
    let comparison = compare_evidence(baseline, candidate, &options);
    finish(&args.gate, &[comparison])
}
