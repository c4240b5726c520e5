//! The latency probes on the real kernel: a real veth pair between two namespaces kcanary
//! creates, real UDP, real clock_nanosleep. Asserts plausible distributions, never times.

use kcanary::probe::ProbeSettings;
use kcanary::probe::cpu::default_probe_cpu;
use kcanary::probe::network::{NetworkProbeConfig, run_network_probe};
use kcanary::probe::timer::{TimerProbeConfig, run_timer_probe};
use std::time::Duration;

#[test]
fn udp_ping_pong_over_veth_gives_ordered_percentiles() {
    let before = kcanary::isolate::netns::current_netns_inode().unwrap();
    let report = run_network_probe(&NetworkProbeConfig {
        cpu: default_probe_cpu(),
        duration: Duration::from_millis(300),
        min_round_trips: 20_000,
        max_round_trips: 200_000,
    })
    .unwrap();
    let rtt = &report.round_trips;
    assert!(rtt.count() >= 20_000, "only {} round trips", rtt.count());
    let (p50, p99, p999, max) = (
        rtt.percentile(0.5),
        rtt.percentile(0.99),
        rtt.percentile(0.999),
        rtt.max(),
    );
    eprintln!(
        "udp rtt on CPU {}: n={} p50={p50} p99={p99} p99.9={p999} max={max} ns",
        report.cpu,
        rtt.count()
    );
    assert!(p50 > 0, "a round trip cannot take 0 ns");
    assert!(
        p50 <= p99 && p99 <= p999 && p999 <= max,
        "{p50} {p99} {p999} {max}"
    );
    assert!(report.elapsed >= Duration::from_millis(300));
    assert_eq!(report.cpu, default_probe_cpu());
    // The probe ran in namespaces of its own: this thread never moved.
    assert_eq!(
        kcanary::isolate::netns::current_netns_inode().unwrap(),
        before
    );
}

#[test]
fn timer_overshoot_covers_the_duration() {
    let period = Duration::from_millis(1);
    let report = run_timer_probe(&TimerProbeConfig {
        cpu: default_probe_cpu(),
        period,
        duration: Duration::from_millis(500),
    })
    .unwrap();
    let overshoot = &report.overshoot;
    // Deadlines missed by more than a period are skipped, so fewer samples are possible, but
    // never more than the duration allows, and not almost none.
    assert!(
        overshoot.count() <= 501 && overshoot.count() >= 100,
        "{} wake-ups",
        overshoot.count()
    );
    eprintln!(
        "timer overshoot: n={} p50={} p99={} max={} ns",
        overshoot.count(),
        overshoot.percentile(0.5),
        overshoot.percentile(0.99),
        overshoot.max()
    );
    assert!(
        overshoot.percentile(0.5) > 0,
        "a wake-up is never exactly on time"
    );
    assert!(overshoot.percentile(0.5) <= overshoot.percentile(0.99));
    assert!(overshoot.percentile(0.99) <= overshoot.max());
}

#[test]
fn probe_settings_produce_named_measurements() {
    let settings = ProbeSettings {
        cpu: default_probe_cpu(),
        duration: Duration::from_millis(200),
        min_round_trips: 2_000,
        timer_period: Duration::from_micros(500),
    };
    let measurements = settings.run("est_on.").unwrap();
    let names: Vec<&str> = measurements.iter().map(|m| m.metric.as_ref()).collect();
    for wanted in [
        "est_on.udp_rtt.p50_ns",
        "est_on.udp_rtt.over_1ms",
        "est_on.timer_overshoot.p999_ns",
        "est_on.probe_cpu",
    ] {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    let samples = measurements
        .iter()
        .find(|m| m.metric == "est_on.udp_rtt.samples")
        .unwrap();
    assert!(samples.samples[0] >= 2_000.0);
}
