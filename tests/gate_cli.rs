//! The gate commands as a CI job runs them: the built binary on files in a temporary
//! directory, judged by exit code and output.

mod common;

use common::{kcanary, s, shifted_pair, write};
use std::path::{Path, PathBuf};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// baseline.json, same.json (no shift), slow.json (2x) in a fresh temporary directory.
fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (base, same) = shifted_pair(11, 1.0, 5, 100);
    let (_, slow) = shifted_pair(11, 2.0, 5, 100);
    let base_path = write(dir.path(), "baseline.json", &base);
    let same_path = write(dir.path(), "same.json", &same);
    let slow_path = write(dir.path(), "slow.json", &slow);
    (dir, base_path, same_path, slow_path)
}

#[test]
fn check_exits_0_without_and_1_with_a_regression() {
    let (_dir, base, same, slow) = fixture();
    let ok = kcanary(&["check", s(&same), "--baseline", s(&base)]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}{}",
        text(&ok.stdout),
        text(&ok.stderr)
    );
    assert!(
        text(&ok.stdout).contains(": 0 regressed,"),
        "{}",
        text(&ok.stdout)
    );
    let bad = kcanary(&["check", s(&slow), "--baseline", s(&base)]);
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}{}",
        text(&bad.stdout),
        text(&bad.stderr)
    );
    assert!(
        text(&bad.stdout).contains("synthetic/swap_ns regressed"),
        "{}",
        text(&bad.stdout)
    );
    // A threshold above the change turns the verdict off.
    let lenient = kcanary(&[
        "check",
        s(&slow),
        "--baseline",
        s(&base),
        "--threshold",
        "1.5",
    ]);
    assert_eq!(lenient.status.code(), Some(0), "{}", text(&lenient.stdout));
}

#[test]
fn bad_input_exits_2_and_names_the_file() {
    let (dir, base, _, _) = fixture();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"schema_version\": 1,\n  oops\n}").unwrap();
    let out = kcanary(&["check", s(&broken), "--baseline", s(&base)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("broken.json:3"),
        "{}",
        text(&out.stderr)
    );

    let missing = dir.path().join("missing.json");
    let out = kcanary(&["check", s(&base), "--baseline", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing.json"),
        "{}",
        text(&out.stderr)
    );

    let out = kcanary(&[
        "check",
        s(&base),
        "--baseline",
        s(&base),
        "--threshold",
        "-1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn a_saved_baseline_gates_like_the_full_results() {
    let (dir, base, same, slow) = fixture();
    let root = dir.path().join("baselines");
    let out = kcanary(&[
        "baseline",
        "save",
        s(&base),
        "--name",
        "nightly",
        "--dir",
        s(&root),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let saved = root.join("synthetic-cpu-1-00ghz-2cpu/6.1.0-base/nightly.json");
    assert!(saved.exists(), "{}", text(&out.stdout));
    let full_size = std::fs::metadata(&base).unwrap().len();
    let digest_size = std::fs::metadata(&saved).unwrap().len();
    assert!(
        digest_size * 4 < full_size,
        "baseline {digest_size} bytes vs results {full_size}"
    );

    let ok = kcanary(&["check", s(&same), "--baseline", s(&saved)]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    let bad = kcanary(&["check", s(&slow), "--baseline", s(&saved)]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
}

#[test]
fn compare_writes_every_format() {
    let (dir, base, same, slow) = fixture();
    let junit = dir.path().join("junit.xml");
    let bencher = dir.path().join("bmf.json");
    let out = kcanary(&[
        "compare",
        s(&base),
        s(&same),
        s(&slow),
        "--format",
        "markdown",
        "--junit",
        s(&junit),
        "--bencher",
        s(&bencher),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert!(
        md.contains("| metric | baseline.json | same.json |"),
        "{md}"
    );
    assert!(md.contains("slow.json"), "{md}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"1\""), "{xml}");
    let bmf: serde_json::Value = serde_json::from_slice(&std::fs::read(&bencher).unwrap()).unwrap();
    assert!(
        bmf["synthetic/swap_ns"]["latency"]["value"]
            .as_f64()
            .unwrap()
            > 4000.0,
        "{bmf}"
    );

    let one_file = kcanary(&["compare", s(&base)]);
    assert_eq!(one_file.status.code(), Some(2));
}

#[test]
fn plot_writes_svg_and_png_per_metric_and_a_scale_curve() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (index, sets) in [0u32, 5000, 20000].into_iter().enumerate() {
        let shift = 1.0 + f64::from(sets) / 400.0;
        let (_, mut run) = shifted_pair(20 + index as u64, shift, 3, 200);
        run.results[0]
            .parameters
            .insert("sets".into(), serde_json::json!(sets));
        run.results[0]
            .parameters
            .insert("swaps".into(), serde_json::json!(1000));
        files.push(write(dir.path(), &format!("sets-{sets}.json"), &run));
    }
    let out_dir = dir.path().join("plots");
    let mut args = vec!["plot".to_string()];
    args.extend(files.iter().map(|f| s(f).to_string()));
    args.extend(["--out".to_string(), s(&out_dir).to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kcanary(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for name in [
        "synthetic-swap_ns-hist.svg",
        "synthetic-swap_ns-hist.png",
        "synthetic-swap_ns-cdf.svg",
        "synthetic-swap_ns-cdf.png",
        "scale-swap_ns-vs-sets.svg",
        "scale-swap_ns-vs-sets.png",
    ] {
        let path = out_dir.join(name);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 1000, "{name}: {size} bytes\n{}", text(&out.stdout));
    }
    let png = std::fs::read(out_dir.join("synthetic-swap_ns-cdf.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let svg = std::fs::read_to_string(out_dir.join("synthetic-swap_ns-hist.svg")).unwrap();
    assert!(svg.contains("sets-20000 (6.12.0-cand)"), "legend missing");
}

/// A hand-written criterion directory: one benchmark, 30 samples of linear sampling
/// (iteration counts 1..=30) around `ns_per_iter` with some spread.
fn criterion_dir(root: &Path, ns_per_iter: f64) {
    let bench = root.join("ipset_swap/swap/new");
    std::fs::create_dir_all(&bench).unwrap();
    let iters: Vec<f64> = (1..=30).map(f64::from).collect();
    let times: Vec<f64> = iters
        .iter()
        .map(|i| i * ns_per_iter * (1.0 + 0.03 * (i % 7.0 - 3.0) / 3.0))
        .collect();
    let sample = serde_json::json!({"sampling_mode": "Linear", "iters": iters, "times": times});
    std::fs::write(bench.join("sample.json"), sample.to_string()).unwrap();
    let id = serde_json::json!({"group_id": "ipset_swap", "function_id": "swap", "value_str": null,
        "throughput": null, "full_id": "ipset_swap/swap", "directory_name": "ipset_swap/swap", "title": "ipset_swap/swap"});
    std::fs::write(bench.join("benchmark.json"), id.to_string()).unwrap();
}

#[test]
fn imported_criterion_runs_can_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let (old_dir, new_dir) = (dir.path().join("old"), dir.path().join("new"));
    criterion_dir(&old_dir, 2400.0);
    criterion_dir(&new_dir, 4800.0);
    let (old_json, new_json) = (dir.path().join("old.json"), dir.path().join("new.json"));
    for (from, to) in [(&old_dir, &old_json), (&new_dir, &new_json)] {
        let out = kcanary(&["import-criterion", s(from), "--out", s(to)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let bad = kcanary(&["check", s(&new_json), "--baseline", s(&old_json)]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
    assert!(
        text(&bad.stdout).contains("criterion/ipset_swap/swap regressed"),
        "{}",
        text(&bad.stdout)
    );
    let ok = kcanary(&["check", s(&old_json), "--baseline", s(&old_json)]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));

    let out = kcanary(&[
        "import-criterion",
        s(&dir.path().join("nothing")),
        "--out",
        s(&old_json),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn too_few_repetitions_pass_unless_inconclusive_must_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (base, slow) = shifted_pair(30, 50.0, 3, 100);
    let base = write(dir.path(), "base3.json", &base);
    let slow = write(dir.path(), "slow3.json", &slow);
    let json = dir.path().join("comparison.json");
    let out = kcanary(&[
        "check",
        s(&slow),
        "--baseline",
        s(&base),
        "--json",
        s(&json),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("3 vs 3 repetitions cannot show a difference"),
        "{}",
        text(&out.stdout)
    );
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        saved["comparisons"][0]["metrics"][0]["verdict"],
        "inconclusive"
    );
    let strict = kcanary(&[
        "check",
        s(&slow),
        "--baseline",
        s(&base),
        "--fail-on-inconclusive",
    ]);
    assert_eq!(strict.status.code(), Some(1));
}

/// Samples near f64::MAX (a damaged or hand-made file) once made the CDF's axis end infinite,
/// and `plot` spun at 100% CPU forever. It must finish (here: within a minute).
#[test]
fn plot_of_samples_near_the_largest_float_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut huge, _) = shifted_pair(41, 1.0, 5, 100);
    huge.results[0].samples[0] = 1.7e308;
    huge.results[0].summary = kcanary::results::Summary::of(&huge.results[0].samples).unwrap();
    let file = write(dir.path(), "huge.json", &huge);
    let out = dir.path().join("plots");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args(["plot", s(&file), "--out", s(&out)])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("kcanary plot still running after 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success());
    assert!(out.join("synthetic-swap_ns-cdf.svg").exists());
}
