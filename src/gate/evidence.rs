//! What the gate compares: per metric, one value per repetition plus what is needed to
//! label and judge it. Built from a full results file here, or from a baseline file
//! (`BaselineFile::to_evidence`), so either can be the baseline of a check. Reading either
//! kind of file is `input`'s job; this module knows neither file format.

use crate::results::{
    Better, Environment, MetricId, MetricResult, MetricRole, RunResults, SampleKind, Skipped,
    Summary, cannot_be_negative, check_threshold,
};
use crate::stats::repetition_values;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

    pub fn id(&self) -> MetricId {
        MetricId::new(&self.scenario, &self.metric)
    }

    /// The id as "scenario/metric", as reports show it.
    pub fn key(&self) -> String {
        self.id().to_string()
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
}
