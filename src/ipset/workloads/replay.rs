//! Replaying a real `ipset save` / `ipset restore` file in a fresh namespace.

use super::in_namespace;
use crate::error::{KcanaryError, Result};
use crate::ipset::IpsetSession;
use crate::ipset::replay::{self, ReplayMode, ReplayTimings};
use crate::ipset::restore_file::{self, RestoreLine};
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::path::{Path, PathBuf};

pub struct ReplayWorkload;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "file",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"\"",
        help: "restore file to replay (ipset save format)",
    },
    ParamSpec {
        name: "exist",
        kind: ParamKind::Boolean,
        accepts: Accepts::Any,
        default: "false",
        help: "treat every line as -exist",
    },
    ParamSpec {
        name: "batch",
        kind: ParamKind::Boolean,
        accepts: Accepts::Any,
        default: "false",
        help: "pack requests into as few datagrams as fit (total time only)",
    },
];

/// `ipset.replay`'s parameters, read once.
struct ReplayConfig {
    /// Empty by default: a scenario must name one (checked when it runs).
    file: PathBuf,
    exist: bool,
    batch: bool,
}

impl ReplayConfig {
    fn from_params(params: &Params) -> Result<ReplayConfig, String> {
        Ok(ReplayConfig {
            file: PathBuf::from(params.text("file")?),
            exist: params.boolean("exist")?,
            batch: params.boolean("batch")?,
        })
    }
}

/// Any command a restore file may hold (`CommandKind`), by the kernel function that does it.
const REPLAY_ENTRY_POINTS: &[EntryPoint] = &[
    EntryPoint::Function("ip_set_create"),
    EntryPoint::Function("ip_set_uadd"),
    EntryPoint::Function("ip_set_udel"),
    EntryPoint::Function("ip_set_swap"),
    EntryPoint::Function("ip_set_rename"),
    EntryPoint::Function("ip_set_flush"),
    EntryPoint::Function("ip_set_destroy"),
];

impl Workload for ReplayWorkload {
    ipset_workload_info! {
        name: "ipset.replay",
        summary: "replay an ipset restore file; latency per command kind and total",
        params: PARAMS,
        config: ReplayConfig,
        entry_points: REPLAY_ENTRY_POINTS,
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let config = ReplayConfig::from_params(params).map_err(KcanaryError::Usage)?;
        let path = config.file;
        if path.as_os_str().is_empty() {
            return Err(KcanaryError::Usage(
                "ipset.replay needs the parameter file = \"PATH\"".into(),
            ));
        }
        let lines = restore_file::parse_file(&path, config.exist)?;
        replay_in_namespace(&path, &lines, config.batch, ctx)
    }
}

/// `ipset.replay` on lines parsed once by the caller, for input that cannot be read twice
/// (a pipe, a FIFO, stdin). Parameters as [`ReplayWorkload`]; `file` and `exist` are ignored
/// (`exist` was applied when parsing).
pub struct LoadedReplayWorkload {
    pub path: PathBuf,
    pub lines: Vec<RestoreLine>,
}

impl Workload for LoadedReplayWorkload {
    ipset_workload_info! {
        name: "ipset.replay",
        summary: "replay an ipset restore file; latency per command kind and total",
        params: PARAMS,
        config: ReplayConfig,
        entry_points: REPLAY_ENTRY_POINTS,
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let config = ReplayConfig::from_params(params).map_err(KcanaryError::Usage)?;
        replay_in_namespace(&self.path, &self.lines, config.batch, ctx)
    }
}

fn replay_in_namespace(
    path: &Path,
    lines: &[RestoreLine],
    batch: bool,
    ctx: &RepetitionContext,
) -> Result<Vec<Measurement>> {
    let mode = if batch {
        ReplayMode::Batched
    } else {
        ReplayMode::PerCommand
    };
    ctx.progress.start("replaying", lines.len() as u64);
    let timings = in_namespace(|session| replay_lines(session, path, lines, mode));
    ctx.progress.finish();
    Ok(measurements(&timings?, "replay_total_ns"))
}

/// Encodes and replays parsed lines in the session's namespace. A command the kernel refuses
/// is an error naming FILE:LINE and the kernel's error.
pub fn replay_lines(
    session: &mut IpsetSession,
    path: &Path,
    lines: &[RestoreLine],
    mode: ReplayMode,
) -> Result<ReplayTimings> {
    let failed = |f: replay::ReplayFailure| {
        KcanaryError::bad_input(
            path,
            Some(f.lines.0),
            format!("{} (the kernel refused this {})", f.error, f.kind.name()),
        )
    };
    let encoded = replay::encode(session, lines).map_err(failed)?;
    replay::run(session, &encoded, mode).map_err(failed)
}

/// Turns replay timings into measurements: one latency metric per command kind, and the total.
pub fn measurements(timings: &ReplayTimings, total_metric: &'static str) -> Vec<Measurement> {
    let mut out: Vec<Measurement> = timings
        .latency_ns
        .iter()
        .map(|(kind, samples)| Measurement::latency_ns(kind.latency_metric(), samples.clone()))
        .collect();
    out.push(Measurement::total_ns(total_metric, timings.total_ns));
    out
}
