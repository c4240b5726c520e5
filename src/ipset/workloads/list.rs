//! Listing and saving many sets: the time of a whole LIST and SAVE dump (what `ipset list`
//! and `ipset save`, and agents that poll them, cost the kernel).

use super::{in_namespace, kernel, numbered_elements, numbered_names};
use crate::error::Result;
use crate::ipset::element::CreateOptions;
use crate::ipset::message::{self, Exist};
use crate::ipset::protocol::Command;
use crate::netlink::MessageWriter;
use crate::workload::{
    Accepts, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::time::Instant;

pub struct ListDump;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "sets",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_IPSETS,
        },
        default: "2000",
        help: "sets present",
    },
    ParamSpec {
        name: "entries",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_ELEMENTS,
        },
        default: "20",
        help: "elements per set",
    },
    ParamSpec {
        name: "dumps",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_OPERATIONS,
        },
        default: "20",
        help: "dumps of each kind per repetition",
    },
];

impl Workload for ListDump {
    ipset_workload_info!(
        "ipset.list",
        "dump all sets with LIST and SAVE while N sets with M elements exist; time per dump",
        PARAMS
    );

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let sets = params.usize("sets");
        let entries = params.usize("entries");
        let dumps = params.usize("dumps");
        ctx.progress.start("list/save dumps", 2 * dumps as u64);
        let result = in_namespace(|session| {
            let names = numbered_names("kc-list-", sets);
            session
                .create_many(&names, "hash:ip", &CreateOptions::ipv4())
                .map_err(kernel("create sets"))?;
            let elements = numbered_elements(entries, 0);
            for name in &names {
                session
                    .add(name, &elements, Exist::Fail)
                    .map_err(kernel("fill set"))?;
            }
            let mut measurements = Vec::new();
            for (command, metric) in [
                (Command::List, "list_all_ns"),
                (Command::Save, "save_all_ns"),
            ] {
                let mut latency_ns = Vec::with_capacity(dumps);
                let mut w = MessageWriter::with_capacity(64);
                for _ in 0..dumps {
                    w.clear();
                    let sequence = session.socket.next_sequence();
                    if command == Command::List {
                        message::list(&mut w, sequence, None, false);
                    } else {
                        message::save(&mut w, sequence, None);
                    }
                    let mut replies = 0usize;
                    let t0 = Instant::now();
                    let result = session.socket.dump(w.bytes(), sequence, |_| replies += 1);
                    let elapsed = t0.elapsed().as_nanos() as f64;
                    result.map_err(kernel("dump sets"))?;
                    if replies < sets {
                        return Err(crate::error::KcanaryError::Kernel(format!(
                            "dump returned {replies} messages for {sets} sets"
                        )));
                    }
                    latency_ns.push(elapsed);
                }
                measurements.push(Measurement::latency_ns(metric, latency_ns));
            }
            Ok(measurements)
        });
        ctx.progress.finish();
        result
    }
}
