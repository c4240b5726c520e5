//! The IPVS and probe scenario files parse, name real workloads, and run (or skip) here.

use kcanary::runner::{RunHooks, run_scenarios};
use kcanary::scenario::{Scenario, load_file};
use kcanary::workload::NoProgress;
use std::path::Path;

fn load(name: &str) -> Scenario {
    load_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name),
    )
    .unwrap()
}

#[test]
fn ipvs_and_probe_scenarios_are_valid() {
    for file in [
        "ipvs-services-2k.toml",
        "ipvs-services-20k.toml",
        "ipvs-services-100k.toml",
        "ipvs-estimator-20k.toml",
        "ipvs-estimator-100k.toml",
        "probe-latency.toml",
    ] {
        let scenario = load(file);
        assert!(
            file.starts_with(&scenario.name),
            "{file} is named {}",
            scenario.name
        );
        let large = scenario
            .params
            .to_json()
            .get("services")
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
            > 2000;
        assert_eq!(
            scenario.in_default_suite(),
            !large,
            "{file}: only modest scenarios belong to the default suite"
        );
    }
}

#[test]
fn probe_scenario_runs_here_and_gives_plausible_percentiles() {
    let mut scenario = load("probe-latency.toml");
    scenario.repetitions = 1;
    scenario.params.set(
        "probe_seconds",
        kcanary::workload::params::ParamValue::Integer(1),
    );
    scenario.params.set(
        "probe_round_trips",
        kcanary::workload::params::ParamValue::Integer(20_000),
    );
    let status = |_: &str| {};
    let hooks = RunHooks {
        progress: &NoProgress,
        status: &status,
    };
    let run = run_scenarios(&[scenario], kcanary::results::ExecutionMode::Host, &hooks).unwrap();
    let value = |metric: &str| {
        run.results
            .iter()
            .find(|r| r.metric == metric)
            .map(|r| r.samples[0])
            .unwrap()
    };
    let (p50, p99, p999, max) = (
        value("udp_rtt.p50_ns"),
        value("udp_rtt.p99_ns"),
        value("udp_rtt.p999_ns"),
        value("udp_rtt.max_ns"),
    );
    assert!(p50 > 0.0 && p50 <= p99 && p99 <= p999 && p999 <= max);
    assert!(value("udp_rtt.samples") >= 20_000.0);
    assert!(value("udp_rtt.over_100us") <= value("udp_rtt.samples"));
    assert!(value("timer_overshoot.p50_ns") > 0.0);
    assert!(value("timer_overshoot.over_1ms") >= value("timer_overshoot.over_10ms"));
}

/// Runs the scenario file named by `KCANARY_GUEST_SCENARIO` and prints one line per metric.
/// Used inside a VM guest (`--ignored`) until `kcanary vm` runs scenarios itself; the IPVS
/// workloads check what the kernel dumps back, so a failed check fails this test.
#[test]
#[ignore]
fn guest_scenario() {
    let Ok(path) = std::env::var("KCANARY_GUEST_SCENARIO") else {
        panic!("set KCANARY_GUEST_SCENARIO to a scenario file");
    };
    let mut scenario = load_file(Path::new(&path)).unwrap();
    if let Ok(repetitions) = std::env::var("KCANARY_GUEST_REPETITIONS") {
        scenario.repetitions = repetitions.parse().unwrap();
        scenario.warmup = 0;
    }
    let status = |line: &str| println!("status: {line}");
    let hooks = RunHooks {
        progress: &NoProgress,
        status: &status,
    };
    let run = run_scenarios(&[scenario], "vm".into(), &hooks).unwrap();
    println!("kernel: {}", run.environment.kernel_release);
    for r in &run.results {
        let s = &r.summary;
        println!(
            "metric: {} [{}] n={} min={:.0} p50={:.0} p99={:.0} max={:.0} mean={:.0}",
            r.metric, r.unit, s.n, s.min, s.p50, s.p99, s.max, s.mean
        );
    }
}
