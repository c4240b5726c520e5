//! Replaying a restore file against the kernel: every command is encoded before timing
//! starts (`netlink::EncodedRequests`), then sent either one request at a time (per-command
//! latency) or packed into as few datagrams as the socket takes (total time only).

use super::client::IpsetSession;
use super::element::Element;
use super::message::{self, Ack, Exist};
use super::protocol::Command;
use super::restore_file::{CommandKind, RestoreCommand, RestoreLine};
use crate::netlink::{EncodedRequests, KernelError, SendFailure};

/// Consecutive `add`/`del` lines of one set travel in one message, as `ipset restore` does;
/// this caps how many, keeping each message far below the socket buffer.
const MAX_ELEMENTS_PER_MESSAGE: usize = 256;

/// A whole file, encoded for one session, and where each request came from.
pub struct EncodedReplay {
    requests: EncodedRequests,
    /// Per request: its command kind and the first and last file line it carries (several
    /// for coalesced adds).
    origins: Vec<(CommandKind, (usize, usize))>,
}

/// How to send the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayMode {
    /// One request, one ack, one latency sample per request.
    PerCommand,
    /// As few datagrams as fit; only failures and one ack per datagram come back.
    Batched,
}

/// What a replay measured.
#[derive(Debug, Default)]
pub struct ReplayTimings {
    /// Per-request latencies in ns, by command kind (per-command mode only).
    pub latency_ns: Vec<(CommandKind, Vec<f64>)>,
    pub total_ns: f64,
    pub requests: usize,
}

/// A command the kernel refused, with the file lines it came from.
#[derive(Debug)]
pub struct ReplayFailure {
    pub lines: (usize, usize),
    pub kind: CommandKind,
    pub error: KernelError,
}

impl std::fmt::Display for ReplayFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (first, last) = self.lines;
        if first == last {
            write!(
                f,
                "line {first}: {} failed: {}",
                self.kind.name(),
                self.error
            )
        } else {
            write!(
                f,
                "lines {first}-{last}: {} failed: {}",
                self.kind.name(),
                self.error
            )
        }
    }
}

/// Encodes `lines` for `session` (asks the kernel for type revisions, outside any timing).
pub fn encode(
    session: &mut IpsetSession,
    lines: &[RestoreLine],
) -> Result<EncodedReplay, ReplayFailure> {
    let mut requests = EncodedRequests::with_capacity(lines.len(), 96);
    let mut origins = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let exist = if line.exist {
            Exist::Ignore
        } else {
            Exist::Fail
        };
        let mut last_line = line.line;
        match &line.command {
            RestoreCommand::Create {
                set,
                set_type,
                options,
            } => {
                let revision =
                    session
                        .revision(&set_type.name, options.family)
                        .map_err(|error| ReplayFailure {
                            lines: (line.line, line.line),
                            kind: CommandKind::Create,
                            error,
                        })?;
                requests.push(&mut session.socket, |w, seq| {
                    message::create(
                        w,
                        seq,
                        set,
                        &set_type.name,
                        revision,
                        options,
                        exist,
                        Ack::Always,
                    )
                });
            }
            RestoreCommand::Add { set, .. } | RestoreCommand::Del { set, .. } => {
                let command = if line.command.kind() == CommandKind::Add {
                    Command::Add
                } else {
                    Command::Del
                };
                let run = coalescable_run(lines, i);
                let elements: Vec<Element> = lines[i..i + run]
                    .iter()
                    .map(|l| element_of(&l.command).clone())
                    .collect();
                last_line = lines[i + run - 1].line;
                requests.push(&mut session.socket, |w, seq| {
                    message::add_or_del(
                        w,
                        seq,
                        command,
                        set,
                        &elements,
                        line.line as u32,
                        exist,
                        Ack::Always,
                    )
                });
                i += run - 1;
            }
            RestoreCommand::Swap { first, second } => requests
                .push(&mut session.socket, |w, seq| {
                    message::swap(w, seq, first, second, Ack::Always)
                }),
            RestoreCommand::Rename { from, to } => requests.push(&mut session.socket, |w, seq| {
                message::rename(w, seq, from, to, Ack::Always)
            }),
            RestoreCommand::Flush { set } => requests.push(&mut session.socket, |w, seq| {
                message::flush(w, seq, set.as_deref(), Ack::Always)
            }),
            RestoreCommand::Destroy { set } => requests.push(&mut session.socket, |w, seq| {
                message::destroy(w, seq, set.as_deref(), exist, Ack::Always)
            }),
        }
        origins.push((line.command.kind(), (line.line, last_line)));
        i += 1;
    }
    Ok(EncodedReplay { requests, origins })
}

/// How many lines from `start` can share one add/del message (same set, command and -exist).
fn coalescable_run(lines: &[RestoreLine], start: usize) -> usize {
    let first = &lines[start];
    let key = |l: &RestoreLine| match &l.command {
        RestoreCommand::Add { set, .. } => Some((CommandKind::Add, set.clone(), l.exist)),
        RestoreCommand::Del { set, .. } => Some((CommandKind::Del, set.clone(), l.exist)),
        _ => None,
    };
    let wanted = key(first);
    lines[start..]
        .iter()
        .take(MAX_ELEMENTS_PER_MESSAGE)
        .take_while(|l| key(l) == wanted)
        .count()
        .max(1)
}

fn element_of(command: &RestoreCommand) -> &Element {
    match command {
        RestoreCommand::Add { element, .. } | RestoreCommand::Del { element, .. } => element,
        _ => unreachable!("only add/del lines are coalesced"),
    }
}

/// Sends an encoded replay and times it. Stops at the first failure (as `ipset restore`).
pub fn run(
    session: &mut IpsetSession,
    replay: &EncodedReplay,
    mode: ReplayMode,
) -> Result<ReplayTimings, ReplayFailure> {
    let failed = |failure: SendFailure| match failure {
        SendFailure::Request { index, error } => {
            let (kind, lines) = replay.origins[index];
            ReplayFailure { lines, kind, error }
        }
        SendFailure::Socket(error) => {
            let (kind, lines) = replay.origins[0];
            ReplayFailure { lines, kind, error }
        }
    };
    let requests = replay.origins.len();
    match mode {
        ReplayMode::Batched => {
            let total_ns = replay
                .requests
                .try_batched(&mut session.socket)
                .map_err(failed)?;
            Ok(ReplayTimings {
                latency_ns: Vec::new(),
                total_ns,
                requests,
            })
        }
        ReplayMode::PerCommand => {
            let started = std::time::Instant::now();
            let latencies = replay
                .requests
                .try_one_by_one(&mut session.socket)
                .map_err(failed)?;
            let total_ns = started.elapsed().as_nanos() as f64;
            // Grouped by kind after timing: the timed loop only filled one vector.
            let latency_ns = CommandKind::ALL
                .iter()
                .map(|&kind| {
                    let samples = replay
                        .origins
                        .iter()
                        .zip(&latencies)
                        .filter(|((k, _), _)| *k == kind);
                    (kind, samples.map(|(_, &ns)| ns).collect::<Vec<f64>>())
                })
                .filter(|(_, samples)| !samples.is_empty())
                .collect();
            Ok(ReplayTimings {
                latency_ns,
                total_ns,
                requests,
            })
        }
    }
}
