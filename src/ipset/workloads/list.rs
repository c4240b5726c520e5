//! Listing and saving many sets: the time of a whole LIST and SAVE dump (what `ipset list`
//! and `ipset save`, and agents that poll them, cost the kernel).

use super::{in_namespace, kernel, numbered_elements, numbered_names};
use crate::error::{KcanaryError, Result};
use crate::ipset::element::CreateOptions;
use crate::ipset::message::{self, Exist};
use crate::ipset::protocol::Command;
use crate::netlink::MessageWriter;
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
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

/// `ipset.list`'s parameters, read once.
struct ListConfig {
    sets: usize,
    entries: usize,
    dumps: usize,
}

impl ListConfig {
    fn from_params(params: &Params) -> Result<ListConfig, String> {
        Ok(ListConfig {
            sets: params.usize("sets")?,
            entries: params.usize("entries")?,
            dumps: params.usize("dumps")?,
        })
    }
}

impl Workload for ListDump {
    ipset_workload_info! {
        name: "ipset.list",
        summary: "dump all sets with LIST and SAVE while N sets with M elements exist; time per dump",
        params: PARAMS,
        config: ListConfig,
        // LIST and SAVE are both dumps: started by ip_set_dump, filled by ip_set_dump_do.
        entry_points: &[
            EntryPoint::Function("ip_set_dump"),
            EntryPoint::Function("ip_set_dump_do"),
        ],
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let ListConfig {
            sets,
            entries,
            dumps,
        } = ListConfig::from_params(params).map_err(KcanaryError::Usage)?;
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
