//! Flush and destroy of large sets: per-set latency of emptying and of removing them.

use super::{in_namespace, kernel, numbered_elements, numbered_names};
use crate::error::{KcanaryError, Result};
use crate::ipset::element::CreateOptions;
use crate::ipset::message::{self, Ack, Exist};
use crate::netlink::EncodedRequests;
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};

pub struct FlushDestroy;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "sets",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_IPSETS,
        },
        default: "50",
        help: "sets to fill, flush and destroy",
    },
    ParamSpec {
        name: "entries",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_ELEMENTS,
        },
        default: "20000",
        help: "elements per set",
    },
    ParamSpec {
        name: "set_type",
        kind: ParamKind::Text,
        accepts: Accepts::Text(crate::ipset::set_type::check_kernel_type),
        default: "\"hash:ip\"",
        help: "type of every set",
    },
];

/// `ipset.flush_destroy`'s parameters, read once.
struct FlushDestroyConfig {
    sets: usize,
    entries: usize,
    set_type: String,
}

impl FlushDestroyConfig {
    fn from_params(params: &Params) -> Result<FlushDestroyConfig, String> {
        Ok(FlushDestroyConfig {
            sets: params.usize("sets")?,
            entries: params.usize("entries")?,
            set_type: params.text("set_type")?.to_string(),
        })
    }
}

impl Workload for FlushDestroy {
    ipset_workload_info! {
        name: "ipset.flush_destroy",
        summary: "fill N sets with M elements, then flush each and destroy each; per-operation latency",
        params: PARAMS,
        config: FlushDestroyConfig,
        entry_points: &[
            EntryPoint::Function("ip_set_flush"),
            EntryPoint::Function("ip_set_destroy"),
        ],
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let FlushDestroyConfig {
            sets,
            entries,
            set_type,
        } = FlushDestroyConfig::from_params(params).map_err(KcanaryError::Usage)?;
        ctx.progress.start("filling sets", sets as u64);
        let result = in_namespace(|session| {
            let names = numbered_names("kc-big-", sets);
            session
                .create_many(&names, &set_type, &CreateOptions::ipv4())
                .map_err(kernel("create sets"))?;
            let elements = numbered_elements(entries, 0);
            for (i, name) in names.iter().enumerate() {
                session
                    .add(name, &elements, Exist::Fail)
                    .map_err(kernel("fill set"))?;
                ctx.progress.set(i as u64 + 1);
            }
            let mut flushes = EncodedRequests::with_capacity(names.len(), 64);
            let mut destroys = EncodedRequests::with_capacity(names.len(), 64);
            for name in &names {
                flushes.push(&mut session.socket, |w, seq| {
                    message::flush(w, seq, Some(name), Ack::Always)
                });
                destroys.push(&mut session.socket, |w, seq| {
                    message::destroy(w, seq, Some(name), Exist::Fail, Ack::Always)
                });
            }
            let flush_ns = super::create::time_each(session, &flushes, "flush")?;
            let destroy_ns = super::create::time_each(session, &destroys, "destroy")?;
            Ok(vec![
                Measurement::latency_ns("flush_ns", flush_ns),
                Measurement::latency_ns("destroy_ns", destroy_ns),
            ])
        });
        ctx.progress.finish();
        result
    }
}
