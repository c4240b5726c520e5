//! `kcanary check` and `kcanary compare` as one library call: load stored results or
//! baseline files, compare every further file against the first, write the outputs, and
//! say what it adds up to. (The VM runner's counterpart is `vm::compare`.)

use crate::error::{KcanaryError, Result};
use crate::gate::{
    Comparison, GateOptions, GateStatus, RunEvidence, compare_evidence, load_evidence_files,
};
use crate::report::export::Outputs;
use std::path::PathBuf;

/// `paths[0]` is the baseline of every other file. Bad options and unreadable files are
/// refused before anything is written.
pub fn compare_files(
    paths: &[PathBuf],
    options: &GateOptions,
    outputs: &Outputs,
) -> Result<GateStatus> {
    options.validate().map_err(KcanaryError::Usage)?;
    let runs = load_evidence_files(paths)?;
    let Some((baseline, candidates)) = runs.split_first().filter(|(_, rest)| !rest.is_empty())
    else {
        return Err(KcanaryError::Usage(
            "compare needs at least two files".into(),
        ));
    };
    compare_and_write(baseline, candidates, options, outputs)
}

/// Compares every candidate with `baseline`, writes the renderings `outputs` asks for and
/// returns the gate's status: the end of `check`, `compare`, `vm` and `bisect-step`.
pub fn compare_and_write(
    baseline: &RunEvidence,
    candidates: &[RunEvidence],
    options: &GateOptions,
    outputs: &Outputs,
) -> Result<GateStatus> {
    compare_annotate_and_write(baseline, candidates, options, outputs, &|_, _| {})
        .map(|(status, _)| status)
}

/// `compare_and_write`, letting `annotate` add to each comparison (the index is the
/// candidate's) before it is written: `vm --explain` adds the attribution there. The
/// comparisons come back too, for what is written after them (an evidence bundle).
pub fn compare_annotate_and_write(
    baseline: &RunEvidence,
    candidates: &[RunEvidence],
    options: &GateOptions,
    outputs: &Outputs,
    annotate: &dyn Fn(usize, &mut Comparison),
) -> Result<(GateStatus, Vec<Comparison>)> {
    let mut comparisons: Vec<_> = candidates
        .iter()
        .map(|candidate| compare_evidence(baseline, candidate, options))
        .collect();
    for (index, comparison) in comparisons.iter_mut().enumerate() {
        annotate(index, comparison);
    }
    outputs.write(&comparisons)?;
    Ok((GateStatus::of(&comparisons, options), comparisons))
}
