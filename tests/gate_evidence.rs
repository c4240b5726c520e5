//! No verdict without evidence: the cases a canary job must never pass on, run through the
//! built binary as CI runs it. Exit codes: 0 pass, 1 regressed, 2 bad input, 4 incomplete.

mod common;

use common::{kcanary, metric, run, s, shifted_pair, write};
use kcanary::results::{
    Better, MetricResult, MetricRole, RunResults, SampleKind, Skipped, Summary,
};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Exit code, and stdout + stderr for the assertion messages.
fn status(out: &Output) -> (Option<i32>, String) {
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A run of two scenarios: "synthetic" (from `shifted_pair`) and "other".
fn two_scenarios(seed: u64, shift: f64) -> (RunResults, RunResults) {
    let (mut base, mut cand) = shifted_pair(seed, shift, 5, 100);
    for (run, extra_seed) in [(&mut base, seed + 100), (&mut cand, seed + 200)] {
        let (other, _) = shifted_pair(extra_seed, 1.0, 5, 100);
        let mut m = other.results[0].clone();
        m.scenario = "other".into();
        run.results.push(m);
    }
    (base, cand)
}

#[test]
fn comparing_nothing_is_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = shifted_pair(1, 1.0, 5, 100);
    let empty = run("6.12.0-cand", Vec::new());
    let base = write(dir.path(), "base.json", &base);
    let empty_a = write(dir.path(), "empty-a.json", &empty);
    let empty_b = write(dir.path(), "empty-b.json", &empty);

    let (code, text) = status(&kcanary(&["compare", s(&empty_a), s(&empty_b)]));
    assert_eq!(code, Some(4), "{text}");
    assert!(text.contains("nothing was compared"), "{text}");

    let (code, text) = status(&kcanary(&["check", s(&empty_a), "--baseline", s(&base)]));
    assert_eq!(code, Some(4), "{text}");
    assert!(
        text.contains("synthetic/swap_ns: missing in the candidate"),
        "{text}"
    );
}

#[test]
fn a_baseline_without_metrics_is_refused_and_the_old_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (good, slow) = shifted_pair(2, 3.0, 5, 100);
    let good = write(dir.path(), "good.json", &good);
    let slow = write(dir.path(), "slow.json", &slow);
    let mut empty = run("6.1.0-base", Vec::new());
    empty.skipped.push(Skipped {
        scenario: "memcg-dying-1k".into(),
        reason: "needs root outside any user namespace".into(),
    });
    let empty = write(dir.path(), "empty.json", &empty);
    let root = dir.path().join("baselines");
    let save = |file: &Path| kcanary(&["baseline", "save", s(file), "--dir", s(&root)]);

    let (code, text) = status(&save(&good));
    assert_eq!(code, Some(0), "{text}");
    let saved = root.join("synthetic-cpu-1-00ghz-2cpu/6.1.0-base/default.json");
    let before = std::fs::read(&saved).unwrap();

    let (code, text) = status(&save(&empty));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("empty.json"), "{text}");
    assert!(text.contains("holds no metric"), "{text}");
    assert!(
        text.contains("needs root outside any user namespace"),
        "{text}"
    );
    assert_eq!(std::fs::read(&saved).unwrap(), before);

    let (code, text) = status(&kcanary(&["check", s(&slow), "--baseline", s(&saved)]));
    assert_eq!(code, Some(1), "{text}");
}

#[test]
fn a_scenario_the_candidate_skipped_fails_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (base, mut cand) = two_scenarios(3, 1.0);
    cand.results.retain(|m| m.scenario != "other");
    cand.skipped.push(Skipped {
        scenario: "other".into(),
        reason: "kernel has no IP_VS".into(),
    });
    let base = write(dir.path(), "base.json", &base);
    let cand = write(dir.path(), "cand.json", &cand);
    let check = |extra: &[&str]| {
        let mut args = vec!["check", s(&cand), "--baseline", s(&base)];
        args.extend_from_slice(extra);
        status(&kcanary(&args))
    };
    let (code, text) = check(&[]);
    assert_eq!(code, Some(4), "{text}");
    assert!(
        text.contains("other/swap_ns: missing in the candidate (skipped by the candidate: kernel has no IP_VS)"),
        "{text}"
    );
    assert!(text.contains("INCOMPLETE"), "{text}");

    let (code, text) = check(&["--allow-missing"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("missing in the candidate"), "{text}");

    let (code, text) = check(&["--ignore-scenario", "other"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("ignored on request: other"), "{text}");

    // Ignoring the only scenario both have leaves nothing compared: still no pass.
    let (code, text) = check(&[
        "--ignore-scenario",
        "other",
        "--ignore-scenario",
        "synthetic",
    ]);
    assert_eq!(code, Some(4), "{text}");
}

#[test]
fn absurd_thresholds_and_samples_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (base, slow) = shifted_pair(4, 3.0, 5, 100);
    let base_path = write(dir.path(), "base.json", &base);

    for flag in ["--threshold", "--default-threshold"] {
        let slow = write(dir.path(), "slow.json", &slow);
        let (code, text) = status(&kcanary(&[
            "check",
            s(&slow),
            "--baseline",
            s(&base_path),
            flag,
            "1e9",
        ]));
        assert_eq!(code, Some(2), "{flag}: {text}");
        assert!(text.contains("(0, 10]"), "{text}");
    }

    let mut lenient = slow.clone();
    lenient.results[0].threshold = Some(1e9);
    let lenient = write(dir.path(), "lenient.json", &lenient);
    let (code, text) = status(&kcanary(&[
        "check",
        s(&lenient),
        "--baseline",
        s(&base_path),
    ]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("lenient.json"), "{text}");
    assert!(text.contains("synthetic/swap_ns"), "{text}");

    let mut negative = slow.clone();
    negative.results[0].samples[7] = -5.0;
    let negative = write(dir.path(), "negative.json", &negative);
    let (code, text) = status(&kcanary(&[
        "check",
        s(&negative),
        "--baseline",
        s(&base_path),
    ]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("negative.json"), "{text}");
    assert!(text.contains("negative sample -5"), "{text}");

    // Estimates from differences of kernel counters may be negative, and kcanary writes them
    // itself (memcg's kernel_bytes_per_dying_cgroup): such a file is valid.
    let mut delta = slow.clone();
    delta.results[0].unit = "bytes".into();
    delta.results[0].samples[7] = -84303.0;
    let mut delta_base = base.clone();
    delta_base.results[0].unit = "bytes".into();
    let delta = write(dir.path(), "delta.json", &delta);
    let delta_base = write(dir.path(), "delta-base.json", &delta_base);
    let (code, text) = status(&kcanary(&[
        "check",
        s(&delta),
        "--baseline",
        s(&delta_base),
    ]));
    assert_eq!(code, Some(1), "{text}");

    // A baseline file edited by hand is checked the same way.
    let root = dir.path().join("baselines");
    let (code, text) = status(&kcanary(&[
        "baseline",
        "save",
        s(&base_path),
        "--dir",
        s(&root),
    ]));
    assert_eq!(code, Some(0), "{text}");
    let saved = root.join("synthetic-cpu-1-00ghz-2cpu/6.1.0-base/default.json");
    let edited = std::fs::read_to_string(&saved).unwrap().replacen(
        "\"metric\": \"swap_ns\",",
        "\"metric\": \"swap_ns\",\n      \"threshold\": 50.0,",
        1,
    );
    std::fs::write(&saved, edited).unwrap();
    let slow = write(dir.path(), "slow.json", &slow);
    let (code, text) = status(&kcanary(&["check", s(&slow), "--baseline", s(&saved)]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("default.json"), "{text}");
}

#[test]
fn a_threshold_out_of_range_in_a_scenario_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lenient.toml");
    std::fs::write(
        &file,
        "name = \"lenient\"\nworkload = \"ipset.swap_storm\"\nthreshold = 1e9\n",
    )
    .unwrap();
    let (code, text) = status(&kcanary(&[
        "run",
        s(&file),
        "--out",
        s(&dir.path().join("r.json")),
    ]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("lenient.toml:3"), "{text}");
}

/// An unknown metric under [thresholds] is found after the first repetition (metric names
/// can depend on parameters) and named with the workload's real metrics.
#[test]
fn an_unknown_metric_in_thresholds_is_an_error_listing_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.toml");
    std::fs::write(
        &file,
        "name = \"typo\"\nworkload = \"ipset.swap_storm\"\nrepetitions = 1\n\
         [params]\nswaps = 10\nother_sets = 0\n[thresholds]\nswp_ns = 0.2\n",
    )
    .unwrap();
    let (code, text) = status(&kcanary(&[
        "run",
        s(&file),
        "--out",
        s(&dir.path().join("r.json")),
    ]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("typo.toml:8"), "{text}");
    assert!(text.contains("'swp_ns'"), "{text}");
    assert!(text.contains("swap_ns"), "{text}");
}

fn setting(scenario: &str, name: &str, value: f64) -> MetricResult {
    MetricResult {
        scenario: scenario.into(),
        metric: name.into(),
        unit: "cpu".into(),
        better: Better::Lower,
        sample_kind: SampleKind::PerRepetition,
        role: Some(MetricRole::Setting),
        summary: Summary::of(&[value]).unwrap(),
        samples: vec![value],
        repetition_sizes: vec![1],
        threshold: None,
        parameters: Default::default(),
    }
}

#[test]
fn settings_are_context_not_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (mut base, mut cand) = shifted_pair(5, 1.0, 5, 100);
    base.results.push(setting("synthetic", "probe_cpu", 0.0));
    base.results.push(setting("synthetic", "est_nice", 0.0));
    cand.results.push(setting("synthetic", "probe_cpu", 1.0));
    let base = write(dir.path(), "base.json", &base);
    let cand = write(dir.path(), "cand.json", &cand);
    let (code, text) = status(&kcanary(&["check", s(&cand), "--baseline", s(&base)]));
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "warning: setting synthetic/probe_cpu differs: 0 in the baseline, 1 in the candidate"
        ),
        "{text}"
    );
    assert!(
        text.contains("warning: setting synthetic/est_nice (0) was recorded by the baseline only"),
        "{text}"
    );
    assert!(!text.contains("MISSING"), "{text}");
    assert!(!text.contains("probe_cpu inconclusive"), "{text}");
    assert!(
        !text.contains("synthetic/probe_cpu  "),
        "settings are not table rows: {text}"
    );
}

/// Per-repetition values that agree to ~0.01%, as instruction-counted boots do.
fn exact_run(mode: &str, release: &str, level: f64) -> RunResults {
    let samples: Vec<f64> = (0..6)
        .map(|i| level * (1.0 + 1e-4 * f64::from(i)))
        .collect();
    let mut m = metric("swap_ns", Better::Lower, samples, 6);
    m.sample_kind = SampleKind::PerRepetition;
    let mut r = run(release, vec![m]);
    r.environment.execution_mode = mode.into();
    r
}

#[test]
fn deterministic_runs_get_a_finer_default_threshold() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, expected) in [("qemu-tcg-icount", 1), ("host", 0)] {
        let base = write(
            dir.path(),
            "base.json",
            &exact_run(mode, "6.1.0-base", 1000.0),
        );
        let cand = write(
            dir.path(),
            "cand.json",
            &exact_run(mode, "6.12.0-cand", 1050.0),
        );
        let (code, text) = status(&kcanary(&["check", s(&cand), "--baseline", s(&base)]));
        assert_eq!(code, Some(expected), "{mode}: {text}");
        if expected == 1 {
            assert!(text.contains("beyond the 2% threshold"), "{text}");
        }
    }
}

/// Three A/A runs whose medians drift by ±8% teach the baseline that a 1.15x difference
/// between separate runs is within what one kernel does; a single-run baseline, whose
/// repetitions agree closely, calls the same candidate regressed.
#[test]
fn between_run_drift_from_a_pooled_baseline_widens_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let tight = |seed: u64, level: f64, release: &str| {
        let mut noise = common::Noise::new(seed);
        let values: Vec<f64> = (0..8).map(|_| level * noise.lognormal(0.01)).collect();
        let mut m = metric("swap_ns", Better::Lower, values, 8);
        m.sample_kind = SampleKind::PerRepetition;
        run(release, vec![m])
    };
    let runs: Vec<PathBuf> = [1.0, 1.08, 0.93]
        .iter()
        .enumerate()
        .map(|(i, level)| {
            write(
                dir.path(),
                &format!("aa{i}.json"),
                &tight(10 + i as u64, 1000.0 * level, "6.1.0-base"),
            )
        })
        .collect();
    let cand = write(dir.path(), "cand.json", &tight(20, 1150.0, "6.12.0-cand"));

    let (code, text) = status(&kcanary(&["check", s(&cand), "--baseline", s(&runs[0])]));
    assert_eq!(code, Some(1), "single-run baseline: {text}");
    assert!(text.contains("the baseline is a single run"), "{text}");

    let root = dir.path().join("baselines");
    let mut save = vec!["baseline", "save"];
    save.extend(runs.iter().map(|p| s(p)));
    save.extend(["--dir", s(&root)]);
    let (code, text) = status(&kcanary(&save));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("from 3 run(s)"), "{text}");
    let pooled = root.join("synthetic-cpu-1-00ghz-2cpu/6.1.0-base/default.json");
    let json = dir.path().join("cmp.json");
    let (code, text) = status(&kcanary(&[
        "check",
        s(&cand),
        "--baseline",
        s(&pooled),
        "--json",
        s(&json),
    ]));
    assert_eq!(code, Some(0), "pooled baseline: {text}");
    assert!(!text.contains("the baseline is a single run"), "{text}");
    let cmp: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let m = &cmp["comparisons"][0]["metrics"][0];
    assert_ne!(m["verdict"], "regressed", "{m}");
    assert!(m["drift_sd"].as_f64().unwrap() > 0.03, "{m}");

    // Runs of another kernel cannot be pooled into one baseline.
    let other = write(dir.path(), "other.json", &tight(30, 1000.0, "6.12.0-cand"));
    let (code, text) = status(&kcanary(&[
        "baseline",
        "save",
        s(&runs[0]),
        s(&other),
        "--dir",
        s(&root),
    ]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("kernel release"), "{text}");
}

/// Rare events counted per repetition: 0 on the good kernel, 4-7 on the bad one. A ratio
/// cannot be formed from a zero baseline; the difference rule still concludes.
#[test]
fn stalls_from_a_zero_baseline_are_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let counts = |values: Vec<f64>, release: &str| {
        let mut m = metric("est_on.udp_rtt.over_1ms", Better::Lower, values, 5);
        m.unit = "events".into();
        m.sample_kind = SampleKind::PerRepetition;
        m.role = Some(MetricRole::EventCount);
        run(release, vec![m])
    };
    let base = write(
        dir.path(),
        "base.json",
        &counts(vec![0.0; 5], "6.12.0-base"),
    );
    let bad = write(
        dir.path(),
        "bad.json",
        &counts(vec![5.0, 4.0, 7.0, 5.0, 6.0], "6.1.0-cand"),
    );
    let same = write(dir.path(), "same.json", &counts(vec![0.0; 5], "6.1.0-cand"));
    let (code, text) = status(&kcanary(&["check", s(&bad), "--baseline", s(&base)]));
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("synthetic/est_on.udp_rtt.over_1ms regressed"),
        "{text}"
    );
    let (code, text) = status(&kcanary(&["check", s(&same), "--baseline", s(&base)]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 unchanged"), "{text}");
}
