//! ipset's restore format as a [`ReplayFormat`]: the engine in `crate::replay` sends and times
//! what is encoded here. Consecutive `add`/`del` lines of one set travel in one message, as
//! `ipset restore` sends them.

use super::available::{KERNEL_MODULES, ipset_available, kernel};
use super::client::IpsetSession;
use super::element::Element;
use super::message::{self, Ack, Exist};
use super::protocol::Command;
use super::restore_file::{self, CommandKind, RestoreCommand, RestoreLine};
use crate::error::{KcanaryError, Result};
use crate::netlink::NetlinkSocket;
use crate::replay::{Encoded, Refused, ReplayFormat, ReplayKind};
use crate::workload::{Accepts, EntryPoint, ParamKind, ParamSpec, Params};
use std::path::Path;

/// Caps how many add/del lines share one message, keeping each far below the socket buffer.
const MAX_ELEMENTS_PER_MESSAGE: usize = 256;

/// An `ipset save` / `ipset restore` file (`ipset.replay`).
pub struct IpsetRestore;

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
    crate::replay::BATCH_PARAM,
];

impl ReplayKind for CommandKind {
    const ALL: &'static [CommandKind] = &CommandKind::ALL;

    fn name(self) -> &'static str {
        CommandKind::name(self)
    }
}

impl ReplayFormat for IpsetRestore {
    type Line = RestoreLine;
    type Kind = CommandKind;
    type Session = IpsetSession;

    const TOOL: &'static str = "ipset";
    const WORKLOAD: &'static str = "ipset.replay";
    const SUMMARY: &'static str =
        "replay an ipset restore file; latency per command kind and total";
    const PARAMS: &'static [ParamSpec] = PARAMS;
    const WORKS_UNPRIVILEGED: bool = true;
    const KERNEL_MODULES: &'static [&'static str] = KERNEL_MODULES;
    /// Any command a restore file may hold (`CommandKind`), by the kernel function that does it.
    const ENTRY_POINTS: &'static [EntryPoint] = &[
        EntryPoint::Function("ip_set_create"),
        EntryPoint::Function("ip_set_uadd"),
        EntryPoint::Function("ip_set_udel"),
        EntryPoint::Function("ip_set_swap"),
        EntryPoint::Function("ip_set_rename"),
        EntryPoint::Function("ip_set_flush"),
        EntryPoint::Function("ip_set_destroy"),
    ];

    fn available() -> std::result::Result<(), String> {
        ipset_available()
    }

    fn check_options(params: &Params) -> std::result::Result<(), String> {
        params.boolean("exist").map(drop)
    }

    fn parse(path: &Path, text: &str, params: &Params) -> Result<Vec<RestoreLine>> {
        let exist = params.boolean("exist").map_err(KcanaryError::Usage)?;
        restore_file::parse(path, text, exist)
    }

    fn open_session() -> Result<IpsetSession> {
        IpsetSession::open().map_err(kernel("open nfnetlink socket"))
    }

    fn socket(session: &mut IpsetSession) -> &mut NetlinkSocket {
        &mut session.socket
    }

    /// Asks the kernel for each created type's revision (untimed), then encodes.
    fn encode(
        session: &mut IpsetSession,
        lines: &[RestoreLine],
    ) -> std::result::Result<Encoded<CommandKind>, Refused<CommandKind>> {
        let mut requests = Encoded::with_capacity(lines.len(), 96);
        let mut i = 0;
        while i < lines.len() {
            let line = &lines[i];
            let (kind, at) = (line.command.kind(), line.line);
            let exist = if line.exist {
                Exist::Ignore
            } else {
                Exist::Fail
            };
            match &line.command {
                RestoreCommand::Create {
                    set,
                    set_type,
                    options,
                } => {
                    let revision =
                        session
                            .revision(&set_type.name, options.family)
                            .map_err(|error| Refused {
                                line: at,
                                kind,
                                error,
                            })?;
                    requests.push(&mut session.socket, kind, at, |w, seq| {
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
                    let command = if kind == CommandKind::Add {
                        Command::Add
                    } else {
                        Command::Del
                    };
                    let run = coalescable_run(lines, i);
                    let elements: Vec<Element> = lines[i..i + run]
                        .iter()
                        .map(|l| element_of(&l.command).clone())
                        .collect();
                    requests.push(&mut session.socket, kind, at, |w, seq| {
                        message::add_or_del(
                            w,
                            seq,
                            command,
                            set,
                            &elements,
                            at as u32,
                            exist,
                            Ack::Always,
                        )
                    });
                    i += run - 1;
                }
                RestoreCommand::Swap { first, second } => {
                    requests.push(&mut session.socket, kind, at, |w, seq| {
                        message::swap(w, seq, first, second, Ack::Always)
                    })
                }
                RestoreCommand::Rename { from, to } => {
                    requests.push(&mut session.socket, kind, at, |w, seq| {
                        message::rename(w, seq, from, to, Ack::Always)
                    })
                }
                RestoreCommand::Flush { set } => {
                    requests.push(&mut session.socket, kind, at, |w, seq| {
                        message::flush(w, seq, set.as_deref(), Ack::Always)
                    })
                }
                RestoreCommand::Destroy { set } => {
                    requests.push(&mut session.socket, kind, at, |w, seq| {
                        message::destroy(w, seq, set.as_deref(), exist, Ack::Always)
                    })
                }
            }
            i += 1;
        }
        Ok(requests)
    }
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
