//! Swap storm: S swaps of two sets while K other sets exist. Each swap scans the set table for
//! both names, and on kernels with the 6.1.68 change waits for an RCU grace period.

use super::{in_namespace, kernel, numbered_elements, numbered_names};
use crate::error::{KcanaryError, Result};
use crate::ipset::IpsetSession;
use crate::ipset::element::CreateOptions;
use crate::ipset::message::{self, Ack, Exist};
use crate::netlink::EncodedRequests;
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};

pub struct SwapStorm;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "other_sets",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_IPSETS - 2,
        },
        default: "6000",
        help: "sets that exist besides the swapped pair (created first)",
    },
    ParamSpec {
        name: "swaps",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_OPERATIONS,
        },
        default: "2000",
        help: "swaps per repetition",
    },
    ParamSpec {
        name: "entries",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_ELEMENTS,
        },
        default: "16",
        help: "elements in each swapped set",
    },
];

pub const FIRST: &str = "kc-swap-first";
pub const SECOND: &str = "kc-swap-second";

/// `ipset.swap_storm`'s parameters, read once.
struct SwapStormConfig {
    other_sets: usize,
    swaps: usize,
    /// At least 1.
    entries: usize,
}

impl SwapStormConfig {
    fn from_params(params: &Params) -> Result<SwapStormConfig, String> {
        Ok(SwapStormConfig {
            other_sets: params.usize("other_sets")?,
            swaps: params.usize("swaps")?,
            entries: params.usize("entries")?.max(1),
        })
    }
}

impl Workload for SwapStorm {
    ipset_workload_info! {
        name: "ipset.swap_storm",
        summary: "swap two sets S times while K other sets exist; per-swap latency",
        params: PARAMS,
        config: SwapStormConfig,
        entry_points: &[EntryPoint::Function("ip_set_swap")],
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let SwapStormConfig {
            other_sets,
            swaps,
            entries,
        } = SwapStormConfig::from_params(params).map_err(KcanaryError::Usage)?;
        ctx.progress.start("swap storm", swaps as u64);
        let result = in_namespace(|session| {
            setup(session, other_sets, entries)?;
            let latency_ns = storm(session, swaps)?;
            verify_swapped(session, swaps, entries)?;
            Ok(vec![Measurement::latency_ns("swap_ns", latency_ns)])
        });
        ctx.progress.finish();
        result
    }
}

/// K other sets first, then the pair, so both swap look-ups scan past all K (as a set created
/// late in a kube-router node's life does).
pub fn setup(session: &mut IpsetSession, other_sets: usize, entries: usize) -> Result<()> {
    let options = CreateOptions::ipv4();
    session
        .create_many(
            &numbered_names("kc-other-", other_sets),
            "hash:ip",
            &options,
        )
        .map_err(kernel("create the other sets"))?;
    session
        .create(FIRST, "hash:ip", &options, Exist::Fail)
        .map_err(kernel("create first set"))?;
    session
        .create(SECOND, "hash:ip", &options, Exist::Fail)
        .map_err(kernel("create second set"))?;
    session
        .add(FIRST, &numbered_elements(entries, 0), Exist::Fail)
        .map_err(kernel("fill first set"))?;
    session
        .add(SECOND, &numbered_elements(1, 0x0001_0000), Exist::Fail)
        .map_err(kernel("fill second set"))
}

/// S swaps, alternating the argument order like a sync loop would; each one timed alone.
pub fn storm(session: &mut IpsetSession, swaps: usize) -> Result<Vec<f64>> {
    let requests = encode_swaps(session, swaps);
    super::create::time_each(session, &requests, "swap")
}

/// S swap requests of the pair, alternating the argument order, encoded before timing.
pub fn encode_swaps(session: &mut IpsetSession, swaps: usize) -> EncodedRequests {
    let mut encoded = EncodedRequests::with_capacity(swaps, 64);
    for i in 0..swaps {
        let (a, b) = if i % 2 == 0 {
            (FIRST, SECOND)
        } else {
            (SECOND, FIRST)
        };
        encoded.push(&mut session.socket, |w, seq| {
            message::swap(w, seq, a, b, Ack::Always)
        });
    }
    encoded
}

/// After an odd number of swaps the first set holds the second's single element.
fn verify_swapped(session: &mut IpsetSession, swaps: usize, entries: usize) -> Result<()> {
    let first = session
        .list(Some(FIRST))
        .map_err(kernel("list first set"))?;
    let held = first.first().map(|l| l.elements.len()).unwrap_or(0);
    let expected = if swaps % 2 == 1 { 1 } else { entries };
    if held != expected {
        return Err(KcanaryError::Kernel(format!(
            "after {swaps} swaps {FIRST} holds {held} elements, expected {expected}: swaps did not happen"
        )));
    }
    Ok(())
}
