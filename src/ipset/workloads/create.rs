//! Creating many sets: per-create latency in a fresh namespace (the set table grows 64 slots at
//! a time, each growth waiting for an RCU grace period) and again in the same namespace once
//! the table is grown (only the linear name scan remains), plus filling them.

use super::{in_namespace, kernel, numbered_elements, numbered_names};
use crate::error::{KcanaryError, Result};
use crate::ipset::IpsetSession;
use crate::ipset::element::CreateOptions;
use crate::ipset::message::{self, Ack, Exist};
use crate::netlink::EncodedRequests;
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::time::Instant;

pub struct CreateSets;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "sets",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_IPSETS,
        },
        default: "10000",
        help: "sets to create",
    },
    ParamSpec {
        name: "set_type",
        kind: ParamKind::Text,
        accepts: Accepts::Text(crate::ipset::set_type::check_kernel_type),
        default: "\"hash:ip\"",
        help: "type of every set",
    },
    ParamSpec {
        name: "entries",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_ELEMENTS,
        },
        default: "0",
        help: "elements added to each set (batched)",
    },
];

/// `ipset.create`'s parameters, read once.
struct CreateConfig {
    sets: usize,
    set_type: String,
    entries: usize,
}

impl CreateConfig {
    fn from_params(params: &Params) -> Result<CreateConfig, String> {
        Ok(CreateConfig {
            sets: params.usize("sets")?,
            set_type: params.text("set_type")?.to_string(),
            entries: params.usize("entries")?,
        })
    }
}

impl Workload for CreateSets {
    ipset_workload_info! {
        name: "ipset.create",
        summary: "create N sets one request at a time, in a fresh namespace and again once the set table has grown",
        params: PARAMS,
        config: CreateConfig,
        entry_points: &[
            EntryPoint::Function("ip_set_create"),
            // entries > 0: filling the sets.
            EntryPoint::Function("ip_set_uadd"),
        ],
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let CreateConfig {
            sets,
            set_type,
            entries,
        } = CreateConfig::from_params(params).map_err(KcanaryError::Usage)?;
        ctx.progress.start("creating sets", 2 * sets as u64);
        let result = in_namespace(move |session| {
            let names = numbered_names("kc-set-", sets);
            let options = CreateOptions::ipv4();
            let revision = session
                .revision(&set_type, options.family)
                .map_err(kernel("query set type"))?;
            let requests = encode_creates(session, &names, &set_type, revision, &options);
            let fresh = time_each(session, &requests, "create in a fresh namespace")?;
            ctx.progress.set(sets as u64);
            let mut measurements = vec![Measurement::latency_ns("create_fresh_ns", fresh)];
            if entries > 0 {
                let elements = numbered_elements(entries, 0);
                let started = Instant::now();
                for name in &names {
                    session
                        .add(name, &elements, Exist::Fail)
                        .map_err(kernel("add elements"))?;
                }
                measurements.push(Measurement::total_ns(
                    "add_all_total_ns",
                    started.elapsed().as_nanos() as f64,
                ));
            }
            session
                .destroy(None, Exist::Fail)
                .map_err(kernel("destroy all sets"))?;
            let requests = encode_creates(session, &names, &set_type, revision, &options);
            let reused = time_each(session, &requests, "create in a reused namespace")?;
            measurements.push(Measurement::latency_ns("create_reused_ns", reused));
            if session.set_names().map_err(kernel("list sets"))?.len() != sets {
                return Err(KcanaryError::Kernel(
                    "the kernel lists a different number of sets than created".into(),
                ));
            }
            Ok(measurements)
        });
        ctx.progress.finish();
        result
    }
}

/// Create requests for `names`, encoded before timing.
pub fn encode_creates(
    session: &mut IpsetSession,
    names: &[String],
    set_type: &str,
    revision: u8,
    options: &CreateOptions,
) -> EncodedRequests {
    let mut encoded = EncodedRequests::with_capacity(names.len(), 96);
    for name in names {
        encoded.push(&mut session.socket, |w, seq| {
            message::create(
                w,
                seq,
                name,
                set_type,
                revision,
                options,
                Exist::Fail,
                Ack::Always,
            )
        });
    }
    encoded
}

/// Sends each request, waiting for its ack, and returns the latency of each in ns.
pub fn time_each(
    session: &mut IpsetSession,
    requests: &EncodedRequests,
    what: &'static str,
) -> Result<Vec<f64>> {
    requests.send_one_by_one(&mut session.socket, &|i| format!("{what} (request {i})"))
}
