//! Attribution (`--explain`): aggregation of trace text captured from Debian kernels in the
//! VM (tests/golden/trace/), and a traced run on this host's kernel, which has no
//! function_graph tracer: the fallback is used and said. The VM attribution tests are in
//! tests/vm.rs (they need the Debian kernels).

use kcanary::tracefs::{events, graph};
use std::process::Command;

fn golden(name: &str) -> String {
    let path = format!("{}/tests/golden/trace/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn function_graph_of_ip_set_swap_from_debian_6_12_aggregates_per_operation() {
    // Three swaps as Debian 6.12.117 traced them (max_graph_depth 3), the second one hit by
    // an interrupt inside find_set_and_id.
    let profile = graph::aggregate(&golden("function_graph-ip_set_swap-6.12.117.txt"));
    assert_eq!(profile.root_calls["ip_set_swap"], 3);
    assert_eq!(profile.unparsed_lines, 0);
    assert_eq!(profile.unmatched_returns, 0);
    assert_eq!(profile.unfinished_calls, 0);
    let swap = &profile.paths["ip_set_swap"];
    assert_eq!(swap.calls, 3);
    assert!((swap.inclusive_ns - (30_889.0 + 57_621.0 + 30_658.0)).abs() < 0.5);
    // Two name look-ups per swap (the two sets), each a leaf at this depth except the one
    // the interrupt entered.
    let lookup = &profile.paths["ip_set_swap;find_set_and_id"];
    assert_eq!(lookup.calls, 6);
    assert!((lookup.inclusive_ns - (10_266.0 + 10_361.0) * 2.0 - 10_361.0 - 37_217.0).abs() < 0.5);
    // The interrupt's own functions are charged to the look-up's children, not to it.
    assert!((lookup.exclusive_ns - (lookup.inclusive_ns - 720.0 - 723.0)).abs() < 0.5);
    // Exclusive time of the swap is what its listed callees do not cover.
    let callees: f64 = profile
        .paths
        .iter()
        .filter(|(p, _)| p.matches(';').count() == 1)
        .map(|(_, t)| t.inclusive_ns)
        .sum();
    assert!((swap.exclusive_ns - (swap.inclusive_ns - callees)).abs() < 0.5);
}

#[test]
fn timer_tracepoints_from_debian_6_1_name_estimation_timer() {
    let profile = events::aggregate(&golden("timer-ipvs-estimator-6.1.192.txt"));
    let estimation = &profile.timer_callbacks["estimation_timer"];
    assert!(estimation.count >= 1);
    let longest_other = profile
        .timer_callbacks
        .iter()
        .filter(|(name, _)| name.as_str() != "estimation_timer")
        .map(|(_, t)| t.max_ns)
        .fold(0.0, f64::max);
    assert!(
        estimation.max_ns > longest_other,
        "estimation_timer {} ns, longest other callback {longest_other} ns",
        estimation.max_ns
    );
    assert!(profile.softirqs.contains_key("TIMER"));
}

/// This host's kernel (6.18) has the function tracer but no function_graph, and its lockdown
/// forbids reading available_filter_functions: the attribution must use the sched_switch
/// fallback and say why, and leave no tracefs mounted.
#[test]
fn a_kernel_without_the_graph_tracer_gets_the_fallback_and_says_so() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("NOTICE: test needs root (tracefs); NOT RUN");
        return;
    }
    let _one_tracer_at_a_time = serial();
    let tracers = available_tracers();
    if tracers.contains(&"function_graph".to_string()) {
        eprintln!("NOTICE: this kernel has function_graph; the fallback test needs one without");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("r.json");
    let output = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args([
            "run",
            "--explain",
            "ipset-swap-storm",
            "--set",
            "other_sets=50",
        ])
        .args([
            "--set",
            "swaps=100",
            "--set",
            "entries=2",
            "--repetitions",
            "2",
            "-o",
        ])
        .arg(&results)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout.contains("no function_graph tracer on this kernel"));
    let attributions: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("r.attribution.json")).unwrap())
            .unwrap();
    let a = &attributions[0];
    assert_eq!(a["scenario"], "ipset-swap-storm");
    assert_eq!(a["method"], "tracepoints");
    assert_eq!(a["traced"][0], "sched:sched_switch");
    assert_eq!(a["operations"], 100);
    assert!(a["events"]["task_off_cpu"]["count"].as_u64().is_some());
    // The measured results are a file of their own, untouched by the traced repetition.
    let measured: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&results).unwrap()).unwrap();
    assert_eq!(
        measured["results"][0]["samples"].as_array().unwrap().len(),
        200
    );
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(!mounts.contains("kcanary-tracefs"), "tracefs left mounted");
}

/// A run stopped by SIGTERM while it traces puts the tracer settings back and unmounts its
/// tracefs (the signal thread runs the reset the normal end would run).
#[test]
fn a_run_stopped_mid_trace_leaves_no_mount_and_no_event_enabled() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("NOTICE: test needs root (tracefs); NOT RUN");
        return;
    }
    let _one_tracer_at_a_time = serial();
    let out = tempfile::tempdir().unwrap();
    let mut run = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args([
            "run",
            "--explain",
            "ipset-swap-storm",
            "--set",
            "other_sets=0",
        ])
        .args(["--set", "swaps=3000000", "--repetitions", "1", "-o"])
        .arg(out.path().join("r.json"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mounted = || {
        std::fs::read_to_string("/proc/self/mounts")
            .unwrap()
            .contains("kcanary-tracefs")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while !mounted() {
        assert!(
            run.try_wait().unwrap().is_none(),
            "the run ended before it traced"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the traced repetition never began"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(run.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let output = run.wait_with_output().unwrap();
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(128 + 15));
    assert!(!mounted(), "tracefs left mounted");
    let dir = tempfile::tempdir().unwrap();
    let tracefs = kcanary::tracefs::Tracefs::mount_under(dir.path()).unwrap();
    assert_eq!(
        tracefs
            .read("events/sched/sched_switch/enable")
            .unwrap()
            .trim(),
        "0"
    );
    assert_eq!(tracefs.read("current_tracer").unwrap().trim(), "nop");
}

/// The tests here that trace on the host run one at a time: each checks the tracer state the
/// other changes.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static TRACER: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TRACER.lock().unwrap_or_else(|p| p.into_inner())
}

fn available_tracers() -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let tracefs = kcanary::tracefs::Tracefs::mount_under(dir.path()).unwrap();
    tracefs.tracers()
}
