//! Replaying a restore file against the kernel: every command is encoded before timing
//! starts, then sent either one request at a time (per-command latency) or packed into as few
//! datagrams as the socket takes (total time only).

use super::client::IpsetSession;
use super::element::Element;
use super::message::{self, Ack, Exist};
use super::protocol::Command;
use super::restore_file::{CommandKind, RestoreCommand, RestoreLine};
use crate::netlink::KernelError;
use netlink_packet_core::NLM_F_ACK;
use std::ops::Range;
use std::time::Instant;

/// Consecutive `add`/`del` lines of one set travel in one message, as `ipset restore` does;
/// this caps how many, keeping each message far below the socket buffer.
const MAX_ELEMENTS_PER_MESSAGE: usize = 256;

/// One encoded request and where it came from.
#[derive(Debug, Clone)]
pub struct EncodedRequest {
    pub bytes: Range<usize>,
    pub sequence: u32,
    pub kind: CommandKind,
    /// First and last file line the request carries (several for coalesced adds).
    pub lines: (usize, usize),
}

/// A whole file, encoded for one session.
pub struct EncodedReplay {
    bytes: Vec<u8>,
    pub requests: Vec<EncodedRequest>,
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
    mode: ReplayMode,
) -> Result<EncodedReplay, ReplayFailure> {
    let mut w = crate::netlink::MessageWriter::with_capacity(lines.len() * 96);
    let mut requests = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let exist = if line.exist {
            Exist::Ignore
        } else {
            Exist::Fail
        };
        let sequence = session.socket.next_sequence();
        let start = w.len();
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
                message::create(
                    &mut w,
                    sequence,
                    set,
                    &set_type.name,
                    revision,
                    options,
                    exist,
                    Ack::OnlyOnError,
                );
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
                message::add_or_del(
                    &mut w,
                    sequence,
                    command,
                    set,
                    &elements,
                    line.line as u32,
                    exist,
                    Ack::OnlyOnError,
                );
                i += run - 1;
            }
            RestoreCommand::Swap { first, second } => {
                message::swap(&mut w, sequence, first, second, Ack::OnlyOnError)
            }
            RestoreCommand::Rename { from, to } => {
                message::rename(&mut w, sequence, from, to, Ack::OnlyOnError)
            }
            RestoreCommand::Flush { set } => {
                message::flush(&mut w, sequence, set.as_deref(), Ack::OnlyOnError)
            }
            RestoreCommand::Destroy { set } => {
                message::destroy(&mut w, sequence, set.as_deref(), exist, Ack::OnlyOnError)
            }
        }
        if mode == ReplayMode::PerCommand {
            w.add_flags(start, NLM_F_ACK);
        }
        requests.push(EncodedRequest {
            bytes: start..w.len(),
            sequence,
            kind: line.command.kind(),
            lines: (line.line, last_line),
        });
        i += 1;
    }
    let mut bytes = w.bytes().to_vec();
    if mode == ReplayMode::Batched {
        mark_datagram_ends(&mut bytes, &requests, session.socket.max_batch_bytes());
    }
    Ok(EncodedReplay { bytes, requests })
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

/// Groups requests into datagrams of at most `limit` bytes; returns index ranges.
fn datagrams(requests: &[EncodedRequest], limit: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < requests.len() {
        let first_byte = requests[start].bytes.start;
        let mut end = start + 1;
        while end < requests.len() && requests[end].bytes.end - first_byte <= limit {
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

fn mark_datagram_ends(bytes: &mut [u8], requests: &[EncodedRequest], limit: usize) {
    for group in datagrams(requests, limit) {
        let last = &requests[group.end - 1];
        let flags_at = last.bytes.start + 6;
        let flags = u16::from_ne_bytes([bytes[flags_at], bytes[flags_at + 1]]) | NLM_F_ACK;
        bytes[flags_at..flags_at + 2].copy_from_slice(&flags.to_ne_bytes());
    }
}

/// Sends an encoded replay and times it. Stops at the first failure (as `ipset restore`).
pub fn run(
    session: &mut IpsetSession,
    replay: &EncodedReplay,
    mode: ReplayMode,
) -> Result<ReplayTimings, ReplayFailure> {
    match mode {
        ReplayMode::PerCommand => run_per_command(session, replay),
        ReplayMode::Batched => run_batched(session, replay),
    }
}

fn run_per_command(
    session: &mut IpsetSession,
    replay: &EncodedReplay,
) -> Result<ReplayTimings, ReplayFailure> {
    // Sample vectors sized up front: the timed loop only writes into them.
    let mut latency_ns: Vec<(CommandKind, Vec<f64>)> = CommandKind::ALL
        .iter()
        .map(|&kind| {
            (
                kind,
                Vec::with_capacity(replay.requests.iter().filter(|r| r.kind == kind).count()),
            )
        })
        .collect();
    let started = Instant::now();
    for request in &replay.requests {
        let t0 = Instant::now();
        let result = session
            .socket
            .request(&replay.bytes[request.bytes.clone()], request.sequence);
        let elapsed = t0.elapsed().as_nanos() as f64;
        if let Err(error) = result {
            return Err(ReplayFailure {
                lines: request.lines,
                kind: request.kind,
                error,
            });
        }
        latency_ns[request.kind as usize].1.push(elapsed);
    }
    let total_ns = started.elapsed().as_nanos() as f64;
    latency_ns.retain(|(_, samples)| !samples.is_empty());
    Ok(ReplayTimings {
        latency_ns,
        total_ns,
        requests: replay.requests.len(),
    })
}

fn run_batched(
    session: &mut IpsetSession,
    replay: &EncodedReplay,
) -> Result<ReplayTimings, ReplayFailure> {
    let groups = datagrams(&replay.requests, session.socket.max_batch_bytes());
    let started = Instant::now();
    for group in &groups {
        let first = &replay.requests[group.start];
        let last = &replay.requests[group.end - 1];
        let outcome = session
            .socket
            .batch(
                &replay.bytes[first.bytes.start..last.bytes.end],
                last.sequence,
            )
            .map_err(|error| ReplayFailure {
                lines: first.lines,
                kind: first.kind,
                error,
            })?;
        if let Some((sequence, error)) = outcome.errors.into_iter().next() {
            let failed = replay.requests[group.clone()]
                .iter()
                .find(|r| r.sequence == sequence)
                .unwrap_or(first);
            return Err(ReplayFailure {
                lines: failed.lines,
                kind: failed.kind,
                error,
            });
        }
    }
    Ok(ReplayTimings {
        latency_ns: Vec::new(),
        total_ns: started.elapsed().as_nanos() as f64,
        requests: replay.requests.len(),
    })
}
