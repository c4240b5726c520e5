//! Kernel histories on synthetic series with the gate tests' noise model (per-repetition
//! slow-downs, lognormal jitter, a Pareto tail): change points where the steps are, none in
//! flat noise; and `kcanary history --from DIR` end to end on such files.

mod common;

use common::{Noise, kcanary, metric, run, s, write};
use kcanary::gate::GateOptions;
use kcanary::history::{detect, load_history};
use kcanary::results::{Better, RunResults};
use std::path::Path;

const REPETITIONS: usize = 5;
const PER_REPETITION: usize = 200;

fn release(index: usize) -> String {
    format!("6.1.0-{}-cloud-amd64", 47 + index)
}

/// One results file per kernel, the swap latency at `level` x 2,400 ns on kernel i.
fn series(seed: u64, levels: &[f64]) -> Vec<RunResults> {
    let mut noise = Noise::new(seed);
    levels
        .iter()
        .enumerate()
        .map(|(i, level)| {
            let samples = noise.operation_samples(2400.0 * level, REPETITIONS, PER_REPETITION);
            run(
                &release(i),
                vec![metric("swap_ns", Better::Lower, samples, REPETITIONS)],
            )
        })
        .collect()
}

fn write_series(dir: &Path, runs: &[RunResults]) {
    // Written in reverse name order on purpose: the history orders by kernel release.
    for (i, r) in runs.iter().enumerate().rev() {
        write(dir, &format!("run-{}.json", runs.len() - i), r);
    }
}

/// The kernel indices where change points (beyond the threshold) were found, and where
/// the test alone found a split (of any size).
fn detected(seed: u64, levels: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let dir = tempfile::tempdir().unwrap();
    write_series(dir.path(), &series(seed, levels));
    let history = load_history(dir.path()).unwrap();
    let metrics = detect(&history, &GateOptions::default());
    assert_eq!(metrics.len(), 1);
    (
        metrics[0].change_points().map(|s| s.at).collect(),
        metrics[0].steps.iter().map(|s| s.at).collect(),
    )
}

fn change_points(seed: u64, levels: &[f64]) -> Vec<usize> {
    detected(seed, levels).0
}

#[test]
fn a_single_step_is_found_at_the_right_kernel() {
    let levels = [1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 1.5];
    for seed in 0..20 {
        assert_eq!(change_points(seed, &levels), vec![4], "seed {seed}");
    }
}

#[test]
fn a_flat_heavy_tailed_series_has_no_change_point_in_95_percent_of_seeds() {
    let levels = [1.0; 8];
    let seeds = 100;
    let found: Vec<(Vec<usize>, Vec<usize>)> = (0..seeds)
        .map(|seed| detected(1000 + seed, &levels))
        .collect();
    let with_change: Vec<usize> = (0..found.len())
        .filter(|&i| !found[i].0.is_empty())
        .collect();
    // The permutation test alone (before the threshold) is calibrated: about alpha = 5% of
    // flat series get a split at all (binomial: more than 12 of 100 has probability < 0.1%).
    let with_split = found.iter().filter(|f| !f.1.is_empty()).count();
    eprintln!("flat series with a significant split (any size): {with_split} of {seeds}");
    assert!(with_split <= 12, "{with_split}");
    eprintln!(
        "flat series with a change point: {} of {seeds}: {with_change:?}",
        with_change.len()
    );
    assert!(with_change.len() <= 5, "{with_change:?}");
}

#[test]
fn two_steps_are_both_found() {
    let levels = [1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 3.0, 3.0, 3.0];
    for seed in 0..20 {
        assert_eq!(change_points(seed, &levels), vec![3, 6], "seed {seed}");
    }
}

#[test]
fn the_step_size_is_estimated_between_the_segments() {
    let dir = tempfile::tempdir().unwrap();
    write_series(dir.path(), &series(7, &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]));
    let history = load_history(dir.path()).unwrap();
    let metrics = detect(&history, &GateOptions::default());
    let step = metrics[0].change_points().next().expect("a change point");
    match step.size {
        kcanary::history::detect::StepSize::Ratio { ratio, interval } => {
            assert!((1.8..2.2).contains(&ratio), "{ratio}");
            assert!(interval.lower <= ratio && ratio <= interval.upper);
            assert!(interval.lower > 1.5, "{interval:?}");
        }
        other => panic!("expected a ratio, got {other:?}"),
    }
    assert!(step.worse);
}

#[test]
fn history_from_a_directory_reports_orders_plots_and_fails_on_the_newest_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let bencher = dir.path().join("bencher");
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    write_series(&results, &series(3, &[1.0, 1.0, 1.0, 1.0, 1.0, 2.0]));
    let out = kcanary(&[
        "history",
        "--from",
        s(&results),
        "--report",
        s(&report),
        "--bencher",
        s(&bencher),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("6.1.0-47-cloud-amd64, 6.1.0-48-cloud-amd64"),
        "{stdout}"
    );
    assert!(
        stdout.contains("synthetic/swap_ns: step up")
            && stdout.contains("between 6.1.0-51-cloud-amd64 and 6.1.0-52-cloud-amd64"),
        "{stdout}"
    );
    assert!(
        stderr.contains("newest kernel, 6.1.0-52-cloud-amd64"),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(summary.contains("synthetic-swap_ns-trend.png"), "{summary}");
    for ext in ["png", "svg"] {
        let plot = report.join(format!("synthetic-swap_ns-trend.{ext}"));
        assert!(std::fs::metadata(&plot).unwrap().len() > 1000, "{plot:?}");
    }
    let bencher_file = bencher.join("6.1.0-52-cloud-amd64.json");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bencher_file).unwrap()).unwrap();
    let median = value["synthetic/swap_ns"]["latency"]["value"]
        .as_f64()
        .unwrap();
    assert!((4000.0..6000.0).contains(&median), "{median}");
}

#[test]
fn results_of_different_kcanary_builds_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = series(6, &[1.0, 1.0, 1.0]);
    runs[2].environment.kcanary_git_commit = "0123abcd-dirty".into();
    write_series(dir.path(), &runs);
    let out = kcanary(&["history", "--from", s(dir.path())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("come from 2 kcanary builds"), "{stderr}");
    assert!(
        stderr.contains("6.1.0-49-cloud-amd64: test 0123abcd-dirty"),
        "{stderr}"
    );
    let same = tempfile::tempdir().unwrap();
    write_series(same.path(), &series(6, &[1.0, 1.0, 1.0]));
    let out = kcanary(&["history", "--from", s(same.path())]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("kcanary builds"));
}

#[test]
fn an_old_step_does_not_fail_the_newest_kernel() {
    let dir = tempfile::tempdir().unwrap();
    write_series(dir.path(), &series(4, &[1.0, 1.0, 2.0, 2.0, 2.0, 2.0]));
    let out = kcanary(&["history", "--from", s(dir.path())]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 of 1 metrics have change points"));
}

#[test]
fn bad_history_directories_are_refused_with_exit_2() {
    let empty = tempfile::tempdir().unwrap();
    let out = kcanary(&["history", "--from", s(empty.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no results files"));

    let mixed = tempfile::tempdir().unwrap();
    let mut runs = series(5, &[1.0, 1.0]);
    runs[1].environment.execution_mode = "qemu-tcg-icount".into();
    write(mixed.path(), "a.json", &runs[0]);
    write(mixed.path(), "b.json", &runs[1]);
    let out = kcanary(&["history", "--from", s(mixed.path())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("b.json"), "{stderr}");

    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("x.json"),
        "{\n  \"schema_version\": 1,\n  oops",
    )
    .unwrap();
    let out = kcanary(&["history", "--from", s(broken.path())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("x.json:3"), "{stderr}");
}

#[test]
fn adding_kernels_of_another_mode_is_refused_before_any_boot() {
    let dir = tempfile::tempdir().unwrap();
    write_series(dir.path(), &series(8, &[1.0, 1.0]));
    let out = kcanary(&[
        "history",
        "--from",
        s(dir.path()),
        "--deterministic",
        "--kernel",
        "/nonexistent/linux-image-6.1.0-99-cloud-amd64.deb",
        "--out",
        s(&dir.path().join("work")),
        "ipset-swap-storm",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("holds host results; this session would add qemu-tcg-icount"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "nothing added"
    );
}
