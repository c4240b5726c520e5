//! The gate on real runs of the real kernel: a real 50x-plus difference (swaps with 20,000
//! other sets against none) is a regression on the right metric with exit code 1, and the
//! same scenario run again is not, against a baseline pooled from three runs.
//! `ci/false-alarms.sh` and `ci/aa-suite.sh` repeat such checks many times.

use std::path::Path;
use std::process::{Command, Output};

fn kcanary(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args(args)
        .output()
        .expect("kcanary runs")
}

/// The tests of this file take turns: a 20,000-set run beside the "same twice" pair would be
/// exactly the kind of neighbour noise that must not count against the kernel.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_swaps(out: &Path, other_sets: &str) {
    let o = kcanary(&[
        "run",
        "ipset-swap-storm-0",
        "--repetitions",
        "5",
        "--set",
        &format!("other_sets={other_sets}"),
        "--set",
        "swaps=300",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn swaps_among_20000_sets_regress_against_swaps_alone() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (few, many) = (dir.path().join("few.json"), dir.path().join("many.json"));
    run_swaps(&few, "0");
    run_swaps(&many, "20000");
    let o = kcanary(&[
        "check",
        many.to_str().unwrap(),
        "--baseline",
        few.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("ipset-swap-storm-0/swap_ns"))
        .expect("swap row");
    assert!(row.contains("regressed"), "{row}");

    // And the other way round it is an improvement, which does not fail the check.
    let o = kcanary(&[
        "check",
        few.to_str().unwrap(),
        "--baseline",
        many.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("improved"));
}

/// Runs of one kernel drift apart (frequency, page layout, neighbours: this test shares
/// the machine with the rest of the suite), so the baseline is what the README tells users
/// to keep: pooled from three runs, which teaches the gate that drift. A fourth run checked
/// against it must not be called regressed.
#[test]
fn the_same_scenario_again_is_no_regression_against_a_pooled_baseline() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<_> = (0..4)
        .map(|i| dir.path().join(format!("run{i}.json")))
        .collect();
    for run in &runs {
        run_swaps(run, "0");
    }
    let root = dir.path().join("baselines");
    let o = kcanary(&[
        "baseline",
        "save",
        runs[0].to_str().unwrap(),
        runs[1].to_str().unwrap(),
        runs[2].to_str().unwrap(),
        "--dir",
        root.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let saved = String::from_utf8_lossy(&o.stdout);
    let pooled = saved
        .split_whitespace()
        .next()
        .expect("path of the baseline");
    let o = kcanary(&["check", runs[3].to_str().unwrap(), "--baseline", pooled]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("ipset-swap-storm-0/swap_ns"))
        .expect("swap row");
    assert!(!row.contains("regressed"), "{row}");
}
