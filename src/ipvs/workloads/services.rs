//! `ipvs.services`: N services with D real servers each, added one request at a time and in
//! batches, dumped and checked, zeroed, flushed.

use super::{KERNEL_MODULES, ipvs_available, kernel};
use crate::error::{KcanaryError, Result};
use crate::ipvs::client::IpvsClient;
use crate::ipvs::table::{self, TABLE_PARAMS, TableConfig, TableEntry};
use crate::ipvs::timed::{describe_table_request, encode_dests, encode_services, encode_table};
use crate::ipvs::{request, verify};
use crate::isolate::netns::in_fresh_netns;
use crate::results::Better;
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::time::Instant;

pub struct Services;

const SERVICES_PARAMS: [ParamSpec; 7] = [
    TABLE_PARAMS[0],
    TABLE_PARAMS[1],
    TABLE_PARAMS[2],
    TABLE_PARAMS[3],
    ParamSpec {
        name: "batched",
        kind: ParamKind::Boolean,
        accepts: Accepts::Any,
        default: "true",
        help: "also load the same table in batched datagrams, in a fresh namespace, and time it",
    },
    ParamSpec {
        name: "after_flush",
        kind: ParamKind::Boolean,
        accepts: Accepts::Any,
        default: "false",
        help: "also reload the table in batches right after the FLUSH, in the same namespace (dest trash)",
    },
    ParamSpec {
        name: "verify_dests",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "64",
        help: "services whose real servers are dumped back and compared",
    },
];

/// `ipvs.services`'s parameters, read once.
struct ServicesConfig {
    table: TableConfig,
    batched: bool,
    after_flush: bool,
    verify_dests: usize,
}

impl ServicesConfig {
    fn from_params(params: &Params) -> Result<ServicesConfig, String> {
        Ok(ServicesConfig {
            table: TableConfig::from_params(params)?,
            batched: params.boolean("batched")?,
            after_flush: params.boolean("after_flush")?,
            verify_dests: params.usize("verify_dests")?,
        })
    }
}

impl Workload for Services {
    fn name(&self) -> &'static str {
        "ipvs.services"
    }

    fn summary(&self) -> &'static str {
        "add N IPVS services with D real servers each (one by one and batched), dump, zero, flush"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &SERVICES_PARAMS
    }

    fn check(&self, params: &Params) -> std::result::Result<(), String> {
        ServicesConfig::from_params(params).map(drop)
    }

    fn available(&self) -> std::result::Result<(), String> {
        ipvs_available()
    }

    fn kernel_modules(&self) -> &'static [&'static str] {
        KERNEL_MODULES
    }

    fn entry_points(&self) -> &'static [EntryPoint] {
        &[
            // Adding services and real servers, zeroing, flushing.
            EntryPoint::Function("ip_vs_genl_set_cmd"),
            EntryPoint::Function("ip_vs_genl_dump_services"),
        ]
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let config = ServicesConfig::from_params(params).map_err(KcanaryError::Usage)?;
        let table = table::build(&config.table)?;
        let batched = config.batched;
        let dest_samples = config.verify_dests;
        let after_flush = config.after_flush;
        ctx.progress.start("IPVS services", 1 + u64::from(batched));
        let shared = std::sync::Arc::new(table);
        let one_by_one = std::sync::Arc::clone(&shared);
        let mut measurements =
            in_fresh_netns(move || services_repetition(&one_by_one, after_flush, dest_samples))?;
        ctx.progress.set(1);
        if batched {
            // A namespace of its own: re-adding real servers right after a FLUSH is slowed by
            // the kernel's dest trash (see `after_flush`), which would confound the comparison
            // of one-by-one and batched loading.
            measurements.extend(in_fresh_netns(move || {
                batched_repetition(&shared, dest_samples)
            })?);
        }
        ctx.progress.finish();
        Ok(measurements)
    }
}

/// The one-by-one part of an `ipvs.services` repetition, inside its namespace: add, dump and
/// check, zero, flush and check. With `after_flush`, the table is then loaded again in batches
/// in the same namespace (`add_batched_after_flush_total_ns`): FLUSH moves every real server to
/// the namespace's dest trash, which each NEW_DEST searches linearly until the trash timer
/// empties it, so this shows what a resync after a flush costs.
pub fn services_repetition(
    table: &[TableEntry],
    after_flush: bool,
    dest_samples: usize,
) -> Result<Vec<Measurement>> {
    let mut client = IpvsClient::connect()?;
    let family = client.family();
    let services = encode_services(client.socket(), family, table);
    let dests = encode_dests(client.socket(), family, table);
    let describe_service = |i: usize| format!("adding service {}", table[i].service.key);
    let add_service_ns = services.send_one_by_one(client.socket(), &describe_service)?;
    let describe_dest = |i: usize| describe_table_request(table, table.len() + i);
    let add_dest_ns = dests.send_one_by_one(client.socket(), &describe_dest)?;

    let dump_ns = timed_dump(&mut client)?;
    verify::table_matches(&mut client, table, dest_samples)?;
    let zero_ns = timed_single(
        &mut client,
        |w, f, s| request::zero(w, f, s, None),
        "zeroing counters",
    )?;
    let flush_ns = timed_single(&mut client, request::flush, "flushing")?;
    verify::table_is_empty(&mut client)?;

    // Services per second *with their real servers*: the same definition as the batched rate
    // and as `ipvsadm -R` on a file of the table.
    let added_s = (add_service_ns.iter().sum::<f64>() + add_dest_ns.iter().sum::<f64>()) / 1e9;
    let mut measurements = vec![
        Measurement::count(
            "add_services_per_s",
            "services/s",
            Better::Higher,
            table.len() as f64 / added_s.max(1e-9),
        ),
        Measurement::latency_ns("add_service_ns", add_service_ns),
        Measurement::total_ns("dump_services_ns", dump_ns),
        Measurement::total_ns("zero_ns", zero_ns),
        Measurement::total_ns("flush_ns", flush_ns),
    ];
    if !add_dest_ns.is_empty() {
        measurements.push(Measurement::latency_ns("add_dest_ns", add_dest_ns));
    }
    if after_flush {
        let all = encode_table(client.socket(), family, table);
        let total_ns = all.send_batched(client.socket(), &|i| describe_table_request(table, i))?;
        verify::table_matches(&mut client, table, dest_samples)?;
        client.flush().map_err(kernel("flushing"))?;
        measurements.push(Measurement::total_ns(
            "add_batched_after_flush_total_ns",
            total_ns,
        ));
    }
    Ok(measurements)
}

/// The batched part of an `ipvs.services` repetition, in a fresh namespace: the whole table in
/// as few datagrams as the socket takes, checked, then flushed.
pub fn batched_repetition(table: &[TableEntry], dest_samples: usize) -> Result<Vec<Measurement>> {
    let mut client = IpvsClient::connect()?;
    let family = client.family();
    let all = encode_table(client.socket(), family, table);
    let total_ns = all.send_batched(client.socket(), &|i| describe_table_request(table, i))?;
    verify::table_matches(&mut client, table, dest_samples)?;
    client.flush().map_err(kernel("flushing"))?;
    Ok(vec![
        Measurement::total_ns("add_batched_total_ns", total_ns),
        Measurement::count(
            "add_batched_services_per_s",
            "services/s",
            Better::Higher,
            table.len() as f64 / (total_ns / 1e9).max(1e-9),
        ),
    ])
}

/// Times a full service dump, counting messages only (parsing would allocate).
fn timed_dump(client: &mut IpvsClient) -> Result<f64> {
    let family = client.family();
    let mut writer = crate::netlink::MessageWriter::with_capacity(64);
    let sequence = client.socket().next_sequence();
    request::dump_services(&mut writer, family, sequence);
    let mut messages = 0usize;
    let started = Instant::now();
    let outcome = client
        .socket()
        .dump(writer.bytes(), sequence, |_| messages += 1);
    let elapsed = started.elapsed().as_nanos() as f64;
    outcome.map_err(kernel("dumping services"))?;
    Ok(elapsed)
}

/// Times one pre-encoded request.
fn timed_single(
    client: &mut IpvsClient,
    encode: impl FnOnce(&mut crate::netlink::MessageWriter, u16, u32),
    what: &'static str,
) -> Result<f64> {
    let family = client.family();
    let mut writer = crate::netlink::MessageWriter::with_capacity(64);
    let sequence = client.socket().next_sequence();
    encode(&mut writer, family, sequence);
    let started = Instant::now();
    let outcome = client.socket().request(writer.bytes(), sequence);
    let elapsed = started.elapsed().as_nanos() as f64;
    outcome.map_err(kernel(what))?;
    Ok(elapsed)
}
