//! `kcanary replay FILE` for `ipvsadm -S` files: every command sent in a fresh network
//! namespace, timed one by one (latency per command kind) or in batches (total only).
//! `kcanary replay` picks this path when [`save_file::looks_like_ipvsadm_save`] says so of
//! the text it read once, and runs [`LoadedReplayWorkload`] on the lines parsed from it.

use super::client::{ConnectError, IpvsClient};
use super::request;
use super::save_file::{self, COMMAND_KINDS, Command, SaveLine};
use crate::error::{KcanaryError, Result};
use crate::isolate::netns::in_fresh_netns;
use crate::netlink::MessageWriter;
use crate::netlink::{EncodedRequests, SendFailure};
use crate::probe::metric_name;
use crate::workload::Measurement;
use std::path::Path;

#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayOptions {
    /// Send the file in as few datagrams as the socket allows; report only the total.
    pub batch: bool,
}

/// Replays the file once in a fresh namespace. Metrics: `<kind>_ns` per command kind
/// (one sample per command), `replay_total_ns`, `replay_commands`. A command the kernel
/// refuses is a bad-input error naming FILE:LINE and the kernel's error name; a kernel without
/// IPVS is an environment error.
pub fn replay_save_file(path: &Path, options: &ReplayOptions) -> Result<Vec<Measurement>> {
    replay_loaded(path, &save_file::load(path)?, options)
}

/// [`replay_save_file`] for lines already parsed; `path` names them in errors.
pub fn replay_loaded(
    path: &Path,
    lines: &[SaveLine],
    options: &ReplayOptions,
) -> Result<Vec<Measurement>> {
    if lines.is_empty() {
        return Err(KcanaryError::bad_input(
            path,
            None,
            "no ipvsadm commands in the file",
        ));
    }
    let path = path.to_path_buf();
    let lines = lines.to_vec();
    let batch = options.batch;
    in_fresh_netns(move || replay_lines(&path, &lines, batch))
}

fn replay_lines(path: &Path, lines: &[SaveLine], batch: bool) -> Result<Vec<Measurement>> {
    let mut client = IpvsClient::connect().map_err(|e| match e {
        ConnectError::NoIpvs => {
            KcanaryError::Kernel("cannot replay an ipvsadm file: kernel has no IP_VS".into())
        }
        other => other.into(),
    })?;
    let family = client.family();
    let mut encoded = EncodedRequests::with_capacity(lines.len(), 160);
    for line in lines {
        encoded.push(client.socket(), |w, s| encode(w, family, s, &line.command));
    }
    // A request the kernel refused is the file's fault: name its line.
    let failed = |failure: SendFailure| match failure {
        SendFailure::Request { index, error } => {
            let line = &lines[index];
            KcanaryError::bad_input(
                path,
                Some(line.line),
                format!("the kernel refused {}: {error}", line.command.kind()),
            )
        }
        SendFailure::Socket(error) => KcanaryError::Kernel(format!("netlink: {error}")),
    };
    if batch {
        let total_ns = encoded.try_batched(client.socket()).map_err(failed)?;
        return Ok(vec![
            Measurement::total_ns("replay_total_ns", total_ns),
            commands(lines.len()),
        ]);
    }
    let started = std::time::Instant::now();
    let latencies_ns = encoded.try_one_by_one(client.socket()).map_err(failed)?;
    let total_ns = started.elapsed().as_nanos() as f64;
    let mut measurements = Vec::new();
    for kind in COMMAND_KINDS {
        let samples: Vec<f64> = lines
            .iter()
            .zip(&latencies_ns)
            .filter(|(line, _)| line.command.kind() == kind)
            .map(|(_, &ns)| ns)
            .collect();
        if !samples.is_empty() {
            measurements.push(Measurement::latency_ns(
                metric_name(&format!("{kind}_ns")),
                samples,
            ));
        }
    }
    measurements.push(Measurement::total_ns("replay_total_ns", total_ns));
    measurements.push(commands(lines.len()));
    Ok(measurements)
}

fn commands(count: usize) -> Measurement {
    Measurement::setting("replay_commands", "count", count as f64)
}

fn encode(writer: &mut MessageWriter, family: u16, sequence: u32, command: &Command) {
    match command {
        Command::AddService(s) => request::new_service(writer, family, sequence, s),
        Command::EditService(s) => request::set_service(writer, family, sequence, s),
        Command::DeleteService(k) => request::del_service(writer, family, sequence, k),
        Command::AddServer(k, d) => request::new_dest(writer, family, sequence, k, d),
        Command::EditServer(k, d) => request::set_dest(writer, family, sequence, k, d),
        Command::DeleteServer(k, d) => request::del_dest(writer, family, sequence, k, d),
        Command::Clear => request::flush(writer, family, sequence),
        Command::Zero(k) => request::zero(writer, family, sequence, k.as_ref()),
    }
}

/// `ipvs.replay`'s parameters, read once.
struct ReplayConfig {
    /// Empty by default: a scenario must name one (checked when it runs).
    file: std::path::PathBuf,
    batch: bool,
}

impl ReplayConfig {
    fn from_params(params: &crate::workload::Params) -> Result<ReplayConfig, String> {
        Ok(ReplayConfig {
            file: params.text("file")?.into(),
            batch: params.boolean("batch")?,
        })
    }
}

/// Every command of an `ipvsadm -S` file (services, real servers, clear, zero).
const REPLAY_ENTRY_POINTS: &[crate::workload::EntryPoint] =
    &[crate::workload::EntryPoint::Function("ip_vs_genl_set_cmd")];

/// `ipvs.replay`: the same replay as a workload, so `kcanary replay` (or a scenario) can run it
/// through the runner with repetitions, like `ipset.replay`.
pub struct ReplayWorkload;

const REPLAY_PARAMS: &[crate::workload::ParamSpec] = &[
    crate::workload::ParamSpec {
        name: "file",
        kind: crate::workload::ParamKind::Text,
        accepts: crate::workload::Accepts::Any,
        default: "\"\"",
        help: "ipvsadm -S file to replay",
    },
    crate::workload::ParamSpec {
        name: "batch",
        kind: crate::workload::ParamKind::Boolean,
        accepts: crate::workload::Accepts::Any,
        default: "false",
        help: "pack requests into as few datagrams as fit (total time only)",
    },
];

impl crate::workload::Workload for ReplayWorkload {
    fn name(&self) -> &'static str {
        "ipvs.replay"
    }

    fn summary(&self) -> &'static str {
        "replay an ipvsadm -S file; latency per command kind and total"
    }

    fn params(&self) -> &'static [crate::workload::ParamSpec] {
        REPLAY_PARAMS
    }

    fn check(&self, params: &crate::workload::Params) -> std::result::Result<(), String> {
        ReplayConfig::from_params(params).map(drop)
    }

    fn available(&self) -> std::result::Result<(), String> {
        super::workloads::ipvs_available()
    }

    fn kernel_modules(&self) -> &'static [&'static str] {
        super::workloads::KERNEL_MODULES
    }

    fn entry_points(&self) -> &'static [crate::workload::EntryPoint] {
        REPLAY_ENTRY_POINTS
    }

    fn run(
        &self,
        params: &crate::workload::Params,
        ctx: &crate::workload::RepetitionContext,
    ) -> Result<Vec<Measurement>> {
        let config = ReplayConfig::from_params(params).map_err(KcanaryError::Usage)?;
        let path = config.file.as_path();
        if path.as_os_str().is_empty() {
            return Err(KcanaryError::Usage(
                "ipvs.replay needs the parameter file = \"PATH\"".into(),
            ));
        }
        ctx.progress.start("replaying", 1);
        let result = replay_save_file(
            path,
            &ReplayOptions {
                batch: config.batch,
            },
        );
        ctx.progress.finish();
        result
    }
}

/// `ipvs.replay` on lines parsed once by the caller, for input that cannot be read twice
/// (a pipe, a FIFO, stdin). Parameters as [`ReplayWorkload`]; `file` is ignored.
pub struct LoadedReplayWorkload {
    pub path: std::path::PathBuf,
    pub lines: Vec<SaveLine>,
}

impl crate::workload::Workload for LoadedReplayWorkload {
    fn name(&self) -> &'static str {
        ReplayWorkload.name()
    }

    fn summary(&self) -> &'static str {
        ReplayWorkload.summary()
    }

    fn params(&self) -> &'static [crate::workload::ParamSpec] {
        REPLAY_PARAMS
    }

    fn check(&self, params: &crate::workload::Params) -> std::result::Result<(), String> {
        ReplayWorkload.check(params)
    }

    fn available(&self) -> std::result::Result<(), String> {
        ReplayWorkload.available()
    }

    fn kernel_modules(&self) -> &'static [&'static str] {
        ReplayWorkload.kernel_modules()
    }

    fn entry_points(&self) -> &'static [crate::workload::EntryPoint] {
        ReplayWorkload.entry_points()
    }

    fn run(
        &self,
        params: &crate::workload::Params,
        ctx: &crate::workload::RepetitionContext,
    ) -> Result<Vec<Measurement>> {
        let config = ReplayConfig::from_params(params).map_err(KcanaryError::Usage)?;
        ctx.progress.start("replaying", 1);
        let options = ReplayOptions {
            batch: config.batch,
        };
        let result = replay_loaded(&self.path, &self.lines, &options);
        ctx.progress.finish();
        result
    }
}
