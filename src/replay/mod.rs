//! One replay engine for every file format kcanary replays (`ipset save` / `ipset restore`
//! files, `ipvsadm -S` files). A format ([`ReplayFormat`], implemented in `ipset/replay.rs` and
//! `ipvs/replay.rs`) parses its text and encodes each command for a kernel session, tagged with
//! its file lines and its typed command kind. The engine does the rest the same way for all:
//! encode everything before any timer starts, send one request at a time (per-command latency)
//! or packed into as few datagrams as the socket takes (total only), group latencies by command
//! kind into measurements, and map a request the kernel refused back to FILE:LINE.
//!
//! `workload` runs a format through the runner (`ipset.replay`, `ipvs.replay`);
//! `kcanary replay`'s one library call, with format detection, is `crate::replay_file`.

mod engine;
mod workload;

pub use engine::{Encoded, Refused, ReplayMode, ReplayTimings, replay_in_session};
pub use workload::{ReplayWorkload, default_params, load, replay_once};

use crate::error::Result;
use crate::netlink::NetlinkSocket;
use crate::workload::{EntryPoint, Measurement, ParamSpec, Params};
use std::path::Path;

/// The `batch` parameter every replay workload has (`ReplayConfig` reads it).
pub const BATCH_PARAM: ParamSpec = ParamSpec {
    name: "batch",
    kind: crate::workload::ParamKind::Boolean,
    accepts: crate::workload::Accepts::Any,
    default: "false",
    help: "pack requests into as few datagrams as fit (total time only)",
};

/// The command kinds of a format. Latencies are reported per kind as `<name>_ns`.
pub trait ReplayKind: Copy + Eq + Send + Sync + 'static {
    /// Every kind, in the order reports list them.
    const ALL: &'static [Self];
    /// As in metric names and error messages ("create", "add_service").
    fn name(self) -> &'static str;
}

/// A replayable file format: how its text becomes commands, and how the commands become
/// encoded requests for a kernel session. Everything else is the engine's.
pub trait ReplayFormat: 'static {
    /// One parsed command with the file line(s) it came from.
    type Line: Clone + Send + Sync;
    /// What latencies are grouped by.
    type Kind: ReplayKind;
    /// An open connection to the kernel interface, in the current network namespace.
    type Session;

    /// The tool whose files these are, for messages ("no ipset commands in the file").
    const TOOL: &'static str;
    /// The workload that replays the format: its name, `kcanary list` summary and parameters
    /// (`file` and `batch` at least).
    const WORKLOAD: &'static str;
    const SUMMARY: &'static str;
    const PARAMS: &'static [ParamSpec];
    /// True when the kernel interface works in an unprivileged user namespace (ipset does;
    /// IPVS needs real root).
    const WORKS_UNPRIVILEGED: bool;
    /// Kernel modules the workload needs (patterns as in `Workload::kernel_modules`).
    const KERNEL_MODULES: &'static [&'static str];
    /// Where the format's commands enter the kernel (`Workload::entry_points`).
    const ENTRY_POINTS: &'static [EntryPoint];

    /// Reads the format's own options from `params` the way `parse` will, so a misspelled
    /// name fails when the scenario is checked (none unless a format has some).
    fn check_options(_params: &Params) -> std::result::Result<(), String> {
        Ok(())
    }

    /// `Err(reason)` when this kernel cannot replay the format (the workload is skipped).
    fn available() -> std::result::Result<(), String>;
    /// Parses `text`; `path` names it in errors, `params` holds format options (`exist`).
    fn parse(path: &Path, text: &str, params: &Params) -> Result<Vec<Self::Line>>;
    /// Opens a session in the calling thread's network namespace.
    fn open_session() -> Result<Self::Session>;
    fn socket(session: &mut Self::Session) -> &mut NetlinkSocket;
    /// Encodes every line for `session` (which may ask the kernel things, untimed).
    fn encode(
        session: &mut Self::Session,
        lines: &[Self::Line],
    ) -> std::result::Result<Encoded<Self::Kind>, Refused<Self::Kind>>;
    /// The file line the kernel named in refusing a request that carries several lines
    /// (ipset's batched adds), or `None` to blame the request's first line.
    fn refused_line(_error: &crate::netlink::KernelError) -> Option<usize> {
        None
    }
    /// Measurements of one replay besides the per-kind latencies and the total (none unless a
    /// format adds some).
    fn extra_measurements(_timings: &ReplayTimings<Self::Kind>) -> Vec<Measurement> {
        Vec::new()
    }
}
