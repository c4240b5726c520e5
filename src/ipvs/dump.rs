//! Reading what the kernel sends back: services and real servers from dumps, and GET_INFO.

use super::message::{AF_INET6, Destination, ForwardMethod, Protocol, Service, ServiceKey};
use super::protocol::{cmd_attr, dest_attr, genl_attributes, info_attr, service_attr};
use crate::netlink::reply::{attributes, c_string, ne_u32};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A service as the kernel reports it, with the counters we check after ZERO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedService {
    pub service: Service,
    /// Connections scheduled (`IPVS_STATS_ATTR_CONNS`), 0 after a ZERO on an idle table.
    pub connections: u32,
}

/// GET_INFO's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpvsInfo {
    /// `IP_VS_VERSION_CODE`, e.g. 0x010201 for 1.2.1.
    pub version: u32,
    pub connection_table_size: u32,
}

impl IpvsInfo {
    pub fn version_text(&self) -> String {
        format!(
            "{}.{}.{}",
            self.version >> 16 & 0xff,
            self.version >> 8 & 0xff,
            self.version & 0xff
        )
    }
}

/// (kind, value) of every attribute in `bytes`, with the value borrowed from `bytes`.
fn kinds_and_values(bytes: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    attributes(bytes).map(|a| {
        let kind = a.kind() & NLA_TYPE_MASK;
        let end = a.length() as usize;
        let inner = a.into_inner();
        (kind, inner.get(4..end).unwrap_or(&[]))
    })
}

/// The kernel does not flag IPVS nests, but mask the flag bits in case a kernel ever does.
const NLA_TYPE_MASK: u16 =
    !(netlink_packet_core::NLA_F_NESTED | netlink_packet_core::NLA_F_NET_BYTEORDER);

/// Finds the value of the top-level attribute `kind` in a generic-netlink payload.
fn top_level(payload: &[u8], kind: u16) -> Option<&[u8]> {
    kinds_and_values(genl_attributes(payload))
        .find(|(k, _)| *k == kind)
        .map(|(_, v)| v)
}

fn u16_ne(value: &[u8]) -> Option<u16> {
    value.get(0..2).map(|b| u16::from_ne_bytes([b[0], b[1]]))
}

fn u16_be(value: &[u8]) -> Option<u16> {
    value.get(0..2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

fn address(family: u16, value: &[u8]) -> Option<IpAddr> {
    if family == AF_INET6 {
        let octets: [u8; 16] = value.get(0..16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(octets)))
    } else {
        let octets: [u8; 4] = value.get(0..4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(octets)))
    }
}

/// Parses one service message of a GET_SERVICE dump (or reply). `None` when an attribute the
/// kernel always sends is missing, which would mean we misread the layout.
pub fn parse_service(payload: &[u8]) -> Option<DumpedService> {
    let nest = top_level(payload, cmd_attr::SERVICE)?;
    let (mut family, mut protocol, mut addr, mut port, mut mark) = (None, None, None, None, None);
    let mut service = Service::new(
        ServiceKey::FirewallMark {
            ipv6: false,
            mark: 0,
        },
        "",
    );
    let mut connections = 0;
    for (kind, value) in kinds_and_values(nest) {
        match kind {
            service_attr::AF => family = u16_ne(value),
            service_attr::PROTOCOL => protocol = u16_ne(value),
            service_attr::ADDR => addr = Some(value),
            service_attr::PORT => port = u16_be(value),
            service_attr::FWMARK => mark = ne_u32(value),
            service_attr::SCHED_NAME => service.scheduler = c_string(value),
            service_attr::PE_NAME => service.persistence_engine = Some(c_string(value)),
            service_attr::FLAGS => service.flags = ne_u32(value)?,
            service_attr::TIMEOUT => service.timeout_s = ne_u32(value)?,
            service_attr::NETMASK => service.netmask = value.get(0..4)?.try_into().ok()?,
            service_attr::STATS => connections = stats_connections(value).unwrap_or(0),
            _ => {}
        }
    }
    let family = family?;
    // The kernel sends both the address triple and the mark; a non-zero mark wins, as in
    // ipvsadm's listing.
    service.key = match mark {
        Some(mark) if mark != 0 => ServiceKey::FirewallMark {
            ipv6: family == AF_INET6,
            mark,
        },
        _ => ServiceKey::Address {
            protocol: Protocol::from_number(protocol?)?,
            address: address(family, addr?)?,
            port: port?,
        },
    };
    Some(DumpedService {
        service,
        connections,
    })
}

fn stats_connections(nest: &[u8]) -> Option<u32> {
    const IPVS_STATS_ATTR_CONNS: u16 = 1;
    attributes(nest)
        .find(|a| a.kind() == IPVS_STATS_ATTR_CONNS)
        .and_then(|a| ne_u32(a.value()))
}

/// Parses one real-server message of a GET_DEST dump. The address family is the service's
/// unless the kernel says otherwise (`IPVS_DEST_ATTR_ADDR_FAMILY`, 4.x+).
pub fn parse_dest(payload: &[u8], service_family: u16) -> Option<Destination> {
    let nest = top_level(payload, cmd_attr::DEST)?;
    let (mut family, mut addr, mut port) = (service_family, None, None);
    let mut destination = Destination::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
    for (kind, value) in kinds_and_values(nest) {
        match kind {
            dest_attr::ADDR_FAMILY => family = u16_ne(value)?,
            dest_attr::ADDR => addr = Some(value),
            dest_attr::PORT => port = u16_be(value),
            dest_attr::FWD_METHOD => {
                destination.forward = ForwardMethod::from_number(ne_u32(value)?)?
            }
            dest_attr::WEIGHT => destination.weight = ne_u32(value)?,
            dest_attr::U_THRESH => destination.upper_threshold = ne_u32(value)?,
            dest_attr::L_THRESH => destination.lower_threshold = ne_u32(value)?,
            _ => {}
        }
    }
    destination.address = address(family, addr?)?;
    destination.port = port?;
    Some(destination)
}

/// Parses the GET_INFO reply.
pub fn parse_info(payload: &[u8]) -> Option<IpvsInfo> {
    Some(IpvsInfo {
        version: ne_u32(top_level(payload, info_attr::VERSION)?)?,
        connection_table_size: ne_u32(top_level(payload, info_attr::CONN_TAB_SIZE)?)?,
    })
}

#[cfg(test)]
mod tests {
    //! Replies laid out as the kernel's `ip_vs_genl_fill_service` / `ip_vs_genl_fill_dest` /
    //! `ip_vs_genl_get_cmd` write them (nests without NLA_F_NESTED, the HASHED flag set,
    //! statistics nests after the options).
    use super::*;
    use crate::ipvs::message::default_netmask;

    #[rustfmt::skip]
    const SERVICE_REPLY: [u8; 108] = [
        1, 1, 0, 0,                                    // genlmsghdr: NEW_SERVICE
        104, 0, 1, 0,                                  // IPVS_CMD_ATTR_SERVICE
        6, 0, 1, 0,   2, 0, 0, 0,                      // AF_INET
        6, 0, 2, 0,   17, 0, 0, 0,                     // UDP
        20, 0, 3, 0,  10, 0, 0, 9,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
        6, 0, 4, 0,   0, 53, 0, 0,                     // port 53
        8, 0, 6, 0,   b'w', b'l', b'c', 0,             // "wlc"
        12, 0, 7, 0,  3, 0, 0, 0,  0xff, 0xff, 0xff, 0xff, // PERSISTENT | HASHED
        8, 0, 8, 0,   44, 1, 0, 0,                     // timeout 300
        8, 0, 9, 0,   255, 255, 255, 0,                // netmask /24
        20, 0, 10, 0,                                  // STATS nest
        8, 0, 1, 0,   5, 0, 0, 0,                      // CONNS 5
        8, 0, 2, 0,   9, 0, 0, 0,                      // INPKTS 9
    ];

    #[test]
    fn service_reply_is_read_back() {
        let dumped = parse_service(&SERVICE_REPLY).unwrap();
        let s = &dumped.service;
        assert_eq!(
            s.key,
            ServiceKey::Address {
                protocol: Protocol::Udp,
                address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)),
                port: 53
            }
        );
        assert_eq!(s.scheduler, "wlc");
        assert_eq!(s.flags, 3);
        assert_eq!(s.timeout_s, 300);
        assert_eq!(s.netmask, [255, 255, 255, 0]);
        assert_ne!(s.netmask, default_netmask(false));
        assert_eq!(dumped.connections, 5);
    }

    #[test]
    fn truncated_service_is_rejected() {
        assert!(parse_service(&SERVICE_REPLY[..8]).is_none());
    }

    #[test]
    fn dest_and_info_replies_are_read_back() {
        #[rustfmt::skip]
        let dest: [u8; 68] = [
            5, 1, 0, 0,
            64, 0, 2, 0,
            20, 0, 1, 0,  172, 16, 0, 2,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
            6, 0, 2, 0,   0x1f, 0x90, 0, 0,
            8, 0, 3, 0,   0, 0, 0, 0,                  // MASQ
            8, 0, 4, 0,   7, 0, 0, 0,                  // weight 7
            8, 0, 5, 0,   0, 0, 0, 0,
            8, 0, 6, 0,   0, 0, 0, 0,
        ];
        let d = parse_dest(&dest, libc::AF_INET as u16).unwrap();
        assert_eq!(d.address, IpAddr::V4(Ipv4Addr::new(172, 16, 0, 2)));
        assert_eq!(
            (d.port, d.weight, d.forward),
            (8080, 7, ForwardMethod::Masquerade)
        );

        let info: [u8; 20] = [15, 1, 0, 0, 8, 0, 1, 0, 1, 2, 1, 0, 8, 0, 2, 0, 0, 16, 0, 0];
        let info = parse_info(&info).unwrap();
        assert_eq!(info.version_text(), "1.2.1");
        assert_eq!(info.connection_table_size, 4096);
    }
}
