//! Real-kernel tests of the dying-memcg workload (root, cgroup v1 on the development host;
//! the v2 path runs in the VM). The dying count is global, so these tests run one at a time,
//! and other software's cgroups move it a little: counts are compared with a tolerance.

mod common;

use kcanary::memcg::buildup::build_dying;
use kcanary::memcg::charge::Charger;
use kcanary::memcg::dying::dying_in_hierarchy;
use kcanary::memcg::names::{RUN_ROOT, owner_name, owner_pid, run_dir};
use kcanary::memcg::owner::HierarchyLock;
use kcanary::memcg::teardown::is_mount_point;
use kcanary::memcg::workspace::{ChargeMedium, Workspace};
use kcanary::memcg::{MemoryHierarchy, remove_leftovers};
use kcanary::results::RunResults;
use kcanary::runner::{RunHooks, run_scenarios};
use kcanary::scenario::parse_scenario;
use kcanary::workload::NoProgress;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How far the host's own dying cgroups may drift during one test (the platform creates a
/// cgroup per process it starts and keeps 5-80 dying ones).
fn tolerance(n: i64) -> i64 {
    (n / 20).max(25)
}

fn hierarchy() -> MemoryHierarchy {
    MemoryHierarchy::detect().expect("these tests need a memory cgroup hierarchy and root")
}

/// Waits until the dying count is within tolerance of `baseline` (cgroups are freed
/// asynchronously after their pages go); returns the last difference.
fn settle_to(hierarchy: &MemoryHierarchy, baseline: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let above = dying_in_hierarchy(hierarchy).unwrap() - baseline;
        if above <= tolerance(0) || Instant::now() > deadline {
            return above;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// kcanary cgroups and run directories that exist right now, by pid.
fn kcanary_leftovers(hierarchy: &MemoryHierarchy) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in [hierarchy.root(), Path::new(RUN_ROOT)] {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if owner_pid(&entry.file_name().to_string_lossy()).is_some() {
                found.push(entry.path());
            }
        }
    }
    found
}

#[test]
fn dying_count_rises_by_n_and_goes_back_after_cleanup() {
    let _serial = serial();
    let hierarchy = hierarchy();
    let _exclusive = HierarchyLock::acquire(hierarchy.root()).unwrap();
    remove_leftovers(&hierarchy).unwrap();
    let baseline = dying_in_hierarchy(&hierarchy).unwrap();
    let n: i64 = 500;

    let mut workspace = Workspace::create(&hierarchy, ChargeMedium::Tmpfs, 64 << 20).unwrap();
    let charger = Charger::new(4).unwrap();
    let samples = build_dying(&workspace, &charger, n as u64, &NoProgress).unwrap();
    assert_eq!(samples.charge_ns.len(), n as usize);
    let risen = dying_in_hierarchy(&hierarchy).unwrap() - baseline;
    assert!(
        (risen - n).abs() <= tolerance(n),
        "dying count rose by {risen}, expected {n}"
    );
    let usage: u64 = std::fs::read_to_string(workspace.parent.join("memory.usage_in_bytes"))
        .or_else(|_| std::fs::read_to_string(workspace.parent.join("memory.current")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        usage >= n as u64 * 4096,
        "the dying children's pages are charged below the parent: {usage} bytes"
    );

    let parent = workspace.parent.clone();
    workspace.teardown().unwrap();
    drop(workspace);
    let left = settle_to(&hierarchy, baseline);
    assert!(
        left <= tolerance(0),
        "{left} dying cgroups above the baseline after cleanup"
    );
    assert!(!parent.exists(), "{} still exists", parent.display());
    assert!(!run_dir(std::process::id()).exists());
}

#[test]
fn failed_charge_still_cleans_up() {
    let _serial = serial();
    let hierarchy = hierarchy();
    // A tmpfs too small for the payload: the first charging process fails with ENOSPC.
    let workspace = Workspace::create(&hierarchy, ChargeMedium::Tmpfs, 4096).unwrap();
    let charger = Charger::new(64).unwrap();
    let error = build_dying(&workspace, &charger, 10, &NoProgress)
        .err()
        .expect("ENOSPC");
    assert!(error.to_string().contains("ENOSPC"), "{error}");
    let parent = workspace.parent.clone();
    drop(workspace); // the error path: Drop tears down, live charged child included
    assert!(!parent.exists());
    assert!(!is_mount_point(&run_dir(std::process::id()).join("tmpfs")));
}

/// Runs a scenario through the runner, as `kcanary run` does.
fn run_scenario_text(text: &str) -> RunResults {
    let scenario = parse_scenario(Path::new("test.toml"), text).unwrap();
    let hooks = RunHooks {
        progress: &NoProgress,
        status: &|line: &str| eprintln!("{line}"),
    };
    let run = run_scenarios(&[scenario], kcanary::results::ExecutionMode::Host, &hooks).unwrap();
    assert!(run.skipped.is_empty(), "skipped: {:?}", run.skipped);
    run
}

fn metric<'a>(results: &'a RunResults, name: &str) -> &'a kcanary::results::MetricResult {
    results
        .results
        .iter()
        .find(|m| m.metric == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

#[test]
fn workload_reports_counts_rates_and_read_latencies() {
    let _serial = serial();
    let hierarchy = hierarchy();
    let results = run_scenario_text(
        "name = \"t\"\nworkload = \"memcg.dying\"\nrepetitions = 2\n\
         [params]\ncgroups = 300\nreads = 20\nsettle_seconds = 20\n",
    );
    let dying = metric(&results, "dying_cgroups");
    assert_eq!(dying.samples.len(), 2);
    for &count in &dying.samples {
        assert!(
            (count as i64 - 300).abs() <= tolerance(300),
            "dying_cgroups {count}"
        );
    }
    for &left in &metric(&results, "dying_after_cleanup").samples {
        assert!(left as i64 <= tolerance(0), "dying_after_cleanup {left}");
    }
    assert_eq!(metric(&results, "charge_ns").samples.len(), 600);
    assert_eq!(
        metric(&results, "kernel_bytes_per_dying_cgroup")
            .samples
            .len(),
        2
    );
    assert!(
        metric(&results, "buildup_rate")
            .samples
            .iter()
            .all(|&r| r > 0.0)
    );
    for name in [
        "numa_stat_parent",
        "stat_parent",
        "numa_stat_root",
        "stat_root",
    ] {
        assert_eq!(
            metric(&results, &format!("{name}_first_read_ns"))
                .samples
                .len(),
            2
        );
        assert_eq!(
            metric(&results, &format!("{name}_read_ns")).samples.len(),
            40
        );
    }
    assert!(
        kcanary_leftovers(&hierarchy).is_empty(),
        "{:?}",
        kcanary_leftovers(&hierarchy)
    );
}

/// The seed symptom's probe: UDP round trips on the reading CPU, alone and beside a
/// memory.numa_stat scraper, while the dying cgroups exist.
#[test]
fn probe_beside_a_stat_scraper_reports_both_distributions() {
    let _serial = serial();
    let results = run_scenario_text(
        "name = \"t\"\nworkload = \"memcg.dying\"\nrepetitions = 1\n\
         [params]\ncgroups = 100\nreads = 10\nprobe_seconds = 1\nsettle_seconds = 20\n",
    );
    for prefix in ["idle", "scraping"] {
        let value = |name: &str| metric(&results, &format!("{prefix}.udp_rtt.{name}")).samples[0];
        let (p50, p99, max) = (value("p50_ns"), value("p99_ns"), value("max_ns"));
        assert!(
            p50 > 0.0 && p50 <= p99 && p99 <= max,
            "{prefix}: {p50} {p99} {max}"
        );
        assert!(value("samples") > 1000.0, "{prefix}: too few round trips");
    }
    // One scrape every 10 ms for a second.
    assert!(metric(&results, "scraping.reads").samples[0] >= 50.0);
    assert!(metric(&results, "scraping.read_max_ns").samples[0] > 0.0);
}

#[test]
fn page_cache_charges_also_make_dying_cgroups() {
    let _serial = serial();
    let hierarchy = hierarchy();
    let results = run_scenario_text(
        "name = \"t\"\nworkload = \"memcg.dying\"\nrepetitions = 1\n\
         [params]\ncgroups = 200\ncharge = \"page_cache\"\nreads = 5\nsettle_seconds = 20\n",
    );
    let count = metric(&results, "dying_cgroups").samples[0] as i64;
    assert!(
        (count - 200).abs() <= tolerance(200),
        "dying_cgroups {count}"
    );
    assert!(
        !Path::new("/var/tmp")
            .join(owner_name(std::process::id()))
            .exists()
    );
    assert!(kcanary_leftovers(&hierarchy).is_empty());
}

/// A value the workload refuses is bad input at its line when the scenario is read, before
/// any cgroup or mount exists.
#[test]
fn bad_charge_parameter_is_refused_at_its_line() {
    let error = parse_scenario(
        Path::new("t.toml"),
        "name = \"t\"\nworkload = \"memcg.dying\"\n[params]\ncharge = \"swap\"\n",
    )
    .err()
    .unwrap();
    assert_eq!(error.exit_code(), kcanary::error::exit_code::BAD_INPUT);
    assert!(
        error.to_string().starts_with(
            "t.toml:4: memcg.dying: parameter 'charge' must be \"tmpfs\" or \"page_cache\""
        ),
        "{error}"
    );
}

#[test]
fn a_charge_larger_than_the_machine_is_refused_before_anything_is_created() {
    let scenario = parse_scenario(
        Path::new("t.toml"),
        "name = \"t\"\nworkload = \"memcg.dying\"\n[params]\ncgroups = 50000\ncharge_kib = 1048576\n",
    )
    .unwrap();
    let hooks = RunHooks {
        progress: &NoProgress,
        status: &|_: &str| {},
    };
    let error = run_scenarios(&[scenario], kcanary::results::ExecutionMode::Host, &hooks)
        .err()
        .unwrap();
    assert_eq!(error.exit_code(), kcanary::error::exit_code::BAD_INPUT);
    assert!(error.to_string().contains("more than half"), "{error}");
    assert!(
        !hierarchy()
            .root()
            .join(owner_name(std::process::id()))
            .exists()
    );
}

/// Starts `kcanary run` of a one-repetition memcg.dying scenario with `cgroups` cgroups held
/// by `charge` ("tmpfs" or "page_cache").
fn spawn_memcg_run(dir: &Path, cgroups: u64, charge: &str) -> std::process::Child {
    let name = format!("dying-{cgroups}-{charge}");
    let scenario = dir.join(format!("{name}.toml"));
    std::fs::write(
        &scenario,
        format!(
            "name = \"{name}\"\nworkload = \"memcg.dying\"\nrepetitions = 1\n\
             [params]\ncgroups = {cgroups}\nreads = 5\nsettle_seconds = 20\ncharge = \"{charge}\"\n"
        ),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.join(format!("results-{name}.json")))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn killed_run_is_cleaned_by_the_next_run() {
    let _serial = serial();
    let hierarchy = hierarchy();
    remove_leftovers(&hierarchy).unwrap();
    let baseline = dying_in_hierarchy(&hierarchy).unwrap();

    let dir = tempfile::tempdir().unwrap();
    // A long run, killed once it has built up a few hundred dying cgroups.
    let mut victim = spawn_memcg_run(dir.path(), 50_000, "tmpfs");
    let victim_pid = victim.id();
    let victim_cgroup = hierarchy.root().join(owner_name(victim_pid));
    let deadline = Instant::now() + Duration::from_secs(60);
    while dying_in_hierarchy(&hierarchy).unwrap() - baseline < 300 {
        assert!(
            Instant::now() < deadline,
            "the victim run never built up dying cgroups"
        );
        assert!(
            victim.try_wait().unwrap().is_none(),
            "the victim run ended early"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(victim_pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    victim.wait().unwrap();
    assert!(
        victim_cgroup.exists(),
        "a killed run leaves its parent cgroup"
    );
    assert!(
        is_mount_point(&run_dir(victim_pid).join("tmpfs")),
        "and its tmpfs"
    );

    // The next run removes the leftovers and says so.
    let next = spawn_memcg_run(dir.path(), 50, "tmpfs")
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&next.stderr);
    assert!(next.status.success(), "next run failed: {stderr}");
    assert!(
        stderr.contains("removed leftovers") && stderr.contains(&owner_name(victim_pid)),
        "next run did not report the leftovers of {victim_pid}: {stderr}"
    );
    assert!(!victim_cgroup.exists());
    assert!(!run_dir(victim_pid).exists());
    assert!(
        kcanary_leftovers(&hierarchy).is_empty(),
        "{:?}",
        kcanary_leftovers(&hierarchy)
    );
    let left = settle_to(&hierarchy, baseline);
    assert!(
        left <= tolerance(0),
        "{left} dying cgroups above the baseline after the next run"
    );
}

#[test]
fn concurrent_runs_take_turns_and_both_count_right() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_memcg_run(dir.path(), 400, "tmpfs");
    std::thread::sleep(Duration::from_millis(100));
    let second = spawn_memcg_run(dir.path(), 401, "tmpfs");
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for (output, n) in outputs.iter().zip([400, 401]) {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let results = kcanary::results::file::read_results(
            &dir.path().join(format!("results-dying-{n}-tmpfs.json")),
        )
        .unwrap();
        let count = metric(&results, "dying_cgroups").samples[0] as i64;
        assert!(
            (count - n).abs() <= tolerance(n),
            "run of {n} counted {count}"
        );
    }
    let waited = outputs
        .iter()
        .any(|o| String::from_utf8_lossy(&o.stderr).contains("waiting for another memcg run"));
    assert!(waited, "one run should have waited for the other");
}

// Issue 12 item 3: SIGINT, SIGTERM and SIGHUP remove what the run created; leftovers of a
// SIGKILLed run are named by any later run.

/// Where the run of `pid` keeps its charged files.
fn charge_store(pid: u32, charge: &str) -> PathBuf {
    match charge {
        "tmpfs" => run_dir(pid).join("tmpfs"),
        _ => Path::new("/var/tmp").join(owner_name(pid)),
    }
}

/// Waits until `run` has its parent cgroup and a few dozen charged files (dying cgroups).
fn wait_for_buildup(run: &mut std::process::Child, hierarchy: &MemoryHierarchy, charge: &str) {
    let cgroup = hierarchy.root().join(owner_name(run.id()));
    let store = charge_store(run.id(), charge);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let files = std::fs::read_dir(&store).map(|d| d.count()).unwrap_or(0);
        if cgroup.exists() && files >= 50 {
            return;
        }
        assert!(run.try_wait().unwrap().is_none(), "the run ended early");
        assert!(Instant::now() < deadline, "the run never built up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_termination_signal_removes_everything_the_run_created() {
    use nix::sys::signal::Signal;
    let _serial = serial();
    let hierarchy = hierarchy();
    remove_leftovers(&hierarchy).unwrap();
    let baseline = dying_in_hierarchy(&hierarchy).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (signal, charge) in [
        (Signal::SIGINT, "tmpfs"),
        (Signal::SIGTERM, "tmpfs"),
        (Signal::SIGHUP, "page_cache"),
    ] {
        let mut run = spawn_memcg_run(dir.path(), 50_000, charge);
        let pid = run.id();
        wait_for_buildup(&mut run, &hierarchy, charge);
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal).unwrap();
        let output = common::output_within(run, Duration::from_secs(60));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(128 + signal as i32),
            "{signal}: {stderr}"
        );
        assert!(stderr.contains(&format!("stopped by {signal}")), "{stderr}");
        let cgroup = hierarchy.root().join(owner_name(pid));
        assert!(!cgroup.exists(), "{signal} left {}", cgroup.display());
        assert!(!run_dir(pid).exists(), "{signal} left the run directory");
        let store = charge_store(pid, charge);
        assert!(!store.exists(), "{signal} left {}", store.display());
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(
            !mountinfo.contains(&format!("/{}/", owner_name(pid))),
            "{signal} left a mount: {mountinfo}"
        );
    }
    // The charged files went too, so the dying cgroups they held are freed.
    let left = settle_to(&hierarchy, baseline);
    assert!(
        left <= tolerance(0),
        "{left} dying cgroups above the baseline"
    );
}

#[test]
fn a_later_ipset_run_names_the_leftovers_of_a_killed_memcg_run() {
    let _serial = serial();
    let hierarchy = hierarchy();
    remove_leftovers(&hierarchy).unwrap();
    let baseline = dying_in_hierarchy(&hierarchy).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut victim = spawn_memcg_run(dir.path(), 50_000, "tmpfs");
    let victim_pid = victim.id();
    wait_for_buildup(&mut victim, &hierarchy, "tmpfs");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(victim_pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    victim.wait().unwrap();
    let cgroup = hierarchy.root().join(owner_name(victim_pid));

    let ipset = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args(["run", "ipset-swap-storm-0", "--repetitions", "1"])
        .args(["--set", "swaps=10", "--out"])
        .arg(dir.path().join("ipset.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = common::output_within(ipset, Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "note: a killed kcanary run (pid {victim_pid}) left {}, a tmpfs mounted on {}",
            cgroup.display(),
            run_dir(victim_pid).join("tmpfs").display()
        )),
        "{stderr}"
    );
    // An ipset run leaves them alone; a memcg run (here: the library call) removes them.
    assert!(cgroup.exists());
    remove_leftovers(&hierarchy).unwrap();
    assert!(!cgroup.exists());
    assert!(!run_dir(victim_pid).exists());
    // The next test counts dying cgroups: let the victim's go first.
    settle_to(&hierarchy, baseline);
}
