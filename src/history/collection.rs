//! A history directory: results files (or baseline files) of any number of kernels, one or
//! more per kernel, e.g. one per CI run. Files are never rewritten: a new run adds a file,
//! and every file of one kernel is pooled (their repetitions appended). Kernels are told
//! apart by the release the file records, not by the file name, and put in version order.

use super::version::ReleaseKey;
use crate::error::{KcanaryError, Result};
use crate::gate::input::load_evidence;
use crate::gate::mode::ensure_same_execution_mode;
use crate::gate::{MetricEvidence, RunEvidence};
use crate::results::ExecutionMode;
use std::path::{Path, PathBuf};

/// Everything recorded for one kernel.
#[derive(Debug, Clone)]
pub struct KernelEvidence {
    /// `uname -r` of the kernel, as the results recorded it.
    pub release: String,
    /// The files pooled for it, in name order.
    pub files: Vec<PathBuf>,
    /// Its metrics, repetitions of all files appended.
    pub metrics: Vec<MetricEvidence>,
    /// Scenarios some file reported skipped, with the reason.
    pub skipped: Vec<(String, String)>,
    /// The kcanary builds ("version commit") that measured it.
    pub builds: Vec<String>,
}

impl KernelEvidence {
    /// Scenario names with at least one metric recorded.
    pub fn scenarios(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.metrics.iter().map(|m| m.scenario.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// The kernels of a history, in version order, all measured in one execution mode.
#[derive(Debug, Clone)]
pub struct History {
    pub kernels: Vec<KernelEvidence>,
    pub execution_mode: ExecutionMode,
}

impl History {
    /// Says when the kernels were measured by different kcanary builds: in deterministic mode
    /// the workload's own instructions are counted too, so a step between two kernels that
    /// different builds measured may be the build's (seen here: -3.9% on a memcg metric).
    pub fn mixed_builds_warning(&self) -> Option<String> {
        let mut builds: Vec<&str> = Vec::new();
        for kernel in &self.kernels {
            for build in &kernel.builds {
                if !builds.contains(&build.as_str()) {
                    builds.push(build);
                }
            }
        }
        (builds.len() > 1).then(|| {
            let per_kernel: Vec<String> = self
                .kernels
                .iter()
                .map(|k| format!("{}: {}", k.release, k.builds.join(" + ")))
                .collect();
            format!(
                "warning: these results come from {} kcanary builds; a step between kernels measured by different builds may be the build's, not the kernel's ({})",
                builds.len(),
                per_kernel.join("; ")
            )
        })
    }
}

/// The `*.json` files directly in `dir` (not below it: a `kcanary vm` out directory keeps
/// each round's file in a subdirectory, and the merged file at the top).
pub fn result_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| KcanaryError::Usage(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads every results or baseline file in `dir` into a history.
pub fn load_history(dir: &Path) -> Result<History> {
    let files = result_files(dir)?;
    if files.is_empty() {
        return Err(KcanaryError::Usage(format!(
            "{} holds no results files (*.json): run `kcanary history --kernel ... --out {}` or copy results files there",
            dir.display(),
            dir.display()
        )));
    }
    let mut runs = Vec::new();
    for path in &files {
        runs.push((path.clone(), load_evidence(path)?));
    }
    pool_by_kernel(runs)
}

/// Pools runs by kernel release and orders the kernels. Runs of different execution modes
/// are refused (bad input): instruction-counted and wall-clock times are different units.
pub fn pool_by_kernel(runs: Vec<(PathBuf, RunEvidence)>) -> Result<History> {
    let Some((first_path, first)) = runs.first() else {
        return Err(KcanaryError::Usage("no results to read".into()));
    };
    let execution_mode = first.environment.execution_mode.clone();
    let first_path = first_path.clone();
    let mut kernels: Vec<KernelEvidence> = Vec::new();
    for (path, run) in runs {
        ensure_same_execution_mode(&execution_mode, &run.environment.execution_mode).map_err(
            |e| {
                KcanaryError::bad_input(
                    &path,
                    None,
                    format!(
                        "{e} (the history's first file, {}, sets the mode)",
                        first_path.display()
                    ),
                )
            },
        )?;
        let release = run.environment.kernel_release.clone();
        if release.is_empty() {
            return Err(KcanaryError::bad_input(
                &path,
                None,
                "the file records no kernel release (environment.kernel_release): a history cannot place it",
            ));
        }
        let kernel = match kernels.iter_mut().find(|k| k.release == release) {
            Some(kernel) => kernel,
            None => {
                kernels.push(KernelEvidence {
                    release,
                    files: Vec::new(),
                    metrics: Vec::new(),
                    skipped: Vec::new(),
                    builds: Vec::new(),
                });
                kernels.last_mut().expect("just pushed")
            }
        };
        add_run(kernel, path, run);
    }
    kernels.sort_by_cached_key(|k| ReleaseKey::of(&k.release));
    Ok(History {
        kernels,
        execution_mode,
    })
}

fn add_run(kernel: &mut KernelEvidence, path: PathBuf, run: RunEvidence) {
    kernel.files.push(path);
    let build = format!(
        "{} {}",
        run.environment.kcanary_version, run.environment.kcanary_git_commit
    );
    if !kernel.builds.contains(&build) {
        kernel.builds.push(build);
    }
    for metric in run.metrics {
        match kernel.metrics.iter_mut().find(|m| m.id() == metric.id()) {
            Some(existing) => existing
                .repetition_values
                .extend_from_slice(&metric.repetition_values),
            None => kernel.metrics.push(metric),
        }
    }
    for skipped in run.skipped {
        if !kernel.skipped.iter().any(|(s, _)| *s == skipped.scenario) {
            kernel.skipped.push((skipped.scenario, skipped.reason));
        }
    }
}
