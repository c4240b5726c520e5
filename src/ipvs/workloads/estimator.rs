//! `ipvs.estimator`: latency probes beside N idle services, with the rate estimator on and off.

use super::{KERNEL_MODULES, ipvs_available, kernel};
use crate::error::{KcanaryError, Result};
use crate::ipvs::client::IpvsClient;
use crate::ipvs::table::{self, TABLE_PARAMS, TableConfig, TableEntry};
use crate::ipvs::timed::{describe_table_request, encode_table};
use crate::ipvs::{sysctl, verify};
use crate::isolate::netns::in_fresh_netns;
use crate::probe::{PROBE_PARAMS, ProbeConfig, ProbeSettings, cpu};
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::time::Duration;

pub struct Estimator;

const ESTIMATOR_PARAMS: [ParamSpec; 10] = [
    ParamSpec {
        name: "services",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_ELEMENTS,
        },
        default: "20000",
        help: "idle virtual services",
    },
    ParamSpec {
        name: "dests_per_service",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_DESTS_PER_SERVICE,
        },
        default: "1",
        help: "real servers per service",
    },
    TABLE_PARAMS[2],
    TABLE_PARAMS[3],
    ParamSpec {
        name: "estimation",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"both\"",
        help: "\"on\", \"off\" or \"both\": probe with the rate estimator running and/or stopped (run_estimation)",
    },
    ParamSpec {
        name: "settle_seconds",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "3",
        help: "wait after loading the table or switching estimation before probing",
    },
    PROBE_PARAMS[0],
    PROBE_PARAMS[1],
    PROBE_PARAMS[2],
    PROBE_PARAMS[3],
];

/// `ipvs.estimator`'s parameters, read once.
struct EstimatorConfig {
    table: TableConfig,
    probes: ProbeConfig,
    estimation: String,
    settle_seconds: u64,
}

impl EstimatorConfig {
    fn from_params(params: &Params) -> Result<EstimatorConfig, String> {
        Ok(EstimatorConfig {
            table: TableConfig::from_params(params)?,
            probes: ProbeConfig::from_params(params)?,
            estimation: params.text("estimation")?.to_string(),
            settle_seconds: params.u64("settle_seconds")?,
        })
    }
}

impl Workload for Estimator {
    fn name(&self) -> &'static str {
        "ipvs.estimator"
    }

    fn summary(&self) -> &'static str {
        "latency probes beside N idle IPVS services, rate estimation on and off"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &ESTIMATOR_PARAMS
    }

    fn check(&self, params: &Params) -> std::result::Result<(), String> {
        EstimatorConfig::from_params(params).map(drop)
    }

    fn available(&self) -> std::result::Result<(), String> {
        ipvs_available()
    }

    fn kernel_modules(&self) -> &'static [&'static str] {
        KERNEL_MODULES
    }

    fn entry_points(&self) -> &'static [EntryPoint] {
        const ENTRY_POINTS: &[EntryPoint] = &[
            // The estimator: a kthread per namespace since 6.2, a timer per namespace before.
            EntryPoint::Function("ip_vs_estimation_kthread"),
            EntryPoint::Function("estimation_timer"),
            // What the probes beside it measure.
            crate::probe::ENTRY_POINTS[0],
            crate::probe::ENTRY_POINTS[1],
        ];
        ENTRY_POINTS
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let config = EstimatorConfig::from_params(params).map_err(KcanaryError::Usage)?;
        let table = table::build(&config.table)?;
        let probes = ProbeSettings::resolve(&config.probes)?;
        let modes: &'static [bool] = match config.estimation.as_str() {
            "both" => &[true, false],
            "on" => &[true],
            "off" => &[false],
            other => {
                return Err(KcanaryError::Usage(format!(
                    "estimation must be on, off or both, found '{other}'"
                )));
            }
        };
        let settle = Duration::from_secs(config.settle_seconds);
        ctx.progress
            .start("IPVS estimator probes", modes.len() as u64);
        // Before 6.2 the estimation timer fires on the CPU that armed it when the namespace was
        // created: create the namespace from a thread pinned to the probe CPU (the namespace
        // thread inherits the affinity), so the timer and the probes share that CPU.
        let probe_cpu = probes.cpu;
        let result = std::thread::Builder::new()
            .name("kcanary-ipvs-est".into())
            .spawn(move || {
                cpu::pin_current_thread(probe_cpu)?;
                in_fresh_netns(move || estimator_repetition(&table, &probes, modes, settle))
            })
            .map_err(|e| KcanaryError::Io(format!("cannot start workload thread: {e}")))?
            .join()
            .map_err(|_| KcanaryError::Io("workload thread panicked".into()))?;
        ctx.progress.finish();
        result
    }
}

fn estimator_repetition(
    table: &[TableEntry],
    probes: &ProbeSettings,
    modes: &[bool],
    settle: Duration,
) -> Result<Vec<Measurement>> {
    let mut client = IpvsClient::connect()?;
    let family = client.family();
    let all = encode_table(client.socket(), family, table);
    let load_ns = all.send_batched(client.socket(), &|i| describe_table_request(table, i))?;
    verify::table_matches(&mut client, table, 16)?;
    let mut measurements = vec![Measurement::total_ns("load_table_ns", load_ns)];
    let has_switch = sysctl::read(sysctl::RUN_ESTIMATION).is_some();
    for &estimation_on in modes {
        let prefix = if estimation_on { "est_on." } else { "est_off." };
        if has_switch {
            sysctl::write(
                sysctl::RUN_ESTIMATION,
                if estimation_on { "1" } else { "0" },
            )?;
        } else if !estimation_on {
            return Err(KcanaryError::Kernel(
                "this kernel has no net.ipv4.vs.run_estimation (added in 5.16): use estimation = \"on\"".into(),
            ));
        }
        std::thread::sleep(settle);
        measurements.extend(estimator_settings(prefix));
        measurements.extend(probes.run(prefix)?);
    }
    client.flush().map_err(kernel("flushing"))?;
    Ok(measurements)
}

/// The estimator sysctls of this namespace as numbers: run_estimation (absent before 5.16),
/// est_nice, and est_cpulist as a CPU bit mask (both absent before 6.2).
fn estimator_settings(prefix: &str) -> Vec<Measurement> {
    let mut out = Vec::new();
    let setting =
        |name: &str, value: f64| Measurement::setting(format!("{prefix}{name}"), "value", value);
    if let Some(v) = sysctl::read(sysctl::RUN_ESTIMATION).and_then(|v| v.parse::<f64>().ok()) {
        out.push(setting("run_estimation", v));
    }
    if let Some(v) = sysctl::read(sysctl::EST_NICE).and_then(|v| v.parse::<f64>().ok()) {
        out.push(setting("est_nice", v));
    }
    if let Some(mask) = sysctl::read(sysctl::EST_CPULIST).and_then(|v| cpu::cpulist_mask(&v)) {
        out.push(setting("est_cpulist_mask", mask as f64));
    }
    out
}
