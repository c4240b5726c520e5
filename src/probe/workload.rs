//! `probe.latency`: the probes alone, as a baseline for a kernel or machine (and a check that
//! the probes work where IPVS does not exist).

use super::{ENTRY_POINTS, KERNEL_MODULES, PROBE_PARAMS, ProbeConfig, ProbeSettings};
use crate::error::{KcanaryError, Result};
use crate::workload::{EntryPoint, Measurement, ParamSpec, Params, RepetitionContext, Workload};

pub struct LatencyProbes;

impl Workload for LatencyProbes {
    fn name(&self) -> &'static str {
        "probe.latency"
    }

    fn summary(&self) -> &'static str {
        "UDP ping-pong over a veth pair and clock_nanosleep overshoot, pinned to one CPU"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &PROBE_PARAMS
    }

    fn check(&self, params: &Params) -> std::result::Result<(), String> {
        ProbeConfig::from_params(params).map(drop)
    }

    fn available(&self) -> std::result::Result<(), String> {
        Ok(())
    }

    fn kernel_modules(&self) -> &'static [&'static str] {
        KERNEL_MODULES
    }

    fn entry_points(&self) -> &'static [EntryPoint] {
        &ENTRY_POINTS
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let config = ProbeConfig::from_params(params).map_err(KcanaryError::Usage)?;
        let settings = ProbeSettings::resolve(&config)?;
        ctx.progress.start("probing latency", 2);
        let measurements = settings.run("");
        ctx.progress.finish();
        measurements
    }
}
