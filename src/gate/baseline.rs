//! Baseline files: a compact, reviewable digest of a results file, stored under
//! `baselines/<machine-class>/<kernel-release>/<label>.json`. They keep what the gate
//! needs (one value per repetition) and what a reviewer or a plot wants to see (summary
//! quantiles and a log2 histogram of all samples), not the raw samples: kilobytes, not
//! megabytes.

use super::evidence::{MetricEvidence, RunEvidence};
use crate::error::KcanaryError;
use crate::results::summary::median;
use crate::results::{Environment, MetricRole, RunResults, Skipped, Summary};
use crate::stats::Log2Histogram;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `kind` field that tells a baseline file from a results file.
pub const BASELINE_KIND: &str = "kcanary-baseline";
/// Bumped whenever a field changes meaning; readers refuse other versions.
pub const BASELINE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineFile {
    pub kind: String,
    pub baseline_version: u32,
    pub label: String,
    /// The results file this baseline was made from (as given on the command line).
    pub source: String,
    pub saved_at_unix: u64,
    pub environment: Environment,
    pub metrics: Vec<BaselineMetric>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineMetric {
    /// Names, direction, threshold, parameters, one value per repetition (what the gate's
    /// statistics use) and the summary quantiles of all raw samples.
    #[serde(flatten)]
    pub evidence: MetricEvidence,
    /// Raw samples per repetition in the source file.
    pub repetition_sizes: Vec<usize>,
    /// Shape of all raw samples.
    pub histogram: Log2Histogram,
}

impl BaselineFile {
    pub fn from_results(run: &RunResults, label: &str, source: &str) -> BaselineFile {
        let metrics = run
            .results
            .iter()
            .map(|m| BaselineMetric {
                evidence: MetricEvidence::of(m),
                repetition_sizes: m.repetition_sizes.clone(),
                histogram: Log2Histogram::of(&m.samples),
            })
            .collect();
        BaselineFile {
            kind: BASELINE_KIND.to_string(),
            baseline_version: BASELINE_VERSION,
            label: label.to_string(),
            source: source.to_string(),
            saved_at_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            environment: run.environment.clone(),
            metrics,
            skipped: run.skipped.clone(),
        }
    }

    /// A baseline pooled from several runs of one kernel (A/A runs): each metric keeps the
    /// repetition values of every run, and the median of each run (`run_medians`), whose
    /// spread is the between-run drift the gate folds into its intervals. Refuses runs of
    /// different kernels or execution modes, and runs without a single metric to compare
    /// against (a baseline that would let anything pass).
    pub fn from_runs(
        runs: &[(PathBuf, RunResults)],
        label: &str,
    ) -> Result<BaselineFile, KcanaryError> {
        let Some(((first_path, first), others)) = runs.split_first() else {
            return Err(KcanaryError::Usage("no results file to save".into()));
        };
        for (path, run) in runs {
            if !run.results.iter().any(|m| m.role() != MetricRole::Setting) {
                let skipped: Vec<String> = run
                    .skipped
                    .iter()
                    .map(|s| format!("{}: {}", s.scenario, s.reason))
                    .collect();
                return Err(KcanaryError::bad_input(
                    path,
                    None,
                    format!(
                        "holds no metric to compare against{}; a baseline made of it would \
                         let any candidate pass",
                        if skipped.is_empty() {
                            String::new()
                        } else {
                            format!(" (skipped: {})", skipped.join("; "))
                        }
                    ),
                ));
            }
        }
        for (path, run) in others {
            for (what, a, b) in [
                (
                    "kernel release",
                    first.environment.kernel_release.as_str(),
                    run.environment.kernel_release.as_str(),
                ),
                (
                    "execution mode",
                    first.environment.execution_mode.as_str(),
                    run.environment.execution_mode.as_str(),
                ),
            ] {
                if a != b {
                    return Err(KcanaryError::bad_input(
                        path,
                        None,
                        format!(
                            "{what} '{b}' differs from {}'s '{a}': a baseline pools runs of \
                             one kernel in one mode",
                            first_path.display()
                        ),
                    ));
                }
            }
        }
        let sources: Vec<String> = runs.iter().map(|(p, _)| p.display().to_string()).collect();
        let mut baseline = BaselineFile::from_results(first, label, &sources.join(", "));
        if others.is_empty() {
            return Ok(baseline);
        }
        for metric in &mut baseline.metrics {
            let id = metric.evidence.id();
            let mut samples = Vec::new();
            let (mut values, mut sizes, mut run_medians) = (Vec::new(), Vec::new(), Vec::new());
            for (_, run) in runs {
                let Some(m) = run.results.iter().find(|m| m.id() == id) else {
                    continue;
                };
                let run_values = MetricEvidence::of(m).repetition_values;
                run_medians.extend(median(&run_values));
                values.extend(run_values);
                sizes.extend(&m.repetition_sizes);
                samples.extend(&m.samples);
            }
            metric.evidence.repetition_values = values;
            metric.evidence.run_medians = if run_medians.len() > 1 {
                run_medians
            } else {
                Vec::new()
            };
            if let Some(summary) = Summary::of(&samples) {
                metric.evidence.summary = summary;
            }
            metric.repetition_sizes = sizes;
            metric.histogram = Log2Histogram::of(&samples);
        }
        Ok(baseline)
    }

    /// Decodes and validates an already parsed baseline document (`path` names errors).
    pub fn from_json(path: &Path, value: serde_json::Value) -> Result<BaselineFile, KcanaryError> {
        let version = value.get("baseline_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(BASELINE_VERSION)) {
            return Err(KcanaryError::bad_input(
                path,
                None,
                format!(
                    "baseline_version {} is not supported (this kcanary reads {BASELINE_VERSION})",
                    version
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "missing".into())
                ),
            ));
        }
        let baseline: BaselineFile = serde_json::from_value(value).map_err(|e| {
            KcanaryError::bad_input(path, None, format!("not a kcanary baseline file: {e}"))
        })?;
        for m in baseline.metrics.iter().map(|m| &m.evidence) {
            m.validate()
                .map_err(|e| KcanaryError::bad_input(path, None, e))?;
        }
        Ok(baseline)
    }

    /// The file's text: pretty JSON with number arrays and buckets on one line each.
    pub fn to_json_text(&self) -> Result<String, KcanaryError> {
        super::compact_json::to_string(self)
            .map_err(|e| KcanaryError::Io(format!("cannot serialise baseline: {e}")))
    }

    /// What the gate compares: the metrics' evidence, labelled `label`.
    pub fn to_evidence(&self, label: impl Into<String>) -> RunEvidence {
        RunEvidence {
            label: label.into(),
            environment: self.environment.clone(),
            metrics: self.metrics.iter().map(|m| m.evidence.clone()).collect(),
            skipped: self.skipped.clone(),
        }
    }

    /// `<dir>/<machine-class>/<kernel-release>/<label>.json`.
    pub fn path_under(&self, dir: &Path) -> PathBuf {
        dir.join(machine_class(&self.environment))
            .join(path_component(&self.environment.kernel_release))
            .join(format!("{}.json", path_component(&self.label)))
    }
}

/// A name for "the same kind of machine": CPU model and CPU count, lower-case, with
/// everything but letters and digits folded to single dashes, e.g.
/// `intel-xeon-platinum-8481c-cpu-2-70ghz-2cpu`. Timings are only comparable within one.
pub fn machine_class(environment: &Environment) -> String {
    let model = environment
        .cpu_model
        .to_lowercase()
        .replace("(r)", "")
        .replace("(tm)", "");
    let mut class = String::new();
    for c in model.chars() {
        if c.is_ascii_alphanumeric() {
            class.push(c);
        } else if !class.is_empty() && !class.ends_with('-') {
            class.push('-');
        }
    }
    let class = class.trim_end_matches('-');
    let class = if class.is_empty() {
        "unknown-cpu"
    } else {
        class
    };
    format!("{class}-{}cpu", environment.cpus)
}

/// The longest baseline label: it becomes a file name, well under any file system's limit.
const LONGEST_LABEL: usize = 100;

/// Checks a baseline label given by the user: it names a file, so it must be usable as one
/// path component as it is. Cleaning it (as `path_component` does for kernel releases) would
/// store `--name ..` as `unknown.json`, a file the user never asked for.
pub fn parse_label(text: &str) -> Result<String, String> {
    let usable = |c: char| c.is_ascii_alphanumeric() || "._+-".contains(c);
    if text.is_empty() || text.len() > LONGEST_LABEL {
        return Err(format!(
            "a baseline name is 1 to {LONGEST_LABEL} bytes long, found {} bytes",
            text.len()
        ));
    }
    if let Some(bad) = text.chars().find(|c| !usable(*c)) {
        return Err(format!(
            "'{bad}' cannot be in a baseline name (letters, digits, '.', '_', '+', '-')"
        ));
    }
    if text.trim_matches('.').is_empty() {
        return Err(format!(
            "'{text}' cannot be a baseline name (it names a directory)"
        ));
    }
    Ok(text.to_string())
}

/// A string made safe as one path component: keeps letters, digits, `.`, `_`, `+`, `-`;
/// other characters become `-`; never empty, never `.` or `..`.
pub fn path_component(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    match cleaned.trim_matches('.') {
        "" => "unknown".to_string(),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_labels_must_be_file_names_as_given() {
        for bad in ["", ".", "..", "a/b", "x y", &"n".repeat(101)] {
            assert!(parse_label(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["default", "6.1-good", "canary.2026-12_02+rc1"] {
            assert_eq!(parse_label(good).as_deref(), Ok(good));
        }
    }

    #[test]
    fn machine_class_is_a_clean_path_component() {
        let env = Environment {
            cpu_model: "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz".into(),
            cpus: 2,
            ..Default::default()
        };
        assert_eq!(
            machine_class(&env),
            "intel-xeon-platinum-8481c-cpu-2-70ghz-2cpu"
        );
        assert_eq!(machine_class(&Environment::default()), "unknown-cpu-0cpu");
    }

    #[test]
    fn path_components_cannot_escape() {
        assert_eq!(path_component("6.18.0-kcanary+"), "6.18.0-kcanary+");
        assert_eq!(path_component("../etc"), "..-etc");
        assert_eq!(path_component(".."), "unknown");
        assert_eq!(path_component("a/b c"), "a-b-c");
        assert_eq!(path_component(""), "unknown");
    }
}
