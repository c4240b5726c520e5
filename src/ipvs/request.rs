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

#[cfg(test)]
mod tests {
    //! Golden bytes written out by hand from `include/uapi/linux/ip_vs.h` and ipvsadm's libipvs
    //! (`ipvs_nl_fill_service_attr`, `ipvs_nl_fill_dest_attr`), with comments saying what each
    //! byte is. `tests/ipvsadm_golden.rs` checks the same requests against bytes the real
    //! ipvsadm 1.31 sent to a 6.12 kernel in a VM (strace capture).
    use super::*;
    use crate::ipvs::message::{ForwardMethod, Protocol};
    use std::net::Ipv4Addr;

    const FAMILY: u16 = 0x0024;

    fn tcp_80() -> ServiceKey {
        ServiceKey::Address {
            protocol: Protocol::Tcp,
            address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 80,
        }
    }

    #[rustfmt::skip]
    const NEW_SERVICE: [u8; 104] = [
        104, 0, 0, 0,   0x24, 0,   5, 0,   7, 0, 0, 0,   0, 0, 0, 0, // nlmsghdr: REQUEST|ACK, seq 7
        1, 1, 0, 0,                                  // genlmsghdr: NEW_SERVICE, version 1
        84, 0, 1, 0x80,                              // IPVS_CMD_ATTR_SERVICE (nested)
        6, 0, 1, 0,   2, 0, 0, 0,                    // AF = AF_INET
        6, 0, 2, 0,   6, 0, 0, 0,                    // PROTOCOL = TCP
        20, 0, 3, 0,  10, 0, 0, 1,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, // ADDR, nf_inet_addr
        6, 0, 4, 0,   0, 80, 0, 0,                   // PORT 80, network order
        7, 0, 6, 0,   b'r', b'r', 0, 0,              // SCHED_NAME "rr"
        12, 0, 7, 0,  0, 0, 0, 0,  0xff, 0xff, 0xff, 0xff, // FLAGS: flags 0, mask ~0
        8, 0, 8, 0,   0, 0, 0, 0,                    // TIMEOUT 0
        8, 0, 9, 0,   0xff, 0xff, 0xff, 0xff,        // NETMASK 255.255.255.255
    ];

    #[rustfmt::skip]
    const NEW_DEST: [u8; 140] = [
        140, 0, 0, 0,   0x24, 0,   5, 0,   8, 0, 0, 0,   0, 0, 0, 0,
        5, 1, 0, 0,                                  // NEW_DEST
        48, 0, 1, 0x80,                              // service key only
        6, 0, 1, 0,   2, 0, 0, 0,
        6, 0, 2, 0,   6, 0, 0, 0,
        20, 0, 3, 0,  10, 0, 0, 1,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
        6, 0, 4, 0,   0, 80, 0, 0,
        72, 0, 2, 0x80,                              // IPVS_CMD_ATTR_DEST (nested)
        6, 0, 11, 0,  2, 0, 0, 0,                    // ADDR_FAMILY = AF_INET
        20, 0, 1, 0,  172, 16, 0, 1,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, // ADDR
        6, 0, 2, 0,   0x1f, 0x90, 0, 0,              // PORT 8080
        8, 0, 3, 0,   0, 0, 0, 0,                    // FWD_METHOD = MASQ
        8, 0, 4, 0,   3, 0, 0, 0,                    // WEIGHT 3
        8, 0, 5, 0,   0, 0, 0, 0,                    // U_THRESH
        8, 0, 6, 0,   0, 0, 0, 0,                    // L_THRESH
    ];

    #[test]
    fn new_service_matches_libipvs_layout() {
        let mut w = MessageWriter::default();
        new_service(&mut w, FAMILY, 7, &Service::new(tcp_80(), "rr"));
        assert_eq!(w.bytes(), &NEW_SERVICE[..]);
    }

    #[test]
    fn new_dest_matches_libipvs_layout() {
        let mut destination = Destination::new(IpAddr::V4(Ipv4Addr::new(172, 16, 0, 1)), 8080);
        destination.forward = ForwardMethod::Masquerade;
        destination.weight = 3;
        let mut w = MessageWriter::default();
        new_dest(&mut w, FAMILY, 8, &tcp_80(), &destination);
        assert_eq!(w.bytes(), &NEW_DEST[..]);
    }

    #[test]
    fn fwmark_service_carries_mark_instead_of_address() {
        let mut w = MessageWriter::default();
        del_service(
            &mut w,
            FAMILY,
            9,
            &ServiceKey::FirewallMark {
                ipv6: true,
                mark: 42,
            },
        );
        #[rustfmt::skip]
        let expected: [u8; 40] = [
            40, 0, 0, 0,   0x24, 0,   5, 0,   9, 0, 0, 0,   0, 0, 0, 0,
            3, 1, 0, 0,                                // DEL_SERVICE
            20, 0, 1, 0x80,
            6, 0, 1, 0,   10, 0, 0, 0,                 // AF = AF_INET6
            8, 0, 5, 0,   42, 0, 0, 0,                 // FWMARK 42
        ];
        assert_eq!(w.bytes(), &expected[..]);
    }

    #[test]
    fn table_commands_have_no_attributes_and_dumps_ask_for_a_dump() {
        let mut w = MessageWriter::default();
        flush(&mut w, FAMILY, 1);
        assert_eq!(
            w.bytes(),
            &[
                20, 0, 0, 0, 0x24, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 17, 1, 0, 0
            ]
        );
        w.clear();
        dump_services(&mut w, FAMILY, 2);
        // NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP (0x300)
        assert_eq!(&w.bytes()[6..8], &0x305u16.to_ne_bytes());
        assert_eq!(&w.bytes()[16..20], &[4, 1, 0, 0]);
    }
}
