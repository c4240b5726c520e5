//! The `ipvsadm -S` format as a [`ReplayFormat`]: one request per line; the engine in
//! `crate::replay` sends and times them. Besides the per-kind latencies and the total, an IPVS
//! replay reports how many commands it sent (`replay_commands`).

use super::client::{ConnectError, IpvsClient};
use super::request;
use super::save_file::{self, Command, CommandKind, SaveLine};
use crate::error::{KcanaryError, Result};
use crate::netlink::{MessageWriter, NetlinkSocket};
use crate::replay::{Encoded, Refused, ReplayFormat, ReplayKind, ReplayTimings};
use crate::workload::{Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params};
use std::path::Path;

/// An `ipvsadm -S` file (`ipvs.replay`).
pub struct IpvsadmSave;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "file",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"\"",
        help: "ipvsadm -S file to replay",
    },
    crate::replay::BATCH_PARAM,
];

impl ReplayKind for CommandKind {
    const ALL: &'static [CommandKind] = &CommandKind::ALL;

    fn name(self) -> &'static str {
        CommandKind::name(self)
    }
}

impl ReplayFormat for IpvsadmSave {
    type Line = SaveLine;
    type Kind = CommandKind;
    type Session = IpvsClient;

    const TOOL: &'static str = "ipvsadm";
    const WORKLOAD: &'static str = "ipvs.replay";
    const SUMMARY: &'static str = "replay an ipvsadm -S file; latency per command kind and total";
    const PARAMS: &'static [ParamSpec] = PARAMS;
    const WORKS_UNPRIVILEGED: bool = false;
    const KERNEL_MODULES: &'static [&'static str] = super::workloads::KERNEL_MODULES;
    /// Every command of an `ipvsadm -S` file (services, real servers, clear, zero).
    const ENTRY_POINTS: &'static [EntryPoint] = &[EntryPoint::Function("ip_vs_genl_set_cmd")];

    fn available() -> std::result::Result<(), String> {
        super::workloads::ipvs_available()
    }

    fn parse(path: &Path, text: &str, _params: &Params) -> Result<Vec<SaveLine>> {
        save_file::parse(path, text)
    }

    fn open_session() -> Result<IpvsClient> {
        IpvsClient::connect().map_err(|e| match e {
            ConnectError::NoIpvs => {
                KcanaryError::Kernel("cannot replay an ipvsadm file: kernel has no IP_VS".into())
            }
            other => other.into(),
        })
    }

    fn socket(client: &mut IpvsClient) -> &mut NetlinkSocket {
        client.socket()
    }

    fn encode(
        client: &mut IpvsClient,
        lines: &[SaveLine],
    ) -> std::result::Result<Encoded<CommandKind>, Refused<CommandKind>> {
        let family = client.family();
        let mut requests = Encoded::with_capacity(lines.len(), 160);
        for line in lines {
            requests.push(client.socket(), line.command.kind(), line.line, |w, s| {
                encode(w, family, s, &line.command)
            });
        }
        Ok(requests)
    }

    fn extra_measurements(timings: &ReplayTimings<CommandKind>) -> Vec<Measurement> {
        vec![Measurement::setting(
            "replay_commands",
            "count",
            timings.requests as f64,
        )]
    }
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
