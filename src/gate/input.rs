//! The files the gate reads: a results file or a baseline file, told apart by the
//! baseline's `kind` field, each turned into the same `RunEvidence`. The only module that
//! knows both formats, so `evidence` (what is compared) and `baseline` (one file format)
//! do not need each other both ways.

use super::baseline::{BASELINE_KIND, BaselineFile};
use super::evidence::RunEvidence;
use crate::error::KcanaryError;
use crate::results::RunResults;
use crate::results::file::parse_results;
use std::path::{Path, PathBuf};

/// What a file given to the gate turned out to be.
pub enum GateInput {
    Results(RunResults),
    Baseline(BaselineFile),
}

/// Reads a results file or a baseline file (told apart by the baseline's `kind` field).
pub fn read_gate_input(path: &Path) -> Result<GateInput, KcanaryError> {
    let text = crate::text_input::read_document_once(path)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        KcanaryError::bad_input(path, Some(e.line()), format!("not valid JSON: {e}"))
    })?;
    if value.get("kind").and_then(|k| k.as_str()) == Some(BASELINE_KIND) {
        BaselineFile::from_json(path, value).map(GateInput::Baseline)
    } else {
        parse_results(path, &text).map(GateInput::Results)
    }
}

/// Loads either kind of file as gate evidence, labelled with the file name.
pub fn load_evidence(path: &Path) -> Result<RunEvidence, KcanaryError> {
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(match read_gate_input(path)? {
        GateInput::Results(run) => RunEvidence::from_results(label, &run),
        GateInput::Baseline(baseline) => baseline.to_evidence(label),
    })
}

/// Loads several files, labelled by file name; when two share one (a/results.json,
/// b/results.json) the paths as given tell them apart.
pub fn load_evidence_files(paths: &[PathBuf]) -> Result<Vec<RunEvidence>, KcanaryError> {
    let mut runs = paths
        .iter()
        .map(|path| load_evidence(path))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    if (1..names.len()).any(|i| names[..i].contains(&names[i])) {
        for (run, path) in runs.iter_mut().zip(paths) {
            run.label = path.display().to_string();
        }
    }
    Ok(runs)
}
