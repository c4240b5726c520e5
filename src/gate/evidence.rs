//! What the gate compares: per metric, one value per repetition plus what is needed to
//! label and judge it. Built from a full results file or from a baseline file, so either
//! can be the baseline of a check.

use super::baseline::{BASELINE_KIND, BaselineFile};
use crate::error::KcanaryError;
use crate::results::file::parse_results;
use crate::results::{
    Better, Environment, MetricResult, MetricRole, RunResults, SampleKind, Skipped, Summary,
    cannot_be_negative, check_threshold,
};
use crate::stats::repetition_values;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Also the core of a baseline file's metric (`BaselineMetric` flattens it), so the two stay
/// the same by construction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricEvidence {
    pub scenario: String,
    pub metric: String,
    pub unit: String,
    pub better: Better,
    pub sample_kind: SampleKind,
    /// Absent in baselines written before roles existed (see `MetricRole::inferred`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MetricRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// One value per repetition (see `stats::repetition_values`).
    pub repetition_values: Vec<f64>,
    /// Summary over all raw samples (for tables; not used for verdicts).
    pub summary: Summary,
    /// The median of each separate run's repetition values, when this evidence pools several
    /// runs of one kernel (a baseline saved from A/A runs): their spread is the between-run
    /// drift that within-run repetitions cannot show. Empty for a single run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_medians: Vec<f64>,
}

impl MetricEvidence {
    /// The evidence of one metric of a results file.
    pub fn of(m: &MetricResult) -> MetricEvidence {
        MetricEvidence {
            scenario: m.scenario.clone(),
            metric: m.metric.clone(),
            unit: m.unit.clone(),
            better: m.better,
            sample_kind: m.sample_kind,
            role: m.role,
            threshold: m.threshold,
            parameters: m.parameters.clone(),
            repetition_values: repetition_values(m),
            summary: m.summary.clone(),
            run_medians: Vec::new(),
        }
    }

    pub fn key(&self) -> String {
        format!("{}/{}", self.scenario, self.metric)
    }

    /// The recorded role, or the one inferred for an older file.
    pub fn role(&self) -> MetricRole {
        self.role
            .unwrap_or_else(|| MetricRole::inferred(&self.metric, &self.unit))
    }

    /// Checks what a hand-edited or damaged baseline could get wrong: values present and
    /// finite, times not negative, the threshold in range.
    pub fn validate(&self) -> Result<(), String> {
        let key = self.key();
        if self.repetition_values.is_empty() {
            return Err(format!("{key}: no repetition values"));
        }
        let all = self.repetition_values.iter().chain(&self.run_medians);
        if all.clone().any(|v| !v.is_finite()) {
            return Err(format!("{key}: a repetition value is not a finite number"));
        }
        if cannot_be_negative(&self.unit)
            && let Some(bad) = all.clone().find(|v| **v < 0.0)
        {
            return Err(format!(
                "{key}: negative value {bad} ({} cannot be negative)",
                self.unit
            ));
        }
        if let Some(t) = self.threshold {
            check_threshold(t).map_err(|e| format!("{key}: {e}"))?;
        }
        Ok(())
    }

    /// How many separate runs these values pool (1 unless saved from several runs).
    pub fn runs(&self) -> usize {
        self.run_medians.len().max(1)
    }
}

#[derive(Debug, Clone)]
pub struct RunEvidence {
    /// How reports name this run: the file name, or what a library caller chose.
    pub label: String,
    pub environment: Environment,
    pub metrics: Vec<MetricEvidence>,
    pub skipped: Vec<Skipped>,
}

impl RunEvidence {
    pub fn from_results(label: impl Into<String>, run: &RunResults) -> RunEvidence {
        let metrics = run.results.iter().map(MetricEvidence::of).collect();
        RunEvidence {
            label: label.into(),
            environment: run.environment.clone(),
            metrics,
            skipped: run.skipped.clone(),
        }
    }

    pub fn from_baseline(label: impl Into<String>, baseline: &BaselineFile) -> RunEvidence {
        let metrics = baseline
            .metrics
            .iter()
            .map(|m| m.evidence.clone())
            .collect();
        RunEvidence {
            label: label.into(),
            environment: baseline.environment.clone(),
            metrics,
            skipped: baseline.skipped.clone(),
        }
    }
}

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
        GateInput::Baseline(baseline) => RunEvidence::from_baseline(label, &baseline),
    })
}
