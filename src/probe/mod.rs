//! Latency probes that any scenario can run beside its workload: a UDP ping-pong over a veth
//! pair (`network`) and a cyclictest-like timer (`timer`), both pinned to one CPU, each turned
//! into per-repetition measurements (p50, p99, p99.9, max, counts above thresholds).

pub mod cpu;
pub mod distribution;
pub mod network;
pub mod timer;
pub mod veth;
mod workload;

use crate::error::Result;
use crate::results::Better;
use crate::workload::{Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, Workload};
use distribution::{Distribution, THRESHOLDS_NS};
use std::time::Duration;

pub use workload::LatencyProbes;

pub static WORKLOADS: &[&dyn Workload] = &[&LatencyProbes];

/// The network probe's veth pair (a module on distribution kernels).
pub const KERNEL_MODULES: &[&str] = &["veth"];

/// What the probes measure: timer expiry (the timer probe wakes from it) and softirq entry
/// (the network probe's packets are handled there; a long-running softirq shows as a long
/// round trip).
pub const ENTRY_POINTS: [EntryPoint; 2] = [
    EntryPoint::Tracepoint("timer:timer_expire_entry"),
    EntryPoint::Tracepoint("irq:softirq_entry"),
];

/// The probe parameters a workload that runs probes declares (append to its own list).
pub const PROBE_PARAMS: [ParamSpec; 4] = [
    ParamSpec {
        name: "probe_seconds",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "10",
        help: "how long each probe runs (cover several 2-second IPVS estimator periods)",
    },
    ParamSpec {
        name: "probe_round_trips",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "100000",
        help: "minimum UDP round trips of the network probe (it runs longer if needed)",
    },
    ParamSpec {
        name: "timer_period_us",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "1000",
        help: "period of the timer probe's clock_nanosleep, in microseconds",
    },
    ParamSpec {
        name: "probe_cpu",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"auto\"",
        help: "CPU both probe ends are pinned to: a number, or \"auto\" (the last allowed CPU)",
    },
];

/// The `PROBE_PARAMS` of a scenario, read once.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    pub probe_seconds: u64,
    pub probe_round_trips: usize,
    pub timer_period_us: u64,
    pub probe_cpu: String,
}

impl ProbeConfig {
    pub fn from_params(params: &Params) -> Result<ProbeConfig, String> {
        Ok(ProbeConfig {
            probe_seconds: params.u64("probe_seconds")?,
            probe_round_trips: params.usize("probe_round_trips")?,
            timer_period_us: params.u64("timer_period_us")?,
            probe_cpu: params.text("probe_cpu")?.to_string(),
        })
    }
}

/// Probe settings resolved from a scenario's parameters.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    pub cpu: usize,
    pub duration: Duration,
    pub min_round_trips: usize,
    pub timer_period: Duration,
}

/// The sample buffer is sized for this many round trips per second of probing at most
/// (a pinned round trip took ≥4 µs on the build host; 8 bytes per sample).
pub const MAX_ROUND_TRIPS_PER_SECOND: usize = 400_000;

impl ProbeSettings {
    /// Chooses the CPU (which may fail on this machine) and clamps the values to what the
    /// probes can use.
    pub fn resolve(config: &ProbeConfig) -> Result<ProbeSettings> {
        Ok(ProbeSettings {
            cpu: cpu::choose_cpu(&config.probe_cpu)?,
            duration: Duration::from_secs(config.probe_seconds.max(1)),
            min_round_trips: config.probe_round_trips.max(1),
            timer_period: Duration::from_micros(config.timer_period_us.max(10)),
        })
    }

    /// Runs the network probe, then the timer probe (one after the other: both are pinned to
    /// the same CPU and would disturb each other), and returns their measurements with metric
    /// names starting with `prefix` ("" or e.g. "est_on.").
    pub fn run(&self, prefix: &str) -> Result<Vec<Measurement>> {
        let network = network::run_network_probe(&network::NetworkProbeConfig {
            cpu: self.cpu,
            duration: self.duration,
            min_round_trips: self.min_round_trips,
            max_round_trips: self
                .min_round_trips
                .max(MAX_ROUND_TRIPS_PER_SECOND * self.duration.as_secs() as usize),
        })?;
        let timer = timer::run_timer_probe(&timer::TimerProbeConfig {
            cpu: self.cpu,
            period: self.timer_period,
            duration: self.duration,
        })?;
        let mut measurements =
            distribution_measurements(&format!("{prefix}udp_rtt"), &network.round_trips);
        measurements.extend(distribution_measurements(
            &format!("{prefix}timer_overshoot"),
            &timer.overshoot,
        ));
        measurements.push(Measurement::setting(
            format!("{prefix}probe_cpu"),
            "cpu",
            self.cpu as f64,
        ));
        Ok(measurements)
    }
}

/// p50, p99, p99.9, max, sample count and counts above `THRESHOLDS_NS`, one value each.
pub fn distribution_measurements(name: &str, distribution: &Distribution) -> Vec<Measurement> {
    let value = |suffix: &str, v: u64| {
        Measurement::count(format!("{name}.{suffix}"), "ns", Better::Lower, v as f64)
    };
    let mut out = vec![
        value("p50_ns", distribution.percentile(0.50)),
        value("p99_ns", distribution.percentile(0.99)),
        value("p999_ns", distribution.percentile(0.999)),
        value("max_ns", distribution.max()),
        Measurement::count(
            format!("{name}.samples"),
            "count",
            Better::Higher,
            distribution.count() as f64,
        ),
    ];
    for (threshold, label) in THRESHOLDS_NS {
        out.push(Measurement::events(
            format!("{name}.{label}"),
            distribution.count_above(threshold) as f64,
        ));
    }
    out
}
