//! Single values in `ipset` syntax: addresses (with the short IPv4 forms), `[proto:]port`
//! with names, marks, MAC addresses, numbers, and the word after an option.

use super::names;
use super::protocol::NFPROTO_IPV6;
use std::net::IpAddr;

/// The word after option `word` ("timeout 5"), or why it is missing.
pub(super) fn option_value(
    words: &mut std::slice::Iter<String>,
    word: &str,
    what: &str,
) -> Result<String, String> {
    words
        .next()
        .cloned()
        .ok_or_else(|| format!("option '{word}' needs a {what}"))
}

/// "a", "a/n" or "a-b" in `family`. IPv4 takes the short forms ipset (through the C
/// library) takes: `192.168.0` is 192.168.0.0, `0` is 0.0.0.0.
pub(super) fn parse_address(
    text: &str,
    family: u8,
) -> Result<(IpAddr, Option<IpAddr>, Option<u8>), String> {
    let bad = |what: &str| format!("'{text}' is not {what}");
    if let Some((ip, prefix)) = text.split_once('/') {
        let ip = parse_ip(ip, family).ok_or_else(|| bad("an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| bad("a valid prefix"))?;
        return Ok((ip, None, Some(prefix)));
    }
    // IPv6 addresses hold no '-', so the first one separates a range.
    if let Some((from, to)) = text.split_once('-') {
        let from = parse_ip(from, family).ok_or_else(|| bad("an IP address range"))?;
        let to = parse_ip(to, family).ok_or_else(|| bad("an IP address range"))?;
        return Ok((from, Some(to), None));
    }
    Ok((
        parse_ip(text, family).ok_or_else(|| bad("an IP address"))?,
        None,
        None,
    ))
}

unsafe extern "C" {
    /// glibc's IPv4 text parser, which takes the short forms (`10.1`, `0`) ipset accepts.
    fn inet_aton(text: *const libc::c_char, address: *mut libc::in_addr) -> libc::c_int;
}

/// One address of `family` (IPv4 when unspecified).
fn parse_ip(text: &str, family: u8) -> Option<IpAddr> {
    if family == NFPROTO_IPV6 {
        return text.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let c = std::ffi::CString::new(text).ok()?;
    let mut address = libc::in_addr { s_addr: 0 };
    // SAFETY: inet_aton reads a NUL-terminated string and writes one in_addr.
    let ok = unsafe { inet_aton(c.as_ptr(), &mut address) };
    (ok != 0).then(|| IpAddr::V4(std::net::Ipv4Addr::from(u32::from_be(address.s_addr))))
}

/// "[proto:]port[-port]": a protocol name or number, then ports or service names for TCP,
/// UDP, SCTP and UDPlite, an ICMP type name or TYPE/CODE for ICMP(v6), and 0 for others.
pub(super) fn parse_port(text: &str, family: u8) -> Result<(u8, u16, Option<u16>), String> {
    let (proto, ports) = match text.split_once(':') {
        Some((proto, ports)) => (names::protocol(proto)?, ports),
        None => (libc::IPPROTO_TCP as u8, text),
    };
    match i32::from(proto) {
        libc::IPPROTO_TCP | libc::IPPROTO_UDP | libc::IPPROTO_SCTP | libc::IPPROTO_UDPLITE => {
            // A range's '-' is the first one outside brackets ("[ftp-data]-[smtp]").
            let split = split_port_range(ports);
            let from = names::port(split.0, proto)?;
            let to = split.1.map(|to| names::port(to, proto)).transpose()?;
            Ok((proto, from, to))
        }
        libc::IPPROTO_ICMP if family == NFPROTO_IPV6 => {
            Err("protocol ICMP can be used with family inet only".into())
        }
        libc::IPPROTO_ICMPV6 if family != NFPROTO_IPV6 => {
            Err("protocol ICMPv6 can be used with family inet6 only".into())
        }
        libc::IPPROTO_ICMP | libc::IPPROTO_ICMPV6 => Ok((
            proto,
            names::icmp_type_code(ports, family == NFPROTO_IPV6)?,
            None,
        )),
        _ if ports == "0" => Ok((proto, 0, None)),
        _ => Err(format!(
            "protocol '{text}' can be used with pseudo port value 0 only"
        )),
    }
}

fn split_port_range(ports: &str) -> (&str, Option<&str>) {
    let mut depth = 0;
    for (i, c) in ports.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '-' if depth == 0 && i > 0 => return (&ports[..i], Some(&ports[i + 1..])),
            _ => {}
        }
    }
    (ports, None)
}

/// `0xMARK[/0xMASK]` as `mark << 32 | mask` (mask 0xffffffff when left out).
pub(super) fn parse_skbmark(text: &str) -> Result<u64, String> {
    let bad = || format!("invalid skbmark '{text}' (MARK/MASK or MARK, in hex)");
    let hex = |s: &str| {
        s.strip_prefix("0x")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(bad)
    };
    let (mark, mask) = match text.split_once('/') {
        Some((mark, mask)) => (hex(mark)?, hex(mask)?),
        None => (hex(text)?, u32::MAX),
    };
    Ok(u64::from(mark) << 32 | u64::from(mask))
}

/// `MAJOR:MINOR` (hex) as `major << 16 | minor`.
pub(super) fn parse_skbprio(text: &str) -> Result<u32, String> {
    let bad = || format!("invalid skbprio '{text}' (MAJOR:MINOR)");
    let (major, minor) = text.split_once(':').ok_or_else(bad)?;
    let major = u32::from_str_radix(major, 16).map_err(|_| bad())?;
    let minor = u32::from_str_radix(minor, 16).map_err(|_| bad())?;
    Ok(major << 16 | (minor & 0xffff))
}

pub(super) fn parse_mac(text: &str) -> Result<[u8; 6], String> {
    let mut mac = [0u8; 6];
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return Err(format!("'{text}' is not a MAC address"));
    }
    for (byte, part) in mac.iter_mut().zip(parts) {
        *byte =
            u8::from_str_radix(part, 16).map_err(|_| format!("'{text}' is not a MAC address"))?;
    }
    Ok(mac)
}

pub(super) fn parse_number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    let parsed = if let Some(hex) = text.strip_prefix("0x") {
        u64::from_str_radix(hex, 16)
            .ok()
            .and_then(|v| v.to_string().parse().ok())
    } else {
        text.parse().ok()
    };
    parsed.ok_or_else(|| format!("{what} '{text}' is not a valid number"))
}
