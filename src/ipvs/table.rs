//! Generated IPVS tables for the workloads: N virtual services, each with D real servers, on
//! addresses that only exist inside the namespace kcanary creates.

use super::message::{Destination, ForwardMethod, Protocol, Service, ServiceKey};
use crate::error::{KcanaryError, Result};
use crate::workload::{Accepts, ParamKind, ParamSpec, Params};
use std::net::{IpAddr, Ipv4Addr};

/// First VIP (10.0.0.1, then consecutive addresses) and first real server (172.16.0.1, ...).
const FIRST_VIP: u32 = u32::from_be_bytes([10, 0, 0, 1]);
const FIRST_REAL_SERVER: u32 = u32::from_be_bytes([172, 16, 0, 1]);
const VIRTUAL_PORT: u16 = 80;
const REAL_PORT: u16 = 8080;
/// 172.16.0.0/12 holds about a million real servers.
const MAX_REAL_SERVERS: usize = 1 << 20;

/// The parameters every IPVS table workload declares.
pub const TABLE_PARAMS: [ParamSpec; 4] = [
    ParamSpec {
        name: "services",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_ELEMENTS,
        },
        default: "2000",
        help: "virtual services to create",
    },
    ParamSpec {
        name: "dests_per_service",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 0,
            max: crate::workload::params::MAX_DESTS_PER_SERVICE,
        },
        default: "2",
        help: "real servers per service",
    },
    ParamSpec {
        name: "protocol",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"tcp\"",
        help: "\"tcp\", \"udp\", or \"mixed\" (alternating)",
    },
    ParamSpec {
        name: "scheduler",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"rr\"",
        help: "IPVS scheduler (rr, wlc, ...; the ip_vs_<name> module must be available)",
    },
];

/// One service and its real servers.
#[derive(Debug, Clone)]
pub struct TableEntry {
    pub service: Service,
    pub destinations: Vec<Destination>,
}

/// The `TABLE_PARAMS` of a scenario, read once.
#[derive(Debug, Clone)]
pub struct TableConfig {
    pub services: usize,
    pub dests_per_service: usize,
    pub protocol: String,
    pub scheduler: String,
}

impl TableConfig {
    pub fn from_params(params: &Params) -> Result<TableConfig, String> {
        Ok(TableConfig {
            services: params.usize("services")?,
            dests_per_service: params.usize("dests_per_service")?,
            protocol: params.text("protocol")?.to_string(),
            scheduler: params.text("scheduler")?.to_string(),
        })
    }
}

/// Builds the table `config` describes, after checking what `TABLE_PARAMS` cannot say alone.
pub fn build(config: &TableConfig) -> Result<Vec<TableEntry>> {
    let services = config.services;
    let dests = config.dests_per_service;
    if services == 0 {
        return Err(KcanaryError::Usage("services must be at least 1".into()));
    }
    if services.saturating_mul(dests) > MAX_REAL_SERVERS {
        return Err(KcanaryError::Usage(format!(
            "services × dests_per_service must stay under {MAX_REAL_SERVERS}, found {}",
            services.saturating_mul(dests)
        )));
    }
    let protocol = config.protocol.as_str();
    if !matches!(protocol, "tcp" | "udp" | "mixed") {
        return Err(KcanaryError::Usage(format!(
            "protocol must be tcp, udp or mixed, found '{protocol}'"
        )));
    }
    Ok(generate(services, dests, protocol, &config.scheduler))
}

/// `services` services on consecutive VIPs from 10.0.0.1, port 80, each with `dests` NAT real
/// servers on consecutive addresses from 172.16.0.1, port 8080 (as kube-proxy's IPVS mode makes).
pub fn generate(services: usize, dests: usize, protocol: &str, scheduler: &str) -> Vec<TableEntry> {
    (0..services)
        .map(|i| {
            let protocol = match protocol {
                "udp" => Protocol::Udp,
                "mixed" if i % 2 == 1 => Protocol::Udp,
                _ => Protocol::Tcp,
            };
            let address = IpAddr::V4(Ipv4Addr::from(FIRST_VIP + i as u32));
            let key = ServiceKey::Address {
                protocol,
                address,
                port: VIRTUAL_PORT,
            };
            let destinations = (0..dests)
                .map(|j| {
                    let address =
                        IpAddr::V4(Ipv4Addr::from(FIRST_REAL_SERVER + (i * dests + j) as u32));
                    let mut destination = Destination::new(address, REAL_PORT);
                    destination.forward = ForwardMethod::Masquerade;
                    destination
                })
                .collect();
            TableEntry {
                service: Service::new(key, scheduler),
                destinations,
            }
        })
        .collect()
}
