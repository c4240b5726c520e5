//! Names in elements, resolved from the tables `ipset` itself uses: protocols and services
//! from the system's databases (`getprotobyname`/`getservbyname`, i.e. /etc/protocols and
//! /etc/services), ICMP and ICMPv6 type names from ipset's own list of names.

use std::ffi::{CStr, CString};
use std::sync::Mutex;

/// The C library's database calls return pointers into one static buffer per database, so two
/// threads looking names up at once would read each other's answers: one look-up at a time.
static DATABASES: Mutex<()> = Mutex::new(());

/// A protocol number from its number or its name (`tcp`, `vrrp`, `icmpv6`).
pub fn protocol(text: &str) -> Result<u8, String> {
    if let Ok(number) = text.parse::<u8>() {
        return Ok(number);
    }
    // ipset accepts "icmpv6" for the database's "ipv6-icmp".
    let lookup = if text.eq_ignore_ascii_case("icmpv6") {
        "ipv6-icmp"
    } else {
        text
    };
    let name = CString::new(lookup).map_err(|_| format!("cannot parse '{text}' as a protocol"))?;
    let _one_at_a_time = DATABASES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: getprotobyname reads a NUL-terminated string and returns a pointer into static
    // storage (or NULL); we copy the number out before any other database call.
    let entry = unsafe { libc::getprotobyname(name.as_ptr()) };
    if entry.is_null() {
        return Err(format!("cannot parse '{text}' as a protocol"));
    }
    // SAFETY: non-null entry from getprotobyname.
    let number = unsafe { (*entry).p_proto };
    match u8::try_from(number) {
        Ok(0) | Err(_) => Err(format!("unsupported protocol '{text}'")),
        Ok(number) => Ok(number),
    }
}

/// A port from its number or a service name of protocol `proto` (`smtp`, `[ftp-data]`).
pub fn port(text: &str, proto: u8) -> Result<u16, String> {
    if let Ok(number) = text.parse::<u16>() {
        return Ok(number);
    }
    let bad = || format!("cannot parse '{text}' as a port");
    let bare = match text.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or_else(bad)?,
        None => text,
    };
    let _one_at_a_time = DATABASES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: getprotobynumber returns static storage or NULL; the name is copied at once.
    let proto_name = unsafe {
        let entry = libc::getprotobynumber(i32::from(proto));
        if entry.is_null() {
            return Err(bad());
        }
        CStr::from_ptr((*entry).p_name).to_owned()
    };
    let name = CString::new(bare).map_err(|_| bad())?;
    // SAFETY: both arguments are NUL-terminated; the result is static storage or NULL.
    let entry = unsafe { libc::getservbyname(name.as_ptr(), proto_name.as_ptr()) };
    if entry.is_null() {
        return Err(bad());
    }
    // SAFETY: non-null entry from getservbyname; s_port is in network byte order.
    Ok(u16::from_be(unsafe { (*entry).s_port } as u16))
}

/// ipset's ICMP (IPv4) type names: (name, type, code).
const ICMP: &[(&str, u8, u8)] = &[
    ("echo-reply", 0, 0),
    ("pong", 0, 0),
    ("network-unreachable", 3, 0),
    ("host-unreachable", 3, 1),
    ("protocol-unreachable", 3, 2),
    ("port-unreachable", 3, 3),
    ("fragmentation-needed", 3, 4),
    ("source-route-failed", 3, 5),
    ("network-unknown", 3, 6),
    ("host-unknown", 3, 7),
    ("network-prohibited", 3, 9),
    ("host-prohibited", 3, 10),
    ("TOS-network-unreachable", 3, 11),
    ("TOS-host-unreachable", 3, 12),
    ("communication-prohibited", 3, 13),
    ("host-precedence-violation", 3, 14),
    ("precedence-cutoff", 3, 15),
    ("source-quench", 4, 0),
    ("network-redirect", 5, 0),
    ("host-redirect", 5, 1),
    ("TOS-network-redirect", 5, 2),
    ("TOS-host-redirect", 5, 3),
    ("echo-request", 8, 0),
    ("ping", 8, 0),
    ("router-advertisement", 9, 0),
    ("router-solicitation", 10, 0),
    ("ttl-zero-during-transit", 11, 0),
    ("ttl-zero-during-reassembly", 11, 1),
    ("ip-header-bad", 12, 0),
    ("required-option-missing", 12, 1),
    ("timestamp-request", 13, 0),
    ("timestamp-reply", 14, 0),
    ("address-mask-request", 17, 0),
    ("address-mask-reply", 18, 0),
];

/// ipset's ICMPv6 type names (the misspelt "neigbour" forms are ipset's too).
const ICMPV6: &[(&str, u8, u8)] = &[
    ("no-route", 1, 0),
    ("communication-prohibited", 1, 1),
    ("address-unreachable", 1, 3),
    ("port-unreachable", 1, 4),
    ("packet-too-big", 2, 0),
    ("ttl-zero-during-transit", 3, 0),
    ("ttl-zero-during-reassembly", 3, 1),
    ("bad-header", 4, 0),
    ("unknown-header-type", 4, 1),
    ("unknown-option", 4, 2),
    ("echo-request", 128, 0),
    ("ping", 128, 0),
    ("echo-reply", 129, 0),
    ("pong", 129, 0),
    ("router-solicitation", 133, 0),
    ("router-advertisement", 134, 0),
    ("neighbour-solicitation", 135, 0),
    ("neigbour-solicitation", 135, 0),
    ("neighbour-advertisement", 136, 0),
    ("neigbour-advertisement", 136, 0),
    ("redirect", 137, 0),
];

/// An ICMP or ICMPv6 type/code as the element's port value (`type << 8 | code`): a name
/// (unique prefixes allowed, as ipset does) or `TYPE/CODE`.
pub fn icmp_type_code(text: &str, v6: bool) -> Result<u16, String> {
    let table = if v6 { ICMPV6 } else { ICMP };
    let family = if v6 { "ICMPv6" } else { "ICMP" };
    let matches: Vec<&(&str, u8, u8)> = table
        .iter()
        .filter(|(name, _, _)| {
            name.len() >= text.len() && name[..text.len()].eq_ignore_ascii_case(text)
        })
        .collect();
    let exact = matches
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(text));
    if let Some((_, kind, code)) = exact.or(matches.first().filter(|_| matches.len() == 1)) {
        return Ok(u16::from(*kind) << 8 | u16::from(*code));
    }
    let (kind, code) = text
        .split_once('/')
        .ok_or_else(|| format!("cannot parse '{text}' as an {family} type/code"))?;
    let byte = |s: &str| {
        s.parse::<u8>()
            .map_err(|_| format!("cannot parse '{text}' as an {family} type/code"))
    };
    Ok(u16::from(byte(kind)?) << 8 | u16::from(byte(code)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_system_tables() {
        assert_eq!(protocol("tcp"), Ok(6));
        assert_eq!(protocol("17"), Ok(17));
        assert_eq!(protocol("icmpv6"), Ok(58));
        assert!(protocol("nosuchproto").is_err());
        assert_eq!(port("80", 6), Ok(80));
        assert_eq!(port("smtp", 6), Ok(25));
        assert_eq!(port("[ftp-data]", 6), Ok(20));
        assert!(port("nosuchservice", 6).is_err());
    }

    #[test]
    fn icmp_names_and_numbers() {
        assert_eq!(icmp_type_code("echo-request", false), Ok(8 << 8));
        assert_eq!(icmp_type_code("echo-request", true), Ok(128 << 8));
        assert_eq!(icmp_type_code("3/1", false), Ok(3 << 8 | 1));
        assert!(icmp_type_code("bogus", false).is_err());
    }
}
