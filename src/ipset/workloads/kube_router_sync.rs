//! kube-router's ipset sync at scale: a generated restore file (TMP set filled, real set
//! created, swapped and TMP flushed, per set) replayed the way `ipset restore -exist` runs it.
//! The first sync creates every set; the following ones are the steady state a node repeats.

use super::{in_namespace, kernel};
use crate::error::{KcanaryError, Result};
use crate::ipset::kube_router;
use crate::ipset::replay::{IpsetRestore, ReplayLine};
use crate::ipset::restore_file;
use crate::replay::{ReplayMode, replay_in_session};
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::path::Path;

pub struct KubeRouterSync;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "sets",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_IPSETS / 2,
        },
        default: "6000",
        help: "sets kube-router keeps in sync",
    },
    ParamSpec {
        name: "entries",
        kind: ParamKind::Integer,
        accepts: Accepts::Range { min: 0, max: 64 },
        default: "4",
        help: "elements per set (at most 64)",
    },
    ParamSpec {
        name: "cycles",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_OPERATIONS,
        },
        default: "2",
        help: "syncs per repetition (the first creates the sets)",
    },
];

/// `ipset.kube_router_sync`'s parameters, read once.
struct KubeRouterSyncConfig {
    sets: usize,
    entries: usize,
    /// At least 1 (the first sync).
    cycles: usize,
}

impl KubeRouterSyncConfig {
    fn from_params(params: &Params) -> Result<KubeRouterSyncConfig, String> {
        Ok(KubeRouterSyncConfig {
            sets: params.usize("sets")?,
            entries: params.usize("entries")?,
            cycles: params.usize("cycles")?.max(1),
        })
    }
}

impl Workload for KubeRouterSync {
    ipset_workload_info! {
        name: "ipset.kube_router_sync",
        summary: "kube-router's sync (fill TMP, create, swap, flush per set) at N sets; sync time and per-command latency",
        params: PARAMS,
        config: KubeRouterSyncConfig,
        // The commands of a sync file (see `ipset::kube_router`).
        entry_points: &[
            EntryPoint::Function("ip_set_create"),
            EntryPoint::Function("ip_set_uadd"),
            EntryPoint::Function("ip_set_swap"),
            EntryPoint::Function("ip_set_flush"),
            EntryPoint::Function("ip_set_destroy"),
        ],
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let KubeRouterSyncConfig {
            sets,
            entries,
            cycles,
        } = KubeRouterSyncConfig::from_params(params).map_err(KcanaryError::Usage)?;
        if entries > 64 {
            return Err(KcanaryError::Usage(
                "ipset.kube_router_sync: entries must be at most 64".into(),
            ));
        }
        let source = Path::new("generated:kube-router-sync");
        let lines = ReplayLine::all(restore_file::parse(
            source,
            &kube_router::sync_file(sets, entries),
            true,
        )?);
        ctx.progress.start("kube-router syncs", cycles as u64);
        let result = in_namespace(|session| {
            let first =
                replay_in_session::<IpsetRestore>(session, source, &lines, ReplayMode::PerCommand)?;
            let mut out = vec![Measurement::total_ns("sync_first_total_ns", first.total_ns)];
            ctx.progress.set(1);
            let mut steady: Vec<Measurement> = Vec::new();
            for cycle in 1..cycles {
                let timings = replay_in_session::<IpsetRestore>(
                    session,
                    source,
                    &lines,
                    ReplayMode::PerCommand,
                )?;
                merge(&mut steady, timings.measurements("sync_steady_total_ns"));
                ctx.progress.set(cycle as u64 + 1);
            }
            for m in &mut steady {
                // Several steady cycles per repetition: each cycle's total is one sample.
                m.kind = crate::results::SampleKind::PerOperation;
            }
            out.extend(steady);
            verify(session, sets, entries)?;
            Ok(out)
        });
        ctx.progress.finish();
        result
    }
}

/// Appends each metric's samples to the same metric of earlier cycles.
fn merge(into: &mut Vec<Measurement>, more: Vec<Measurement>) {
    for m in more {
        match into.iter_mut().find(|x| x.metric == m.metric) {
            Some(existing) => existing.samples.extend(m.samples),
            None => into.push(m),
        }
    }
}

/// Every synced set exists with its elements, and the TMP set is gone.
fn verify(session: &mut crate::ipset::IpsetSession, sets: usize, entries: usize) -> Result<()> {
    let names = session.set_names().map_err(kernel("list sets"))?;
    if names.len() != sets {
        return Err(KcanaryError::Kernel(format!(
            "after the sync {} sets exist, expected {sets}",
            names.len()
        )));
    }
    if sets > 0 {
        let last = sets - 1;
        let listing = session
            .list(Some(&kube_router::set_name(last)))
            .map_err(kernel("list a synced set"))?;
        let mut got = listing
            .first()
            .map(|l| l.elements.clone())
            .unwrap_or_default();
        got.sort();
        let mut want = kube_router::expected_elements(last, entries);
        want.sort();
        if got != want {
            return Err(KcanaryError::Kernel(format!(
                "synced set holds {got:?}, expected {want:?}"
            )));
        }
    }
    Ok(())
}
