//! IPVS requests encoded into the shared `MessageWriter`, with the attribute layout of
//! ipvsadm 1.31's libipvs (`ipvs_nl_fill_service_attr`, `ipvs_nl_fill_dest_attr`): addresses as
//! the 16-byte `union nf_inet_addr`, ports and IPv4 persistence netmasks in network byte order
//! without `NLA_F_NET_BYTEORDER`, flags as `struct ip_vs_flags` with an all-ones mask. Every
//! request carries `NLM_F_ACK`, so a batch can be closed by the ack of its last message.

use super::message::{AF_INET, AF_INET6, Destination, Service, ServiceKey};
use super::protocol::{FAMILY_VERSION, cmd_attr, command, dest_attr, genl_header, service_attr};
use crate::netlink::MessageWriter;
use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use std::net::IpAddr;

/// The 16-byte `union nf_inet_addr` the kernel copies addresses into.
fn inet_addr(address: IpAddr) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    match address {
        IpAddr::V4(a) => bytes[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => bytes.copy_from_slice(&a.octets()),
    }
    bytes
}

/// Begins an IPVS request: `NLM_F_REQUEST | NLM_F_ACK` plus `extra_flags`.
fn begin(writer: &mut MessageWriter, family: u16, cmd: u8, extra_flags: u16, sequence: u32) {
    writer.begin(
        family,
        NLM_F_REQUEST | NLM_F_ACK | extra_flags,
        sequence,
        &genl_header(cmd, FAMILY_VERSION),
    );
}

/// The nested service attribute: the key only (`full == false`, enough to find a service), or
/// the key and every option (what NEW/SET_SERVICE need).
fn service_nest(writer: &mut MessageWriter, service: &Service, full: bool) {
    let nest = writer.nest_begin(cmd_attr::SERVICE);
    write_service_key(writer, &service.key);
    if full {
        writer.attr_str(service_attr::SCHED_NAME, &service.scheduler);
        if let Some(engine) = &service.persistence_engine {
            writer.attr_str(service_attr::PE_NAME, engine);
        }
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&service.flags.to_ne_bytes());
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        writer.attr_bytes(service_attr::FLAGS, &flags);
        writer.attr_u32(service_attr::TIMEOUT, service.timeout_s);
        writer.attr_bytes(service_attr::NETMASK, &service.netmask);
    }
    writer.nest_end(nest);
}

fn write_service_key(writer: &mut MessageWriter, key: &ServiceKey) {
    writer.attr_u16(service_attr::AF, key.address_family());
    match key {
        ServiceKey::Address {
            protocol,
            address,
            port,
        } => {
            writer.attr_u16(service_attr::PROTOCOL, protocol.number());
            writer.attr_bytes(service_attr::ADDR, &inet_addr(*address));
            writer.attr_bytes(service_attr::PORT, &port.to_be_bytes());
        }
        ServiceKey::FirewallMark { mark, .. } => writer.attr_u32(service_attr::FWMARK, *mark),
    }
}

/// Only the key, for commands that look a service up (DEL_SERVICE, GET_DEST, NEW_DEST).
fn service_key_nest(writer: &mut MessageWriter, key: &ServiceKey) {
    let nest = writer.nest_begin(cmd_attr::SERVICE);
    write_service_key(writer, key);
    writer.nest_end(nest);
}

fn dest_nest(writer: &mut MessageWriter, destination: &Destination) {
    let nest = writer.nest_begin(cmd_attr::DEST);
    let family = if destination.address.is_ipv6() {
        AF_INET6
    } else {
        AF_INET
    };
    writer.attr_u16(dest_attr::ADDR_FAMILY, family);
    writer.attr_bytes(dest_attr::ADDR, &inet_addr(destination.address));
    writer.attr_bytes(dest_attr::PORT, &destination.port.to_be_bytes());
    writer.attr_u32(dest_attr::FWD_METHOD, destination.forward.number());
    writer.attr_u32(dest_attr::WEIGHT, destination.weight);
    writer.attr_u32(dest_attr::U_THRESH, destination.upper_threshold);
    writer.attr_u32(dest_attr::L_THRESH, destination.lower_threshold);
    writer.nest_end(nest);
}

// Each function below appends one complete request; `family` is the message type nlctrl
// resolved for "IPVS".

pub fn new_service(writer: &mut MessageWriter, family: u16, sequence: u32, service: &Service) {
    begin(writer, family, command::NEW_SERVICE, 0, sequence);
    service_nest(writer, service, true);
    writer.end();
}

/// `ipvsadm -E`: changes a service's options.
pub fn set_service(writer: &mut MessageWriter, family: u16, sequence: u32, service: &Service) {
    begin(writer, family, command::SET_SERVICE, 0, sequence);
    service_nest(writer, service, true);
    writer.end();
}

pub fn del_service(writer: &mut MessageWriter, family: u16, sequence: u32, key: &ServiceKey) {
    begin(writer, family, command::DEL_SERVICE, 0, sequence);
    service_key_nest(writer, key);
    writer.end();
}

pub fn new_dest(
    writer: &mut MessageWriter,
    family: u16,
    sequence: u32,
    key: &ServiceKey,
    destination: &Destination,
) {
    begin(writer, family, command::NEW_DEST, 0, sequence);
    service_key_nest(writer, key);
    dest_nest(writer, destination);
    writer.end();
}

/// `ipvsadm -e`: changes a real server's options.
pub fn set_dest(
    writer: &mut MessageWriter,
    family: u16,
    sequence: u32,
    key: &ServiceKey,
    destination: &Destination,
) {
    begin(writer, family, command::SET_DEST, 0, sequence);
    service_key_nest(writer, key);
    dest_nest(writer, destination);
    writer.end();
}

pub fn del_dest(
    writer: &mut MessageWriter,
    family: u16,
    sequence: u32,
    key: &ServiceKey,
    destination: &Destination,
) {
    begin(writer, family, command::DEL_DEST, 0, sequence);
    service_key_nest(writer, key);
    dest_nest(writer, destination);
    writer.end();
}

/// Dumps every service (`ipvsadm -Ln`).
pub fn dump_services(writer: &mut MessageWriter, family: u16, sequence: u32) {
    begin(writer, family, command::GET_SERVICE, NLM_F_DUMP, sequence);
    writer.end();
}

/// Dumps the real servers of one service.
pub fn dump_dests(writer: &mut MessageWriter, family: u16, sequence: u32, key: &ServiceKey) {
    begin(writer, family, command::GET_DEST, NLM_F_DUMP, sequence);
    service_key_nest(writer, key);
    writer.end();
}

/// Zeroes the counters of every service (`ipvsadm -Z`), or of one.
pub fn zero(writer: &mut MessageWriter, family: u16, sequence: u32, key: Option<&ServiceKey>) {
    begin(writer, family, command::ZERO, 0, sequence);
    if let Some(key) = key {
        service_key_nest(writer, key);
    }
    writer.end();
}

/// Deletes every service and real server (`ipvsadm -C`).
pub fn flush(writer: &mut MessageWriter, family: u16, sequence: u32) {
    begin(writer, family, command::FLUSH, 0, sequence);
    writer.end();
}

/// Asks for the IPVS version and connection table size.
pub fn get_info(writer: &mut MessageWriter, family: u16, sequence: u32) {
    begin(writer, family, command::GET_INFO, 0, sequence);
    writer.end();
}
