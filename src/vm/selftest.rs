//! A small workload for testing the VM path itself (`selftest.*`, in no default suite, used by
//! `tests/scenarios/vm-selftest.toml`). It needs the ip_set module, so a run that produces
//! samples proves that the guest loaded modules in the right order and that netlink works in
//! the guest's fresh network namespaces. It times real IPSET_CMD_PROTOCOL round trips
//! (nfnetlink → ip_set), the cheapest ipset request; it is not a regression benchmark.

use crate::error::{KcanaryError, Result};
use crate::netlink::errno::no_private_names;
use crate::netlink::{MessageWriter, NetlinkSocket};
use crate::workload::{Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload};
use std::time::Instant;

const NFNL_SUBSYS_IPSET: u16 = 6;
const IPSET_CMD_PROTOCOL: u16 = 1;
const IPSET_ATTR_PROTOCOL: u16 = 1;
/// The oldest protocol version current kernels accept (IPSET_PROTOCOL_MIN).
const IPSET_PROTOCOL_VERSION: u8 = 6;
const NETLINK_NETFILTER: isize = 12;

pub struct IpsetProtocolRoundTrip;

pub static WORKLOADS: &[&dyn Workload] = &[&IpsetProtocolRoundTrip];

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "requests",
    kind: ParamKind::Integer,
    default: "200",
    help: "IPSET_CMD_PROTOCOL requests per repetition",
}];

impl Workload for IpsetProtocolRoundTrip {
    fn name(&self) -> &'static str {
        "selftest.ipset_protocol"
    }

    fn summary(&self) -> &'static str {
        "VM self-test: latency of the ipset PROTOCOL request (checks module loading and netlink)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn available(&self) -> std::result::Result<(), String> {
        if std::path::Path::new("/sys/module/ip_set").exists() {
            Ok(())
        } else {
            Err("the kernel has no ip_set (module not loaded and not built in)".into())
        }
    }

    fn run(&self, params: &Params, _ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let requests = params.usize("requests").max(1);
        crate::isolate::netns::in_fresh_netns(move || {
            let kernel = |e: crate::netlink::KernelError| {
                KcanaryError::Kernel(format!("ipset PROTOCOL request: {e}"))
            };
            let mut socket =
                NetlinkSocket::open(NETLINK_NETFILTER, no_private_names).map_err(kernel)?;
            let mut writer = MessageWriter::with_capacity(requests * 32);
            let mut encoded = Vec::with_capacity(requests);
            let family_header = [libc::AF_INET as u8, 0, 0, 0];
            for _ in 0..requests {
                let sequence = socket.next_sequence();
                let flags = (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
                writer.begin(
                    (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_PROTOCOL,
                    flags,
                    sequence,
                    &family_header,
                );
                writer.attr_u8(IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL_VERSION);
                encoded.push((writer.end(), sequence));
            }
            let mut latencies_ns = Vec::with_capacity(requests);
            for (range, sequence) in encoded {
                let started = Instant::now();
                socket
                    .request(&writer.bytes()[range], sequence)
                    .map_err(kernel)?;
                latencies_ns.push(started.elapsed().as_nanos() as f64);
            }
            Ok(vec![Measurement::latency_ns(
                "protocol_request_latency",
                latencies_ns,
            )])
        })
    }
}
