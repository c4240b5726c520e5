//! `probe.latency`: the probes alone, as a baseline for a kernel or machine (and a check that
//! the probes work where IPVS does not exist).

use super::{PROBE_PARAMS, ProbeSettings};
use crate::error::Result;
use crate::workload::{Measurement, ParamSpec, Params, RepetitionContext, Workload};

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

    fn available(&self) -> std::result::Result<(), String> {
        Ok(())
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let settings = ProbeSettings::from_params(params)?;
        ctx.progress.start("probing latency", 2);
        let measurements = settings.run("");
        ctx.progress.finish();
        measurements
    }
}
