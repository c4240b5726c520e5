//! ipset's restore format as a [`ReplayFormat`]: the engine in `crate::replay` sends and times
//! what is encoded here. Consecutive `add`/`del` lines of one set travel in one message, as
//! `ipset restore` sends them, with the `-exist` flag of the run's first line; the kernel's
//! refusal names the failing element's line (`IPSET_ATTR_LINENO`). A bad line is reported
//! after the lines before it ran, as `ipset restore` does.

use super::available::{KERNEL_MODULES, ipset_available, kernel};
use super::client::IpsetSession;
use super::element::Element;
use super::message::{self, Ack, Exist};
use super::protocol::Command;
use super::protocol::attr;
use super::restore_file::{self, CommandKind, RestoreCommand, RestoreLine};
use crate::error::{KcanaryError, Result};
use crate::netlink::{KernelError, NetlinkSocket};
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
    type Line = ReplayLine;
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

    fn parse(_path: &Path, text: &str, params: &Params) -> Result<Vec<ReplayLine>> {
        let exist = params.boolean("exist").map_err(KcanaryError::Usage)?;
        let script = restore_file::parse_script(text, exist);
        let mut lines: Vec<ReplayLine> = script.lines.into_iter().map(ReplayLine::Run).collect();
        lines.extend(
            script
                .error
                .map(|(line, reason)| ReplayLine::StopsAt { line, reason }),
        );
        Ok(lines)
    }

    fn refused_line(error: &KernelError) -> Option<usize> {
        failing_lineno(error.echoed_request.as_deref()?).map(|l| l as usize)
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
        lines: &[ReplayLine],
    ) -> std::result::Result<Encoded<CommandKind>, Refused<CommandKind>> {
        let mut requests = Encoded::with_capacity(lines.len(), 96);
        let mut i = 0;
        while i < lines.len() {
            let line = match &lines[i] {
                ReplayLine::Run(line) => line,
                ReplayLine::StopsAt { line, reason } => {
                    requests.then_fail(*line, reason.clone());
                    break;
                }
            };
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
                    // Asked while encoding, but refused in file order: the lines before
                    // this one are sent first, and their refusals come first.
                    let revision = match session.revision(&set_type.name, options.family) {
                        Ok(revision) => revision,
                        Err(error) => {
                            requests
                                .then_fail(at, format!("{error} (the kernel refused this create)"));
                            break;
                        }
                    };
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
                    let elements: Vec<(u32, &Element)> = lines[i..i + run]
                        .iter()
                        .filter_map(ReplayLine::command)
                        .map(|l| (l.line as u32, element_of(&l.command)))
                        .collect();
                    requests.push(&mut session.socket, kind, at, |w, seq| {
                        message::add_or_del_lines(
                            w,
                            seq,
                            command,
                            set,
                            &elements,
                            exist,
                            Ack::Always,
                        )
                    });
                    i += run - 1;
                }
                RestoreCommand::Test { set, element } => {
                    requests.push(&mut session.socket, kind, at, |w, seq| {
                        message::add_or_del(
                            w,
                            seq,
                            Command::Test,
                            set,
                            std::slice::from_ref(element),
                            at as u32,
                            Exist::Ignore,
                            Ack::Always,
                        )
                    });
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

/// A line of the file as replayed: a command, or the bad line `ipset restore` stops at
/// after running what precedes it.
// The small variant occurs at most once per file: boxing every command would cost an
// allocation per line for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayLine {
    Run(RestoreLine),
    StopsAt { line: usize, reason: String },
}

impl ReplayLine {
    /// Lines parsed without errors (`restore_file::parse`), to replay.
    pub fn all(lines: Vec<RestoreLine>) -> Vec<ReplayLine> {
        lines.into_iter().map(ReplayLine::Run).collect()
    }

    fn command(&self) -> Option<&RestoreLine> {
        match self {
            ReplayLine::Run(line) => Some(line),
            ReplayLine::StopsAt { .. } => None,
        }
    }
}

/// How many lines from `start` share one add/del message: ipset joins every following line
/// with the same command and set, whatever their `-exist` (the first line's flags apply),
/// until a COMMIT line.
fn coalescable_run(lines: &[ReplayLine], start: usize) -> usize {
    let key = |l: &ReplayLine| match l.command().map(|l| &l.command) {
        Some(RestoreCommand::Add { set, .. }) => Some((CommandKind::Add, set.clone())),
        Some(RestoreCommand::Del { set, .. }) => Some((CommandKind::Del, set.clone())),
        _ => None,
    };
    let wanted = key(&lines[start]);
    let continues_run =
        |l: &ReplayLine| key(l) == wanted && !l.command().is_some_and(|l| l.after_commit);
    1 + lines[start + 1..]
        .iter()
        .take(MAX_ELEMENTS_PER_MESSAGE - 1)
        .take_while(|l| continues_run(l))
        .count()
}

/// The line number ipset's kernel code wrote into the top-level `IPSET_ATTR_LINENO` of the
/// request it sent back with its error: the failing element's line. It copies the element's
/// value as we sent it (big-endian, like every ipset integer).
fn failing_lineno(request: &[u8]) -> Option<u32> {
    const NLMSG_AND_NFGENMSG: usize = 16 + 4;
    let attributes = request.get(NLMSG_AND_NFGENMSG..)?;
    crate::netlink::reply::attributes(attributes)
        .find(|a| a.kind() & 0x3fff == attr::LINENO)
        .and_then(|a| Some(u32::from_be_bytes(a.value().get(..4)?.try_into().ok()?)))
}

fn element_of(command: &RestoreCommand) -> &Element {
    match command {
        RestoreCommand::Add { element, .. } | RestoreCommand::Del { element, .. } => element,
        _ => unreachable!("only add/del lines are coalesced"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::MessageWriter;

    /// A request as the kernel sends it back: ours, with the top-level LINENO overwritten by
    /// the failing element's line (the real path is the "middle-of-run" conformance case).
    #[test]
    fn the_failing_line_is_read_from_the_echoed_request() {
        let element = |ip: &str| Element::ip(ip.parse().unwrap());
        let (a, b) = (element("1.1.1.1"), element("1.1.1.2"));
        let mut w = MessageWriter::with_capacity(256);
        message::add_or_del_lines(
            &mut w,
            1,
            Command::Add,
            "A",
            &[(2, &a), (7, &b)],
            Exist::Fail,
            Ack::Always,
        );
        assert_eq!(failing_lineno(w.bytes()), Some(2));
        let mut echoed = w.bytes().to_vec();
        let at = echoed
            .windows(8)
            .position(|win| win[..4] == [8, 0, attr::LINENO as u8, 0x40])
            .unwrap();
        echoed[at + 4..at + 8].copy_from_slice(&7u32.to_be_bytes());
        assert_eq!(failing_lineno(&echoed), Some(7));
    }

    #[test]
    fn a_run_ends_at_another_set_command_or_commit() {
        let text = "create A hash:ip\ncreate B hash:ip\nadd A 1.1.1.1\nadd A 1.1.1.2 -exist\n\
                    add B 1.1.1.1\nadd B 1.1.1.2\nCOMMIT\nadd B 1.1.1.3\n";
        let lines = ReplayLine::all(restore_file::parse(Path::new("t"), text, false).unwrap());
        assert_eq!(coalescable_run(&lines, 2), 2, "-exist does not split a run");
        assert_eq!(coalescable_run(&lines, 4), 2, "COMMIT ends the run");
        assert_eq!(coalescable_run(&lines, 6), 1);
    }
}
