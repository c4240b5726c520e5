//! Imports criterion's saved measurements (`target/criterion/**/new/sample.json`, criterion
//! 0.5-0.8 layout) as kcanary results, so the gate can judge `cargo bench` runs: criterion
//! reports a change but always exits 0.
//!
//! Each criterion sample times a batch of iterations; its value here is time / iterations
//! in nanoseconds. The samples of one benchmark come from one process, so they are stored
//! as per-repetition values (each batch is its own timed trial, as criterion treats them),
//! which is weaker evidence than kcanary's separate-namespace repetitions: see docs/gate.md.

use super::{Better, Environment, MetricResult, RunResults, SCHEMA_VERSION, SampleKind, Summary};
use crate::error::KcanaryError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct SavedSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// The fields of criterion's `benchmark.json` we use.
#[derive(Deserialize)]
struct BenchmarkId {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
}

/// Reads every benchmark saved under `dir` as `saved` ("new" for the latest run, or a
/// `--save-baseline` name) into one results file. Each criterion sample becomes one
/// per-repetition value.
pub fn import_criterion(
    dir: &Path,
    saved: &str,
    environment: Environment,
) -> Result<RunResults, KcanaryError> {
    let results = import_dir(dir, saved)?;
    Ok(RunResults {
        schema_version: SCHEMA_VERSION,
        environment,
        results,
        skipped: Vec::new(),
    })
}

/// Reads several criterion directories, one per `cargo bench` process, as repetitions:
/// each directory's samples of a benchmark form one repetition (reduced to its median by
/// the gate), which is the independence kcanary's own repetitions have. A benchmark
/// missing from some directories gets fewer repetitions.
pub fn import_criterion_runs(
    dirs: &[&Path],
    saved: &str,
    environment: Environment,
) -> Result<RunResults, KcanaryError> {
    let mut merged: Vec<MetricResult> = Vec::new();
    for dir in dirs {
        for metric in import_dir(dir, saved)? {
            match merged.iter_mut().find(|m| m.key() == metric.key()) {
                Some(existing) => {
                    existing.repetition_sizes.push(metric.samples.len());
                    existing.samples.extend(metric.samples);
                }
                None => merged.push(MetricResult {
                    sample_kind: SampleKind::PerOperation,
                    role: None,
                    repetition_sizes: vec![metric.samples.len()],
                    ..metric
                }),
            }
        }
    }
    for metric in &mut merged {
        metric.summary = Summary::of(&metric.samples).expect("every repetition has samples");
    }
    Ok(RunResults {
        schema_version: SCHEMA_VERSION,
        environment,
        results: merged,
        skipped: Vec::new(),
    })
}

fn import_dir(dir: &Path, saved: &str) -> Result<Vec<MetricResult>, KcanaryError> {
    let mut sample_dirs = Vec::new();
    find_sample_dirs(dir, saved, &mut sample_dirs)?;
    sample_dirs.sort();
    if sample_dirs.is_empty() {
        return Err(KcanaryError::bad_input(
            dir,
            None,
            format!("no criterion measurements here (looked for */{saved}/sample.json)"),
        ));
    }
    sample_dirs
        .iter()
        .map(|sample_dir| import_one(dir, sample_dir))
        .collect()
}

fn find_sample_dirs(dir: &Path, saved: &str, found: &mut Vec<PathBuf>) -> Result<(), KcanaryError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| KcanaryError::bad_input(dir, None, format!("cannot read directory: {e}")))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() || entry.file_name() == "report" {
            continue;
        }
        if entry.file_name() == saved && path.join("sample.json").is_file() {
            found.push(path);
        } else {
            find_sample_dirs(&path, saved, found)?;
        }
    }
    Ok(())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, KcanaryError> {
    let text = crate::text_input::read_document_once(path)?;
    serde_json::from_str(&text).map_err(|e| {
        KcanaryError::bad_input(path, Some(e.line()), format!("not a criterion file: {e}"))
    })
}

fn import_one(root: &Path, sample_dir: &Path) -> Result<MetricResult, KcanaryError> {
    let sample_path = sample_dir.join("sample.json");
    let sample: SavedSample = read_json(&sample_path)?;
    if sample.iters.len() != sample.times.len() || sample.iters.is_empty() {
        return Err(KcanaryError::bad_input(
            &sample_path,
            None,
            format!(
                "{} iteration counts but {} times",
                sample.iters.len(),
                sample.times.len()
            ),
        ));
    }
    let samples: Vec<f64> = sample
        .iters
        .iter()
        .zip(&sample.times)
        .map(|(iters, time)| time / iters)
        .collect();
    if samples.iter().any(|s| !s.is_finite() || *s < 0.0) {
        return Err(KcanaryError::bad_input(
            &sample_path,
            None,
            "an iteration count is zero or a time is invalid",
        ));
    }
    let (group, function, value) = benchmark_id(root, sample_dir)?;
    let mut parameters = BTreeMap::new();
    if let Some(value) = &value {
        let json = value
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number);
        parameters.insert(
            "value".to_string(),
            json.unwrap_or_else(|| serde_json::Value::String(value.clone())),
        );
    }
    let metric = [function, value]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
    Ok(MetricResult {
        scenario: format!("criterion/{group}"),
        metric: if metric.is_empty() {
            "time".to_string()
        } else {
            metric
        },
        unit: "ns".to_string(),
        better: Better::Lower,
        sample_kind: SampleKind::PerRepetition,
        role: None,
        summary: Summary::of(&samples).expect("checked non-empty"),
        repetition_sizes: vec![1; samples.len()],
        samples,
        threshold: None,
        parameters,
    })
}

/// (group, function, value) from `benchmark.json`, or from the directory names when an
/// older criterion did not write one.
fn benchmark_id(
    root: &Path,
    sample_dir: &Path,
) -> Result<(String, Option<String>, Option<String>), KcanaryError> {
    let id_path = sample_dir.join("benchmark.json");
    if id_path.is_file() {
        let id: BenchmarkId = read_json(&id_path)?;
        return Ok((id.group_id, id.function_id, id.value_str));
    }
    let bench_dir = sample_dir.parent().unwrap_or(sample_dir);
    let relative = bench_dir.strip_prefix(root).unwrap_or(bench_dir);
    let mut parts = relative.iter().map(|p| p.to_string_lossy().into_owned());
    let group = parts.next().unwrap_or_else(|| "criterion".to_string());
    let rest: Vec<String> = parts.collect();
    Ok((group, (!rest.is_empty()).then(|| rest.join("/")), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn reads_samples_and_ids() {
        let dir = tempfile::tempdir().unwrap();
        let bench = dir.path().join("swap/sets/20000/new");
        write(
            &bench.join("sample.json"),
            r#"{"sampling_mode":"Linear","iters":[10.0,20.0],"times":[1000.0,3000.0]}"#,
        );
        write(
            &bench.join("benchmark.json"),
            r#"{"group_id":"swap","function_id":"sets","value_str":"20000","throughput":null,
                "full_id":"swap/sets/20000","directory_name":"swap/sets/20000","title":"swap/sets/20000"}"#,
        );
        // An older saved baseline and criterion's report directory are ignored.
        write(
            &dir.path().join("swap/sets/20000/base/sample.json"),
            r#"{"iters":[1.0],"times":[1.0]}"#,
        );
        write(&dir.path().join("report/new/sample.json"), "not json");
        let old = dir.path().join("create/new/sample.json");
        write(&old, r#"{"iters":[1.0,1.0,1.0],"times":[5.0,6.0,7.0]}"#);

        let run = import_criterion(dir.path(), "new", Environment::default()).unwrap();
        assert_eq!(run.results.len(), 2);
        let create = &run.results[0];
        assert_eq!(create.key(), "criterion/create/time");
        assert_eq!(create.samples, vec![5.0, 6.0, 7.0]);
        let swap = &run.results[1];
        assert_eq!(swap.key(), "criterion/swap/sets/20000");
        assert_eq!(swap.samples, vec![100.0, 150.0]);
        assert_eq!(swap.repetition_sizes, vec![1, 1]);
        assert_eq!(swap.parameters["value"], serde_json::json!(20000.0));
        swap.validate().unwrap();
    }

    #[test]
    fn several_directories_are_repetitions() {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        for (index, dir) in dirs.iter().enumerate() {
            let times = format!("[{}.0,{}.0]", 100 + index, 200 + index);
            write(
                &dir.path().join("g/new/sample.json"),
                &format!(r#"{{"iters":[1.0,2.0],"times":{times}}}"#),
            );
        }
        write(
            &dirs[2].path().join("only/new/sample.json"),
            r#"{"iters":[1.0],"times":[9.0]}"#,
        );
        let paths: Vec<&Path> = dirs.iter().map(|d| d.path()).collect();
        let run = import_criterion_runs(&paths, "new", Environment::default()).unwrap();
        let g = &run.results[0];
        assert_eq!(g.sample_kind, SampleKind::PerOperation);
        assert_eq!(g.repetition_sizes, vec![2, 2, 2]);
        assert_eq!(g.samples, vec![100.0, 100.0, 101.0, 100.5, 102.0, 101.0]);
        assert_eq!(g.summary.n, 6);
        assert_eq!(run.results[1].repetition_sizes, vec![1]);
        g.validate().unwrap();
    }

    #[test]
    fn bad_files_name_themselves() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("g/new/sample.json");
        write(&broken, "{\n\"iters\": [1.0],\n oops");
        let error = import_criterion(dir.path(), "new", Environment::default()).unwrap_err();
        assert!(error.to_string().contains("sample.json:3"), "{error}");
        let empty = tempfile::tempdir().unwrap();
        let error = import_criterion(empty.path(), "new", Environment::default()).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }
}
