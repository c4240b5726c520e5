//! Parsing and validating one scenario file.

use super::Scenario;
use crate::catalog;
use crate::error::{KcanaryError, Result};
use crate::results::check_threshold;
use crate::workload::{Params, WorkloadRef};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The TOML layout of a scenario file (documented in `scenarios/README.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioToml {
    name: String,
    #[serde(default)]
    description: String,
    workload: String,
    #[serde(default = "default_repetitions")]
    repetitions: usize,
    #[serde(default)]
    warmup: usize,
    threshold: Option<f64>,
    #[serde(default)]
    thresholds: BTreeMap<String, f64>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    params: toml::Table,
}

fn default_repetitions() -> usize {
    5
}

pub fn load_file(path: &Path) -> Result<Scenario> {
    let text = crate::text_input::read_document_once(path)?;
    parse_scenario(path, &text)
}

/// Parses scenario text; `path` names it in errors.
pub fn parse_scenario(path: &Path, text: &str) -> Result<Scenario> {
    let raw: ScenarioToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| line_of(text, span.start));
        KcanaryError::bad_input(path, line, e.message().to_string())
    })?;
    let bad = |key: &str, message: String| {
        KcanaryError::bad_input(path, find_key_line(text, key), message)
    };
    let workload = catalog::find(&raw.workload).ok_or_else(|| {
        let known: Vec<&str> = catalog::all().iter().map(|w| w.name()).collect();
        bad(
            "workload",
            format!(
                "unknown workload '{}' (known: {})",
                raw.workload,
                known.join(", ")
            ),
        )
    })?;
    super::check_repetitions("repetitions", raw.repetitions).map_err(|e| bad("repetitions", e))?;
    if raw.warmup > super::MAX_REPETITIONS {
        let max = super::MAX_REPETITIONS;
        return Err(bad("warmup", format!("warmup must be at most {max}")));
    }
    for (key, value) in raw
        .thresholds
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .chain(raw.threshold.map(|t| ("threshold", t)))
    {
        if let Err(e) = check_threshold(value) {
            return Err(bad(key, format!("'{key}': {e}")));
        }
    }
    let params = Params::resolve(workload.params(), &raw.params).map_err(|message| {
        let key = first_word_after_quote(&message)
            .unwrap_or("params")
            .to_string();
        bad(&key, message)
    })?;
    // The workload reads and judges its parameters as `run` will, before any kernel work: a
    // value it refuses points at that parameter's line; a name its code reads but never
    // declared is a bug in kcanary, reported here rather than as a panic mid-run.
    workload.check(&params).map_err(|e| {
        match first_word_after_quote(&e).filter(|key| raw.params.contains_key(*key)) {
            Some(key) => bad(key, e.clone()),
            None => bad(
                "workload",
                format!(
                    "workload '{}' cannot read its parameters: {e}",
                    raw.workload
                ),
            ),
        }
    })?;
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        workload: WorkloadRef::Static(workload),
        params,
        repetitions: raw.repetitions,
        warmup: raw.warmup,
        threshold: raw.threshold,
        metric_thresholds: raw.thresholds,
        tags: raw.tags,
        source: path.to_path_buf(),
    })
}

/// 1-based line number of byte offset `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line where `key = ...` is written, to point errors found after parsing.
fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(key) && l[key.len()..].trim_start().starts_with('=')
        })
        .map(|i| i + 1)
}

/// The line of `key = ...` in the scenario file at `path`, for errors found while running
/// (the file is read again: only on that error path).
pub fn key_line_in_file(path: &Path, key: &str) -> Option<usize> {
    find_key_line(&std::fs::read_to_string(path).ok()?, key)
}

/// The parameter name quoted in a parameter error ("unknown parameter 'setz' ...").
fn first_word_after_quote(message: &str) -> Option<&str> {
    let start = message.find('\'')? + 1;
    let end = start + message[start..].find('\'')?;
    Some(&message[start..end])
}
