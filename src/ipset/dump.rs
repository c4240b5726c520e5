//! Decoding IPSET_CMD_LIST replies: set headers and elements, for checks and tests.

use super::protocol::{attr, data, ipaddr};
use crate::netlink::reply::{attributes, be_u32, c_string};
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One set as the kernel lists it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetListing {
    pub name: String,
    pub type_name: String,
    pub revision: u8,
    /// Elements rendered like `ipset list` prints them ("10.0.0.1", "10.0.0.1,tcp:80").
    pub elements: Vec<String>,
    /// References held by iptables rules or list:set sets.
    pub references: u32,
}

/// Adds what one LIST reply message says to `listings` (a big set spans several messages,
/// each repeating the set name).
pub fn parse_list_message(payload: &[u8], listings: &mut Vec<SetListing>) {
    let attrs = payload.get(4..).unwrap_or_default();
    let name = attributes(attrs)
        .find(|a| a.kind() == attr::SETNAME)
        .map(|a| c_string(a.value()));
    let Some(name) = name else { return };
    if listings.last().is_none_or(|l| l.name != name) {
        listings.push(SetListing {
            name,
            ..SetListing::default()
        });
    }
    let listing = listings.last_mut().expect("just ensured");
    for a in attributes(attrs) {
        match a.kind() {
            attr::TYPENAME => listing.type_name = c_string(a.value()),
            attr::REVISION => listing.revision = a.value().first().copied().unwrap_or(0),
            attr::DATA => {
                for d in attributes(a.value()) {
                    if d.kind() == data::REFERENCES {
                        listing.references = be_u32(d.value()).unwrap_or(0);
                    }
                }
            }
            attr::ADT => {
                for entry in attributes(a.value()).filter(|e| e.kind() == attr::DATA) {
                    listing.elements.push(render_element(entry.value()));
                }
            }
            _ => {}
        }
    }
}

/// Renders an element's DATA attributes the way `ipset list` does.
fn render_element(bytes: &[u8]) -> String {
    let (mut ip, mut cidr, mut port, mut proto, mut ip2, mut cidr2, mut name) =
        (None, None, None, None, None, None, None);
    for a in attributes(bytes) {
        let v = a.value();
        match a.kind() {
            data::IP => ip = decode_ip(v),
            data::CIDR => cidr = v.first().copied(),
            data::PORT => port = v.get(0..2).map(|b| u16::from_be_bytes([b[0], b[1]])),
            data::PROTO => proto = v.first().copied(),
            data::IP2 => ip2 = decode_ip(v),
            data::CIDR2 => cidr2 = v.first().copied(),
            data::NAME => name = Some(c_string(v)),
            _ => {}
        }
    }
    let mut out = String::new();
    if let Some(ip) = ip {
        let _ = write!(out, "{ip}");
        let full = if ip.is_ipv4() { 32 } else { 128 };
        if let Some(c) = cidr.filter(|c| *c != full) {
            let _ = write!(out, "/{c}");
        }
    }
    if let Some(port) = port {
        let proto = match proto.map(i32::from) {
            Some(libc::IPPROTO_UDP) => "udp",
            Some(libc::IPPROTO_SCTP) => "sctp",
            Some(libc::IPPROTO_UDPLITE) => "udplite",
            _ => "tcp",
        };
        let _ = write!(out, ",{proto}:{port}");
    }
    if let Some(ip2) = ip2 {
        let _ = write!(out, ",{ip2}");
        if let Some(c) = cidr2 {
            let _ = write!(out, "/{c}");
        }
    }
    if let Some(name) = name {
        out.push_str(&name);
    }
    out
}

fn decode_ip(nested: &[u8]) -> Option<IpAddr> {
    let a = attributes(nested).next()?;
    let v = a.value();
    match a.kind() {
        ipaddr::IPV4 if v.len() == 4 => Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
        ipaddr::IPV6 if v.len() == 16 => {
            let octets: [u8; 16] = v.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}
