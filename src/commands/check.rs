//! `kcanary check RESULTS --baseline PATH`: the CI gate.

use super::gate_output::{finish, gate_options};
use crate::cli::CheckArgs;
use kcanary::error::Result;
use kcanary::gate::{compare_evidence, load_evidence};

pub fn execute(args: CheckArgs) -> Result<i32> {
    let options = gate_options(&args.gate)?;
    let baseline = load_evidence(&args.baseline)?;
    let candidate = load_evidence(&args.results)?;
    let comparison = compare_evidence(&baseline, &candidate, &options);
    finish(&args.gate, &[comparison])
}
