//! `kcanary history --kernel` on real Debian kernels in deterministic mode: two kernels boot
//! side by side (`--jobs 2`) and the 6.1 guest's median equals that of a guest booted alone;
//! the results are added to the history directory, and a second call boots nothing that is
//! already there. Needs KCANARY_TEST_KERNELS (as tests/vm.rs); prints a notice otherwise.

use kcanary::results::RunResults;
use kcanary::results::file::read_results;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCENARIO: &[&str] = &[
    "ipset-swap-storm",
    "--set",
    "other_sets=200",
    "--set",
    "swaps=200",
    "--set",
    "entries=4",
    "--repetitions",
    "3",
];
const METRIC: &str = "ipset-swap-storm/swap_ns";

/// The newest .deb in $KCANARY_TEST_KERNELS starting with `prefix`; `None` with a notice
/// when the variable is unset.
fn kernel(prefix: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("KCANARY_TEST_KERNELS").map(PathBuf::from) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: VM test history_vm NOT RUN: set KCANARY_TEST_KERNELS to the directory ci/fetch-kernels.sh filled"
        );
        return None;
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".deb")
        })
        .collect();
    found.sort();
    Some(found.pop().unwrap_or_else(|| {
        panic!(
            "KCANARY_TEST_KERNELS={} has no {prefix}*.deb",
            dir.display()
        )
    }))
}

fn kcanary(args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args(args)
        .args(SCENARIO)
        .output()
        .unwrap();
    eprintln!(
        "kcanary {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn results_of(dir: &Path, release_prefix: &str) -> RunResults {
    let file = json_files(dir)
        .into_iter()
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(release_prefix)
        })
        .unwrap_or_else(|| panic!("no {release_prefix}* results in {}", dir.display()));
    read_results(&file).unwrap()
}

fn swap_median(results: &RunResults) -> f64 {
    results
        .results
        .iter()
        .find(|m| m.key() == METRIC)
        .unwrap_or_else(|| panic!("no {METRIC}"))
        .summary
        .p50
}

#[test]
fn parallel_deterministic_guests_match_one_alone_and_history_adds_only_what_is_missing() {
    let (Some(debian_6_1), Some(debian_6_12)) =
        (kernel("linux-image-6.1.0-"), kernel("linux-image-6.12."))
    else {
        return;
    };
    let (k61, k612) = (debian_6_1.to_str().unwrap(), debian_6_12.to_str().unwrap());
    let work = tempfile::tempdir().unwrap();
    let alone = work.path().join("alone");
    let history = work.path().join("history");
    let session = work.path().join("session");
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let common = ["--deterministic", "--accel", "tcg", "--timeout", "300"];

    let mut args = vec!["vm", "--jobs", "1", "--kernel", k61];
    let alone_out = path(&alone);
    args.extend(common);
    args.extend(["--out", &alone_out]);
    assert_eq!(kcanary(&args).status.code(), Some(0));

    let (history_dir, session_dir) = (path(&history), path(&session));
    let mut args = vec!["history", "--from", &history_dir, "--jobs", "2"];
    args.extend(["--kernel", k61, "--kernel", k612, "--out", &session_dir]);
    args.extend(common);
    let output = kcanary(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    assert!(stderr.contains("2 guest(s) at once"), "{stderr}");
    assert_eq!(json_files(&history).len(), 2, "one file added per kernel");

    let (by_itself, beside) = (
        swap_median(&results_of(&alone, "6.1.0-")),
        swap_median(&results_of(&history, "6.1.0-")),
    );
    let apart = (by_itself - beside).abs() / by_itself;
    eprintln!(
        "6.1 swap median alone {by_itself:.0} ns, beside a 6.12 guest {beside:.0} ns ({:.3}% apart)",
        apart * 100.0
    );
    assert!(apart < 0.01, "{by_itself} vs {beside}");

    let mut args = vec!["history", "--from", &history_dir, "--kernel", k61];
    args.extend(["--out", &session_dir]);
    args.extend(common);
    let output = kcanary(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not booted"), "{stderr}");
    assert!(!stderr.contains("round 1"), "{stderr}");
    assert_eq!(json_files(&history).len(), 2, "nothing added");
    assert!(
        history.join("report").join("summary.md").is_file(),
        "the report is written"
    );
}
