//! Real VM tests: Debian cloud kernels booted under QEMU (TCG) with kcanary as the guest's init.
//!
//! They need `qemu-system-x86_64` and the kernels `ci/fetch-kernels.sh` downloads; the guest's
//! init is the kcanary cargo built for these tests (dynamically linked: the initramfs carries
//! its loader and libraries), or $KCANARY_GUEST_BINARY. Set KCANARY_TEST_KERNELS to the
//! download directory to run them; when it is set, anything missing is a test failure.
//! When it is unset the tests print that they did not run.

use kcanary::results::file::read_results;
use kcanary::results::{MetricResult, RunResults};
use kcanary::vm::shared_libs::{self, LoaderFile};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small ipset swap storm: enough sets and swaps to measure, short enough for TCG.
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

struct TestKernels {
    debian_6_1: PathBuf,
    debian_6_12: PathBuf,
    guest_binary: PathBuf,
}

/// The kernels and guest binary, `None` (with a notice) when VM tests are not enabled.
fn test_kernels(test: &str) -> Option<TestKernels> {
    let Some(dir) = std::env::var_os("KCANARY_TEST_KERNELS").map(PathBuf::from) else {
        // Written to the stderr handle, not with eprintln!, so the test harness does not
        // capture it: a skipped VM test must be visible in every test log.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: VM test {test} NOT RUN: set KCANARY_TEST_KERNELS to the directory ci/fetch-kernels.sh filled"
        );
        return None;
    };
    let find = |prefix: &str| -> PathBuf {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("KCANARY_TEST_KERNELS={}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(prefix) && name.ends_with(".deb")
            })
            .collect();
        found.sort();
        found.pop().unwrap_or_else(|| {
            panic!(
                "KCANARY_TEST_KERNELS={} has no {prefix}*.deb: run ci/fetch-kernels.sh {}",
                dir.display(),
                dir.display()
            )
        })
    };
    // Not find_guest_binary(None): that would pick this test executable, not kcanary.
    let guest_binary = std::env::var_os("KCANARY_GUEST_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kcanary")));
    let guest_binary = kcanary::vm::initramfs::find_guest_binary(Some(&guest_binary))
        .unwrap_or_else(|e| panic!("{e}"));
    Some(TestKernels {
        debian_6_1: find("linux-image-6.1.0-"),
        debian_6_12: find("linux-image-6.12."),
        guest_binary,
    })
}

/// Runs kcanary with `args` followed by the test scenario.
fn kcanary(args: &[&str]) -> std::process::Output {
    kcanary_with(args, SCENARIO)
}

/// Runs kcanary with `args` followed by `scenario`.
fn kcanary_with(args: &[&str], scenario: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args(args)
        .args(scenario)
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

fn results_in(dir: &Path, release_prefix: &str) -> RunResults {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(release_prefix)
        })
        .unwrap_or_else(|| panic!("no results file for {release_prefix} in {}", dir.display()));
    read_results(&file).unwrap()
}

fn metric_median(results: &RunResults) -> f64 {
    let metric = results
        .results
        .iter()
        .find(|m| m.key() == METRIC)
        .unwrap_or_else(|| panic!("no {METRIC} in {results:?}"));
    assert_eq!(
        metric.samples.len(),
        metric.repetition_sizes.iter().sum::<usize>()
    );
    metric.summary.p50
}

#[test]
fn two_debian_kernels_boot_alternately_and_return_results() {
    let Some(k) = test_kernels("two_debian_kernels_boot_alternately_and_return_results") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let output = kcanary(&[
        "vm",
        "--kernel",
        k.debian_6_1.to_str().unwrap(),
        "--kernel",
        k.debian_6_12.to_str().unwrap(),
        "--accel",
        "tcg",
        "--timeout",
        "300",
        "--guest-binary",
        k.guest_binary.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let code = output.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "exit code {code}: the comparison must run (0 ok / 1 regression)"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("-cloud-amd64 vs 6.1.0-") && stdout.contains(METRIC),
        "the gate's comparison of 6.12 against 6.1 is missing"
    );
    for (prefix, release) in [("6.1.0-", "6.1.0-"), ("6.12.", "6.12.")] {
        let results = results_in(out.path(), prefix);
        assert!(
            results.environment.kernel_release.starts_with(release),
            "{}",
            results.environment.kernel_release
        );
        assert_eq!(results.environment.execution_mode, "qemu-tcg");
        let metric = results.results.iter().find(|m| m.key() == METRIC).unwrap();
        assert_eq!(
            metric.repetition_sizes,
            [200, 200, 200],
            "3 repetitions of 200 requests"
        );
        assert!(metric_median(&results) > 0.0);
    }
    let console = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .any(|e| e.path().join("round-0.console.log").is_file());
    assert!(console, "console logs are kept in the out dir");
}

/// The binary `cargo build --release` makes is dynamically linked; it boots as the guest's
/// init in both kernels, found without --guest-binary: the initramfs carries its loader and
/// libraries (as symlinks where one file has two names), and a workload runs.
#[test]
fn the_default_dynamic_build_is_the_guest_init_in_6_1_and_6_12() {
    let Some(k) = test_kernels("the_default_dynamic_build_is_the_guest_init_in_6_1_and_6_12")
    else {
        return;
    };
    let kcanary_binary = Path::new(env!("CARGO_BIN_EXE_kcanary"));
    let bytes = std::fs::read(kcanary_binary).unwrap();
    assert!(
        !kcanary::vm::elf::is_static_executable(&bytes).unwrap(),
        "cargo's default build is dynamic: this test is about that build"
    );
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(kcanary_binary)
        .args(["vm", "--accel", "tcg", "--timeout", "300", "--kernel"])
        .arg(&k.debian_6_1)
        .arg("--kernel")
        .arg(&k.debian_6_12)
        .arg("--out")
        .arg(out.path())
        .args(SCENARIO)
        .env_remove("KCANARY_GUEST_BINARY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{}\n{stderr}", String::from_utf8_lossy(&output.stdout));
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    assert!(!stderr.contains("warning: the guest binary"), "{stderr}");
    for release in ["6.1.0-", "6.12."] {
        let results = results_in(out.path(), release);
        assert!(results.skipped.is_empty(), "{:?}", results.skipped);
        assert!(metric_median(&results) > 0.0);
        let initramfs = std::fs::read_dir(out.path())
            .unwrap()
            .flatten()
            .map(|e| e.path().join("initramfs.cpio"))
            .find(|p| {
                p.is_file()
                    && p.parent()
                        .and_then(|d| d.file_name())
                        .is_some_and(|n| n.to_string_lossy().starts_with(release))
            })
            .unwrap_or_else(|| panic!("no initramfs for {release}"));
        let listing = Command::new("cpio")
            .args(["-t", "-v", "-H", "newc", "-F"])
            .arg(&initramfs)
            .output()
            .expect("the cpio tool is installed");
        let listing = String::from_utf8_lossy(&listing.stdout);
        // `cpio -tv` prints "-rwxr-xr-x ... lib64/ld-linux-x86-64.so.2" and "lrwxrwxrwx ...
        // NAME -> TARGET".
        let entry = |name: &str| {
            listing
                .lines()
                .find(|l| {
                    l.split_whitespace()
                        .any(|w| w == name.trim_start_matches('/'))
                })
                .unwrap_or_else(|| panic!("no {name} in the initramfs:\n{listing}"))
                .to_string()
        };
        let expected = shared_libs::loader_files(kcanary_binary).unwrap();
        assert!(expected.iter().any(|f| f.path().ends_with("/libc.so.6")));
        for file in &expected {
            let kind = match file {
                LoaderFile::Copy { .. } => '-',
                LoaderFile::Link { .. } => 'l',
            };
            assert!(entry(file.path()).starts_with(kind), "{file:?}\n{listing}");
        }
    }
}

/// `--rounds auto`: the two kernels' swap costs differ by ~1% here, beyond a 0.1% threshold
/// (deterministic runs agree to ~0.01%), but 3 vs 3 repetitions can never show a difference,
/// so after the first round the swap storm boots again on both kernels (alternating), and
/// with 6 vs 6 repetitions every metric is decided: the session stops there, inside the
/// budget.
#[test]
fn auto_rounds_boot_again_until_every_metric_has_a_verdict() {
    let Some(k) = test_kernels("auto_rounds_boot_again_until_every_metric_has_a_verdict") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let output = kcanary(&[
        "vm",
        "--kernel",
        k.debian_6_12.to_str().unwrap(),
        "--kernel",
        k.debian_6_1.to_str().unwrap(),
        "--rounds",
        "auto",
        "--budget",
        "20m",
        "--threshold",
        "0.001",
        "--deterministic",
        "--timeout",
        "300",
        "--guest-binary",
        k.guest_binary.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_round_2_decided_the_swap_storm(&stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{stdout}{stderr}"
    );
    assert!(!stdout.contains("inconclusive:"), "{stdout}");
    for release in ["6.12.", "6.1."] {
        let merged = results_in(out.path(), release);
        let swaps = merged.results.iter().find(|m| m.key() == METRIC).unwrap();
        assert_eq!(swaps.repetition_sizes.len(), 6, "{release}");
    }
    assert!(stdout.contains(" 6/6 "), "{stdout}");
}

#[test]
fn deterministic_rounds_agree_and_bisect_step_says_good() {
    let Some(k) = test_kernels("deterministic_rounds_agree_and_bisect_step_says_good") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let kernel = k.debian_6_12.to_str().unwrap();
    let guest = k.guest_binary.to_str().unwrap();
    let output = kcanary(&[
        "vm",
        "--kernel",
        kernel,
        "--rounds",
        "2",
        "--deterministic",
        "--timeout",
        "300",
        "--guest-binary",
        guest,
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let merged = results_in(out.path(), "6.12.");
    assert_eq!(merged.environment.execution_mode, "qemu-tcg-icount");
    assert_eq!(
        merged.environment.cpus, 1,
        "deterministic mode runs one vCPU"
    );
    let label_dir = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("round-1.json").is_file())
        .unwrap();
    let first = metric_median(&read_results(&label_dir.join("round-0.json")).unwrap());
    let second = metric_median(&read_results(&label_dir.join("round-1.json")).unwrap());
    let spread = (first - second).abs() / first.min(second);
    eprintln!(
        "deterministic medians: {first:.0} ns vs {second:.0} ns ({:.2}% apart)",
        spread * 100.0
    );
    assert!(
        spread < 0.05,
        "deterministic rounds differ by {:.1}%",
        spread * 100.0
    );

    let baseline = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let step_out = out.path().join("bisect");
    let output = bisect_step(
        &k,
        &k.debian_6_12,
        &baseline,
        &step_out,
        &["--deterministic"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "same kernel, deterministic: good"
    );
    // A baseline of another execution mode is refused (the bisect is set up wrong: abort).
    let output = bisect_step(
        &k,
        &k.debian_6_12,
        &baseline,
        &step_out,
        &["--accel", "tcg"],
    );
    assert_eq!(output.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&output.stderr).contains("different execution modes"));

    // A baseline metric the candidate does not measure (a scenario it skipped or lost):
    // this commit cannot be judged, so skip (125), never "good".
    let mut with_ghost = read_results(&baseline).unwrap();
    let mut ghost = with_ghost.results[0].clone();
    ghost.scenario = "ghost".into();
    with_ghost.results.push(ghost);
    let ghost_baseline = out.path().join("with-ghost.json");
    std::fs::write(&ghost_baseline, serde_json::to_vec(&with_ghost).unwrap()).unwrap();
    let output = bisect_step(
        &k,
        &k.debian_6_12,
        &ghost_baseline,
        &out.path().join("bisect-ghost"),
        &["--deterministic"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stdout}{stderr}");
    assert!(
        stdout.contains("ghost/swap_ns: missing in the candidate"),
        "{stdout}"
    );
    assert!(stderr.contains("skip (125)"), "{stderr}");

    // `--rounds auto` against a stored baseline: one round of 6.12 (3 repetitions) as the
    // baseline, 6.1 as the candidate with a 0.1% threshold (their swap costs differ by ~1%).
    // 3 vs 3 can never show a difference, so the step boots 6.1 again, and 3 vs 6 decides.
    let one_round = label_dir.join("round-0.json");
    let output = bisect_step(
        &k,
        &k.debian_6_1,
        &one_round,
        &out.path().join("bisect-auto"),
        &[
            "--rounds",
            "auto",
            "--threshold",
            "0.001",
            "--deterministic",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_round_2_decided_the_swap_storm(&stderr);
    assert!(stdout.contains(" 3/6 "), "{stdout}");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "a decided step is good or bad: {stdout}{stderr}"
    );
}

/// `kcanary bisect-step` of `kernel` against `baseline` (a results file) with the test
/// scenario, a 300 s boot timeout and the test's guest binary, plus `extra` options.
fn bisect_step(
    k: &TestKernels,
    kernel: &Path,
    baseline: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "bisect-step",
        "--kernel",
        kernel.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--timeout",
        "300",
        "--guest-binary",
        k.guest_binary.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kcanary(&args)
}

#[test]
fn a_kernel_that_does_not_boot_is_a_bisect_skip() {
    let Some(k) = test_kernels("a_kernel_that_does_not_boot_is_a_bisect_skip") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    // A file with a valid-looking boot header but nothing behind it: QEMU or the "kernel"
    // fails, and bisect-step must answer "skip", not "bad".
    let mut image = vec![0u8; 64 * 1024];
    image[0x1fe..0x200].copy_from_slice(&[0x55, 0xaa]);
    image[0x202..0x206].copy_from_slice(b"HdrS");
    image[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    let broken = out.path().join("bzImage");
    std::fs::write(&broken, &image).unwrap();
    let output = kcanary(&[
        "bisect-step",
        "--kernel",
        broken.to_str().unwrap(),
        "--baseline",
        k.debian_6_1.to_str().unwrap(),
        "--accel",
        "tcg",
        "--timeout",
        "60",
        "--guest-binary",
        k.guest_binary.to_str().unwrap(),
        "--out",
        out.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(125));
}

#[test]
fn module_dependencies_from_modinfo_match_the_modinfo_tool() {
    let Some(k) = test_kernels("module_dependencies_from_modinfo_match_the_modinfo_tool") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    for deb in [&k.debian_6_1, &k.debian_6_12] {
        let kernel = kcanary::vm::kernel::prepare(deb.to_str().unwrap(), out.path()).unwrap();
        let tree =
            kcanary::vm::modules::ModuleTree::scan(kernel.modules.as_ref().unwrap()).unwrap();
        let plan = tree.plan(&["ip_set_hash_ip", "ip_vs_rr"]).unwrap();
        let names: Vec<&str> = plan.ordered.iter().map(|(n, _)| n.as_str()).collect();
        let position = |n: &str| {
            names
                .iter()
                .position(|x| *x == n)
                .unwrap_or_else(|| panic!("{n} not in {names:?}"))
        };
        assert!(
            position("nfnetlink") < position("ip_set")
                && position("ip_set") < position("ip_set_hash_ip"),
            "{names:?}"
        );
        assert!(
            position("nf_conntrack") < position("ip_vs")
                && position("ip_vs") < position("ip_vs_rr"),
            "{names:?}"
        );
        for (name, path) in &plan.ordered {
            let bytes = kcanary::vm::modules::read_module(path).unwrap();
            let ours = kcanary::vm::elf::module_depends(&bytes).unwrap();
            let tool = Command::new("modinfo")
                .args(["-F", "depends"])
                .arg(path)
                .output()
                .expect("modinfo (Debian package kmod) is installed");
            assert!(tool.status.success(), "modinfo {}", path.display());
            let theirs: Vec<String> = String::from_utf8_lossy(&tool.stdout)
                .trim()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.replace('-', "_"))
                .collect();
            assert_eq!(ours, theirs, "{name}");
        }
    }
}

/// Processes whose command line mentions `needle` (our unique out directory).
fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}

#[test]
fn killing_kcanary_stops_qemu() {
    let Some(k) = test_kernels("killing_kcanary_stops_qemu") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args([
            "vm",
            "--accel",
            "tcg",
            "--kernel",
            k.debian_6_1.to_str().unwrap(),
        ])
        .args([
            "--guest-binary",
            k.guest_binary.to_str().unwrap(),
            "--out",
            &out_dir,
        ])
        .args(SCENARIO)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let qemu_running = || {
        processes_mentioning(&out_dir)
            .into_iter()
            .any(|pid| pid != child.id())
    };
    while !qemu_running() {
        assert!(started.elapsed().as_secs() < 60, "QEMU never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = std::time::Instant::now();
    while !processes_mentioning(&out_dir).is_empty() {
        assert!(
            killed_at.elapsed().as_secs() < 10,
            "QEMU still runs after kcanary was SIGKILLed"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_kernel_without_its_modules_reports_the_scenario_skipped() {
    let Some(k) = test_kernels("a_kernel_without_its_modules_reports_the_scenario_skipped") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    // The bare vmlinuz of the package: ip_set is a module there, so ipset cannot run.
    let kernel =
        kcanary::vm::kernel::prepare(k.debian_6_12.to_str().unwrap(), &out.path().join("deb"))
            .unwrap();
    let output = kcanary(&[
        "vm",
        "--accel",
        "tcg",
        "--timeout",
        "300",
        "--kernel",
        kernel.image.to_str().unwrap(),
        "--guest-binary",
        k.guest_binary.to_str().unwrap(),
        "--out",
        out.path().join("vm").to_str().unwrap(),
    ]);
    // Named on the command line but impossible on this kernel: skipped with the reason,
    // results written, exit 4 (incomplete evidence), never a pass.
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no module tree"), "{stderr}");
    assert!(
        stderr.contains("ipset-swap-storm was asked for but could not run here"),
        "{stderr}"
    );
    let results = results_in(&out.path().join("vm"), "6.12.");
    assert!(results.results.is_empty());
    assert_eq!(results.skipped.len(), 1);
    assert_eq!(results.skipped[0].scenario, "ipset-swap-storm");
    assert!(
        results.skipped[0].reason.contains("ipset"),
        "{}",
        results.skipped[0].reason
    );
}

/// Boots `package` with an initramfs without /init (the kernel looks for a root file system,
/// finds none and panics) and returns how the boot failed and how long the boot took.
fn boot_without_init(
    package: &std::path::Path,
    out: &std::path::Path,
    accel: kcanary::vm::qemu::Accel,
    init_deadline: Option<std::time::Duration>,
) -> (kcanary::vm::qemu::BootFailure, std::time::Duration) {
    let kernel = kcanary::vm::kernel::prepare(package.to_str().unwrap(), out).unwrap();
    let initramfs = out.join("empty.cpio");
    let mut cpio = kcanary::vm::cpio::CpioWriter::new(Vec::new());
    cpio.directory("/dev", 0o755).unwrap();
    std::fs::write(&initramfs, cpio.finish().unwrap()).unwrap();
    let spec = kcanary::vm::qemu::BootSpec {
        image: &kernel.image,
        initramfs: &initramfs,
        accel,
        cpus: 1,
        memory_mib: 512,
        timeout: std::time::Duration::from_secs(120),
        init_deadline,
        console_log: out.join("console.log"),
        results_capture: out.join("serial1"),
    };
    let started = std::time::Instant::now();
    match kcanary::vm::qemu::boot(&spec, &|_| {}) {
        Ok(_) => panic!("a kernel without init cannot deliver results"),
        Err(failure) => (failure, started.elapsed()),
    }
}

#[test]
fn a_kernel_panic_is_detected_and_reported() {
    let Some(k) = test_kernels("a_kernel_panic_is_detected_and_reported") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let (failure, took) = boot_without_init(
        &k.debian_6_1,
        out.path(),
        kcanary::vm::qemu::Accel::Tcg,
        None,
    );
    eprintln!("{}", failure.message);
    assert!(
        failure.message.contains("Kernel panic"),
        "{}",
        failure.message
    );
    assert!(failure.message.contains("console.log"));
    assert!(
        took < std::time::Duration::from_secs(100),
        "the panic ends the boot, not the timeout"
    );
}

/// Under KVM, a kernel that makes QEMU report a KVM failure ends its boot at once, not at the
/// init deadline. On this project's hosts /dev/kvm opens but Debian's 6.12 stops ~5 s into
/// the boot with "KVM internal error"; where KVM runs it, the kernel panics for want of an
/// init, which ends the boot as quickly. Only a silent hang (the deadline) fails the test.
#[test]
fn a_kvm_failure_ends_the_boot_before_the_init_deadline() {
    let Some(k) = test_kernels("a_kvm_failure_ends_the_boot_before_the_init_deadline") else {
        return;
    };
    if !kcanary::vm::qemu::kvm_device_usable() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: VM test a_kvm_failure_ends_the_boot_before_the_init_deadline NOT RUN: /dev/kvm does not open"
        );
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let deadline = std::time::Duration::from_secs(60);
    let (failure, took) = boot_without_init(
        &k.debian_6_12,
        out.path(),
        kcanary::vm::qemu::Accel::Kvm,
        Some(deadline),
    );
    eprintln!("after {:.1} s: {}", took.as_secs_f64(), failure.message);
    if failure.message.starts_with("QEMU reported a KVM failure: ") {
        assert!(failure.accel_suspect, "a KVM failure makes TCG worth a try");
    } else {
        assert!(
            failure.message.contains("Kernel panic"),
            "neither a KVM failure nor a kernel running under KVM: {}",
            failure.message
        );
    }
    assert!(took < deadline / 2, "ended after {took:?}");
}

/// cgroup v2 in a guest (Debian 6.12 mounts only v2): the dying count rises by N and goes
/// back after cleanup, and the stat files are read (the host's v1 path is in tests/memcg.rs).
/// On a kernel without user namespaces there is no `/proc/self/uid_map`, and the only
/// namespace is the initial one: memcg workloads must run, not report "needs root outside
/// any user namespace". The guest hides the files (Debian's kernels have user namespaces).
#[test]
fn a_kernel_without_user_namespaces_runs_the_memcg_workload() {
    let Some(k) = test_kernels("a_kernel_without_user_namespaces_runs_the_memcg_workload") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let output = kcanary_with(
        &[
            "vm",
            "--kernel",
            k.debian_6_12.to_str().unwrap(),
            "--deterministic",
            "--guest-without-user-namespaces",
            "--timeout",
            "300",
            "--guest-binary",
            k.guest_binary.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &[
            "memcg-dying-1k",
            "--set",
            "cgroups=50",
            "--set",
            "reads=5",
            "--repetitions",
            "1",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hid /proc/self/uid_map"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let results = results_in(out.path(), "6.12.");
    assert!(results.skipped.is_empty(), "{:?}", results.skipped);
    assert!(results.results.iter().any(|m| m.metric == "dying_cgroups"));
}

#[test]
fn memcg_v2_dying_count_rises_and_goes_back_in_a_guest() {
    let Some(k) = test_kernels("memcg_v2_dying_count_rises_and_goes_back_in_a_guest") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let output = kcanary_with(
        &[
            "vm",
            "--kernel",
            k.debian_6_12.to_str().unwrap(),
            "--accel",
            "tcg",
            "--timeout",
            "300",
            "--guest-binary",
            k.guest_binary.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &[
            "memcg-dying-1k",
            "--set",
            "cgroups=200",
            "--set",
            "reads=20",
            "--repetitions",
            "2",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let results = results_in(out.path(), "6.12.");
    assert!(results.skipped.is_empty(), "{:?}", results.skipped);
    let metric = |name: &str| {
        results
            .results
            .iter()
            .find(|m| m.metric == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(metric("dying_cgroups").samples, vec![200.0, 200.0]);
    assert!(
        metric("dying_after_cleanup")
            .samples
            .iter()
            .all(|&left| left <= 0.0),
        "{:?}",
        metric("dying_after_cleanup").samples
    );
    assert!(metric("numa_stat_parent_read_ns").summary.min > 0.0);
    assert!(metric("stat_root_read_ns").summary.min > 0.0);
}

// IPVS and the latency probes in both kernels: services are created and dumped back with the
// right count and attributes (the workload checks every dump and fails the run otherwise),
// FLUSH empties the table, the estimator sysctls are switched inside the namespace, and the
// probes give plausible distributions.

/// Small enough for TCG (about a minute per kernel), large enough to exercise dumps that span
/// several netlink datagrams.
const IPVS_SCENARIOS: &[&str] = &[
    "ipvs-services-2k",
    "ipvs-estimator-20k",
    "probe-latency",
    "--set",
    "services=600",
    "--set",
    "probe_seconds=2",
    "--set",
    "probe_round_trips=20000",
    "--set",
    "settle_seconds=1",
    "--repetitions",
    "1",
];

fn metric<'a>(results: &'a RunResults, key: &str) -> &'a MetricResult {
    results
        .results
        .iter()
        .find(|m| m.key() == key)
        .unwrap_or_else(|| panic!("no {key} in {}", results.environment.kernel_release))
}

fn value(results: &RunResults, key: &str) -> f64 {
    metric(results, key).samples[0]
}

fn assert_ordered_percentiles(results: &RunResults, prefix: &str) {
    let p = |name: &str| value(results, &format!("{prefix}.{name}"));
    let (p50, p99, p999, max) = (p("p50_ns"), p("p99_ns"), p("p999_ns"), p("max_ns"));
    assert!(
        p50 > 0.0 && p50 <= p99 && p99 <= p999 && p999 <= max,
        "{prefix}: {p50} {p99} {p999} {max}"
    );
}

#[test]
fn ipvs_and_probes_work_in_debian_6_1_and_6_12() {
    let Some(k) = test_kernels("ipvs_and_probes_work_in_debian_6_1_and_6_12") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args([
            "vm",
            "--accel",
            "tcg",
            "--cpus",
            "1",
            "--timeout",
            "600",
            "--guest-binary",
        ])
        .arg(&k.guest_binary)
        .arg("--kernel")
        .arg(&k.debian_6_1)
        .arg("--kernel")
        .arg(&k.debian_6_12)
        .arg("--out")
        .arg(out.path())
        .args(IPVS_SCENARIOS)
        .output()
        .unwrap();
    eprintln!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let code = output.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "exit code {code}: both kernels must run the scenarios"
    );

    for release in ["6.1.0-", "6.12."] {
        let results = results_in(out.path(), release);
        assert!(
            results.skipped.is_empty(),
            "{release}: skipped {:?}",
            results.skipped
        );
        // 600 services, each added (and checked in the dump) once per repetition.
        assert_eq!(
            metric(&results, "ipvs-services-2k/add_service_ns")
                .samples
                .len(),
            600
        );
        assert_eq!(
            metric(&results, "ipvs-services-2k/add_dest_ns")
                .samples
                .len(),
            1200
        );
        assert!(value(&results, "ipvs-services-2k/add_batched_services_per_s") > 0.0);
        assert!(value(&results, "ipvs-services-2k/flush_ns") > 0.0);
        // Estimation switched inside the namespace (run_estimation exists since 5.16).
        assert_eq!(
            value(&results, "ipvs-estimator-20k/est_on.run_estimation"),
            1.0
        );
        assert_eq!(
            value(&results, "ipvs-estimator-20k/est_off.run_estimation"),
            0.0
        );
        for prefix in [
            "ipvs-estimator-20k/est_on.udp_rtt",
            "ipvs-estimator-20k/est_off.udp_rtt",
            "ipvs-estimator-20k/est_on.timer_overshoot",
            "probe-latency/udp_rtt",
            "probe-latency/timer_overshoot",
        ] {
            assert_ordered_percentiles(&results, prefix);
        }
        assert!(value(&results, "ipvs-estimator-20k/est_on.udp_rtt.samples") >= 20_000.0);
    }
    // est_cpulist / est_nice exist from 6.2 (estimation kthreads), not in 6.1.
    let old = results_in(out.path(), "6.1.0-");
    let new = results_in(out.path(), "6.12.");
    assert!(
        !old.results
            .iter()
            .any(|m| m.metric.ends_with("est_cpulist_mask"))
    );
    assert!(value(&new, "ipvs-estimator-20k/est_on.est_cpulist_mask") >= 1.0);
}

/// Small enough for TCG: 2,000 idle services, estimation on, 3 s of probes. On 6.1 the
/// estimator is a timer walking every service in the timer softirq; 6.2+ use kthreads.
const EXPLAIN_ESTIMATOR: &str = r#"name = "explain-estimator"
description = "attribution test: a small IPVS estimator scenario"
workload = "ipvs.estimator"
repetitions = 1
warmup = 0

[params]
services = 2000
dests_per_service = 0
estimation = "on"
settle_seconds = 1
probe_seconds = 3
probe_round_trips = 5000
"#;

const EXPLAIN_SWAP: &str = r#"name = "explain-swap"
description = "attribution test: a small ipset swap storm"
workload = "ipset.swap_storm"
repetitions = 3
warmup = 0

[params]
other_sets = 200
swaps = 200
entries = 4
"#;

fn attribution<'a>(all: &'a serde_json::Value, scenario: &str) -> &'a serde_json::Value {
    all.as_array()
        .unwrap()
        .iter()
        .find(|a| a["scenario"] == scenario)
        .unwrap_or_else(|| panic!("no attribution of {scenario} in {all}"))
}

fn attributions_in(dir: &Path, release_prefix: &str) -> serde_json::Value {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(release_prefix) && name.ends_with(".attribution.json")
        })
        .unwrap_or_else(|| panic!("no attribution for {release_prefix} in {}", dir.display()));
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

/// `vm --explain` on Debian 6.1 and 6.12 (deterministic mode): the timer tracepoints name
/// estimation_timer as the callback that runs longest on 6.1 and never on 6.12, and the
/// function_graph tracer shows the ip_set_swap subtree per operation on both.
#[test]
fn explain_names_estimation_timer_on_6_1_and_the_ip_set_swap_subtree() {
    let Some(k) = test_kernels("explain_names_estimation_timer_on_6_1_and_the_ip_set_swap_subtree")
    else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let estimator = out.path().join("explain-estimator.toml");
    std::fs::write(&estimator, EXPLAIN_ESTIMATOR).unwrap();
    let swap = out.path().join("explain-swap.toml");
    std::fs::write(&swap, EXPLAIN_SWAP).unwrap();
    let results = out.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args(["vm", "--explain", "--deterministic", "--timeout", "600"])
        .arg("--guest-binary")
        .arg(&k.guest_binary)
        .arg("--kernel")
        .arg(&k.debian_6_1)
        .arg("--kernel")
        .arg(&k.debian_6_12)
        .arg("--out")
        .arg(&results)
        .arg("--bundle")
        .arg(out.path().join("bundle"))
        .arg(&estimator)
        .arg(&swap)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let code = output.status.code().unwrap();
    assert!(code == 0 || code == 1, "exit code {code}");

    let old = attributions_in(&results, "6.1.0-");
    let new = attributions_in(&results, "6.12.");
    // The estimator: tracepoints, estimation_timer the longest timer callback on 6.1 only.
    for a in [&old, &new] {
        let a = attribution(a, "explain-estimator");
        assert_eq!(a["method"], "tracepoints");
        assert!(
            a["traced"]
                .as_array()
                .unwrap()
                .contains(&"timer:timer_expire_entry".into())
        );
    }
    let timers = |a: &serde_json::Value| {
        attribution(a, "explain-estimator")["events"]["timer_callbacks"].clone()
    };
    let (old_timers, new_timers) = (timers(&old), timers(&new));
    let longest = old_timers
        .as_object()
        .unwrap()
        .iter()
        .max_by(|x, y| {
            x.1["max_ns"]
                .as_f64()
                .unwrap()
                .total_cmp(&y.1["max_ns"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(longest.0, "estimation_timer", "6.1 timers: {old_timers}");
    assert!(longest.1["count"].as_u64().unwrap() >= 1);
    assert!(
        new_timers.get("estimation_timer").is_none(),
        "6.12 timers: {new_timers}"
    );
    assert!(stdout.contains("timer estimation_timer"));

    // The swap: the function_graph tree below ip_set_swap, one root call per swap.
    for a in [&old, &new] {
        let a = attribution(a, "explain-swap");
        assert_eq!(a["method"], "function_graph");
        assert_eq!(a["operations"], 200);
        let paths = &a["graph"]["paths"];
        assert_eq!(paths["ip_set_swap"]["calls"], 200);
        // Each swap looks up both sets by name.
        assert_eq!(paths["ip_set_swap;find_set_and_id"]["calls"], 400);
        let inclusive = paths["ip_set_swap"]["inclusive_ns"].as_f64().unwrap();
        let exclusive = paths["ip_set_swap"]["exclusive_ns"].as_f64().unwrap();
        assert!(inclusive > exclusive && exclusive > 0.0);
        assert_eq!(a["lost_events"], 0);
    }
    assert!(stdout.contains("ip_set_swap > find_set_and_id"));
    let explain = std::fs::read_to_string(results.join("explain.txt")).unwrap();
    assert!(explain.contains("explain-swap: swap_ns"));
    let diffs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(results.join("explain.json")).unwrap()).unwrap();
    assert!(!diffs[0]["diffs"].as_array().unwrap().is_empty());

    // The evidence bundle: readable without kcanary.
    let bundle = out.path().join("bundle");
    let report = std::fs::read_to_string(bundle.join("report.txt")).unwrap();
    for needed in [
        "Kernels",
        "Execution mode\n  qemu-tcg-icount",
        "95% interval",
        "timer estimation_timer gone",
        "ip_set_swap > find_set_and_id",
        "git bisect run kcanary bisect-step --kernel . --baseline 6.1.0-",
        "scenarios/explain-estimator.toml scenarios/explain-swap.toml",
    ] {
        assert!(
            report.contains(needed),
            "report.txt lacks {needed:?}:\n{report}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(bundle.join("scenarios/explain-swap.toml")).unwrap(),
        EXPLAIN_SWAP
    );
    let names: Vec<String> = std::fs::read_dir(&bundle)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| n.ends_with(".attribution.json"))
            .count(),
        2
    );
    assert_eq!(
        names
            .iter()
            .filter(|n| n.ends_with(".json") && !n.contains("attribution"))
            .count(),
        2
    );
    assert!(bundle.join("plots/explain-swap-swap_ns-cdf.svg").exists());
}

/// `kcanary history --kernel` in deterministic mode: two kernels boot side by side
/// (`--jobs 2`) and the 6.1 guest's median equals that of a guest booted alone; the results
/// are added to the history directory, and a second call boots nothing already there.
#[test]
fn parallel_deterministic_guests_match_one_alone_and_history_adds_only_what_is_missing() {
    let Some(k) = test_kernels(
        "parallel_deterministic_guests_match_one_alone_and_history_adds_only_what_is_missing",
    ) else {
        return;
    };
    let (k61, k612) = (
        k.debian_6_1.to_str().unwrap(),
        k.debian_6_12.to_str().unwrap(),
    );
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
        metric_median(&results_in(&alone, "6.1.0-")),
        metric_median(&results_in(&history, "6.1.0-")),
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

/// `--rounds auto` booted the swap storm a second time and every metric then had a verdict.
fn assert_round_2_decided_the_swap_storm(stderr: &str) {
    assert!(
        stderr.contains("rounds auto: round 2 for the undecided scenarios: ipset-swap-storm"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rounds auto: every metric has a verdict after 2 round(s)"),
        "{stderr}"
    );
}
