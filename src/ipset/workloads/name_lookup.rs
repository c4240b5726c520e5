//! Set look-ups by name through getsockopt(SO_IP_SET): the path through which `iptables-save`
//! slowed down (two look-ups per `-m set` rule), scanning the set table linearly.

use super::{in_namespace, kernel, numbered_names};
use crate::error::{KcanaryError, Result};
use crate::ipset::element::CreateOptions;
use crate::ipset::protocol::IPSET_INVALID_ID;
use crate::ipset::sockopt::{GetSetFamilyRequest, SetLookupSocket};
use crate::netlink::errno_name;
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::time::Instant;

pub struct NameLookup;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "sets",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_IPSETS,
        },
        default: "6000",
        help: "sets present",
    },
    ParamSpec {
        name: "lookups",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_OPERATIONS,
        },
        default: "5000",
        help: "look-ups per repetition",
    },
];

/// `ipset.name_lookup`'s parameters, read once.
struct NameLookupConfig {
    /// At least 1: there must be a set to look up.
    sets: usize,
    lookups: usize,
}

impl NameLookupConfig {
    fn from_params(params: &Params) -> Result<NameLookupConfig, String> {
        Ok(NameLookupConfig {
            sets: params.usize("sets")?.max(1),
            lookups: params.usize("lookups")?,
        })
    }
}

impl Workload for NameLookup {
    ipset_workload_info! {
        name: "ipset.name_lookup",
        summary: "look sets up by name with getsockopt(SO_IP_SET) while N sets exist (the iptables-save path)",
        params: PARAMS,
        config: NameLookupConfig,
        entry_points: &[EntryPoint::Function("ip_set_sockfn_get")],
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let NameLookupConfig { sets, lookups } =
            NameLookupConfig::from_params(params).map_err(KcanaryError::Usage)?;
        ctx.progress.start("name look-ups", lookups as u64);
        let result = in_namespace(|session| {
            let names = numbered_names("kc-rule-", sets);
            session
                .create_many(&names, "hash:ip", &CreateOptions::ipv4())
                .map_err(kernel("create sets"))?;
            let socket = SetLookupSocket::open()?;
            // Names spread over the whole table, like the sets of an iptables ruleset.
            let requests: Vec<GetSetFamilyRequest> = (0..lookups)
                .map(|i| GetSetFamilyRequest::for_name(&names[(i * 7919) % sets]))
                .collect();
            let mut latency_ns = Vec::with_capacity(lookups);
            for template in &requests {
                let mut request = *template;
                let t0 = Instant::now();
                let result = socket.lookup(&mut request);
                let elapsed = t0.elapsed().as_nanos() as f64;
                result.map_err(|errno| {
                    KcanaryError::Kernel(format!("SO_IP_SET look-up: {}", errno_name(errno)))
                })?;
                if request.index() == IPSET_INVALID_ID {
                    return Err(KcanaryError::Kernel(
                        "SO_IP_SET did not find a set that exists".into(),
                    ));
                }
                latency_ns.push(elapsed);
            }
            Ok(vec![Measurement::latency_ns("lookup_ns", latency_ns)])
        });
        ctx.progress.finish();
        result
    }
}
