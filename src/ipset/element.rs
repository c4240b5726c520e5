//! Set elements and create options: parsed from `ipset` command-line syntax, encoded into the
//! nested `IPSET_ATTR_DATA` attribute.

use super::names;
use super::protocol::{IPSET_FLAG_NOMATCH, NFPROTO_IPV4, NFPROTO_IPV6, data, ipaddr};
use super::protocol::{
    IPSET_FLAG_WITH_COMMENT, IPSET_FLAG_WITH_COUNTERS, IPSET_FLAG_WITH_FORCEADD,
    IPSET_FLAG_WITH_SKBINFO,
};
use super::restore_file::option_name;
use super::set_type::{Component, SetType};
use crate::netlink::MessageWriter;
use std::net::IpAddr;

/// One element of a set, with its per-element options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub ip: Option<IpAddr>,
    pub ip_to: Option<IpAddr>,
    pub cidr: Option<u8>,
    pub port: Option<u16>,
    pub port_to: Option<u16>,
    pub proto: Option<u8>,
    pub ip2: Option<IpAddr>,
    pub ip2_to: Option<IpAddr>,
    pub cidr2: Option<u8>,
    pub mark: Option<u32>,
    pub iface: Option<String>,
    pub ether: Option<[u8; 6]>,
    /// list:set member, and the `before`/`after` reference.
    pub name: Option<String>,
    pub nameref: Option<String>,
    pub before: bool,
    pub timeout: Option<u32>,
    pub nomatch: bool,
    pub comment: Option<String>,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
    /// skbinfo extension: `mark << 32 | mask`, priority `major << 16 | minor`, queue.
    pub skbmark: Option<u64>,
    pub skbprio: Option<u32>,
    pub skbqueue: Option<u16>,
}

impl Element {
    /// An IPv4/IPv6 address element (the common case in generated workloads).
    pub fn ip(address: IpAddr) -> Element {
        Element {
            ip: Some(address),
            ..Element::default()
        }
    }

    /// Parses `text` (e.g. "10.0.0.1,tcp:80") for a set of `set_type` and `family`, and its
    /// trailing option words, as `ipset` 7.17 reads them.
    pub fn parse(
        set_type: &SetType,
        family: u8,
        text: &str,
        options: &[String],
    ) -> Result<Element, String> {
        let mut element = Element::default();
        let mut fields: Vec<&str> = text.split(',').collect();
        // list:set's old form names the reference in the element: "a,before,b".
        if let [name, position @ ("before" | "after"), reference] = fields[..]
            && set_type.is_list()
        {
            element.before = position == "before";
            element.nameref = Some(reference.to_string());
            fields = vec![name];
        }
        // bitmap:ip,mac may leave out the MAC (the kernel fills it in from the first packet).
        let optional_last = set_type.name == "bitmap:ip,mac";
        let wanted = set_type.components.len();
        if fields.len() > wanted
            || (fields.len() < wanted && !(optional_last && fields.len() + 1 == wanted))
        {
            return Err(format!(
                "element '{text}' has {} comma-separated fields but {} takes {wanted}",
                fields.len(),
                set_type.name,
            ));
        }
        let mut addresses_seen = 0;
        for (field, component) in fields.iter().zip(&set_type.components) {
            match component {
                Component::Ip | Component::Net => {
                    let (ip, ip_to, cidr) = parse_address(field, family)?;
                    if addresses_seen == 0 {
                        (element.ip, element.ip_to, element.cidr) = (Some(ip), ip_to, cidr);
                    } else {
                        (element.ip2, element.ip2_to, element.cidr2) = (Some(ip), ip_to, cidr);
                    }
                    addresses_seen += 1;
                }
                Component::Port if set_type.is_bitmap() => {
                    // bitmap:port takes bare TCP ports or names (as the ipset tool sends them).
                    let (_, port, port_to) = parse_port(field, family)?;
                    (element.port, element.port_to) = (Some(port), port_to);
                }
                Component::Port => {
                    let (proto, port, port_to) = parse_port(field, family)?;
                    (element.proto, element.port, element.port_to) =
                        (Some(proto), Some(port), port_to);
                }
                Component::Mark => element.mark = Some(parse_number(field, "mark")?),
                Component::Iface => element.iface = Some(field.to_string()),
                Component::Mac => element.ether = Some(parse_mac(field)?),
                Component::SetName => element.name = Some(field.to_string()),
            }
        }
        let mut words = options.iter();
        while let Some(word) = words.next() {
            let mut value = |what: &str| option_value(&mut words, word, what);
            match option_name(word) {
                "timeout" => {
                    element.timeout = Some(parse_number(&value("number of seconds")?, "timeout")?)
                }
                "nomatch" => element.nomatch = true,
                "comment" => element.comment = Some(value("text")?),
                "packets" => element.packets = Some(parse_number(&value("number")?, "packets")?),
                "bytes" => element.bytes = Some(parse_number(&value("number")?, "bytes")?),
                "skbmark" => element.skbmark = Some(parse_skbmark(&value("MARK[/MASK]")?)?),
                "skbprio" => element.skbprio = Some(parse_skbprio(&value("MAJOR:MINOR")?)?),
                "skbqueue" => element.skbqueue = Some(parse_number(&value("number")?, "skbqueue")?),
                "before" | "after" if set_type.is_list() => {
                    element.before = option_name(word) == "before";
                    element.nameref = Some(value("set name")?);
                }
                other => return Err(format!("unknown element option '{other}'")),
            }
        }
        Ok(element)
    }

    /// Writes the `IPSET_ATTR_DATA` nest of an add/del/test request. `lineno` is echoed by
    /// the kernel in errors (ipset's restore uses the file line).
    pub fn encode(&self, w: &mut MessageWriter, lineno: u32) {
        let nest = w.nest_begin(super::protocol::attr::DATA);
        encode_ip_opt(w, data::IP, self.ip);
        encode_ip_opt(w, data::IP_TO, self.ip_to);
        w.attr_u8_opt(data::CIDR, self.cidr);
        w.attr_u16_be_opt(data::PORT, self.port);
        w.attr_u16_be_opt(data::PORT_TO, self.port_to);
        w.attr_u8_opt(data::PROTO, self.proto);
        encode_ip_opt(w, data::IP2, self.ip2);
        encode_ip_opt(w, data::IP2_TO, self.ip2_to);
        w.attr_u8_opt(data::CIDR2, self.cidr2);
        w.attr_u32_be_opt(data::MARK, self.mark);
        w.attr_str_opt(data::IFACE, self.iface.as_deref());
        if let Some(ether) = &self.ether {
            w.attr_bytes(data::ETHER, ether);
        }
        w.attr_str_opt(data::NAME, self.name.as_deref());
        w.attr_str_opt(data::NAMEREF, self.nameref.as_deref());
        w.attr_u32_be_opt(data::TIMEOUT, self.timeout);
        let cadt_flags = if self.nomatch { IPSET_FLAG_NOMATCH } else { 0 } | u32::from(self.before);
        w.attr_u32_be_opt(data::CADT_FLAGS, (cadt_flags != 0).then_some(cadt_flags));
        w.attr_str_opt(data::COMMENT, self.comment.as_deref());
        w.attr_u32_be_opt(data::SKBPRIO, self.skbprio);
        w.attr_u16_be_opt(data::SKBQUEUE, self.skbqueue);
        for (kind, counter) in [
            (data::PACKETS, self.packets),
            (data::BYTES, self.bytes),
            (data::SKBMARK, self.skbmark),
        ] {
            if let Some(counter) = counter {
                w.attr_bytes(
                    kind | netlink_packet_core::NLA_F_NET_BYTEORDER,
                    &counter.to_be_bytes(),
                );
            }
        }
        w.attr_u32_be(data::LINENO, lineno);
        w.nest_end(nest);
    }
}

/// Options of `ipset create`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateOptions {
    /// NFPROTO_IPV4 unless `family inet6`.
    pub family: u8,
    pub hashsize: Option<u32>,
    pub maxelem: Option<u32>,
    pub bucketsize: Option<u8>,
    pub timeout: Option<u32>,
    pub netmask: Option<u8>,
    pub markmask: Option<u32>,
    /// bitmap:ip `range a-b` or `a/n`; bitmap:port `range a-b`.
    pub range_from: Option<IpAddr>,
    pub range_to: Option<IpAddr>,
    pub range_cidr: Option<u8>,
    pub port_from: Option<u16>,
    pub port_to: Option<u16>,
    /// list:set size.
    pub size: Option<u32>,
    pub bitmask: Option<IpAddr>,
    pub initval: Option<u32>,
    pub cadt_flags: u32,
}

/// Create options and the warning `ipset` prints about them, if any (it then ends the
/// restore with exit status 0 after creating the set).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCreate {
    pub options: CreateOptions,
    pub warning: Option<String>,
}

impl CreateOptions {
    pub fn ipv4() -> CreateOptions {
        CreateOptions {
            family: NFPROTO_IPV4,
            ..CreateOptions::default()
        }
    }

    /// Parses the words after `create NAME TYPE`, as `ipset` 7.17 reads them: `--name` forms,
    /// `-4`/`-6`, and the old options it accepts with a warning (`probes`, `resize`, `gc`, and
    /// `from`/`to`/`network` on hash types), which `warning` names.
    pub fn parse(set_type: &SetType, options: &[String]) -> Result<ParsedCreate, String> {
        let mut o = CreateOptions::ipv4();
        let mut warning = None;
        if set_type.is_list() {
            o.family = super::protocol::NFPROTO_UNSPEC;
        }
        // The family comes first: addresses in other options are read in it.
        for (i, word) in options.iter().enumerate() {
            match option_name(word) {
                "-4" => o.family = NFPROTO_IPV4,
                "-6" => o.family = NFPROTO_IPV6,
                "family" => {
                    let family = options.get(i + 1).ok_or("option 'family' needs a value")?;
                    o.family = match family.as_str() {
                        "inet" | "ipv4" | "-4" => NFPROTO_IPV4,
                        "inet6" | "ipv6" | "-6" => NFPROTO_IPV6,
                        other => {
                            return Err(format!(
                                "unknown family '{other}' (expected inet or inet6)"
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        let family = o.family;
        let port_range = set_type.name == "bitmap:port";
        let ip_range = set_type.name.starts_with("bitmap:ip");
        let mut words = options.iter();
        while let Some(word) = words.next() {
            let mut value = |what: &str| option_value(&mut words, word, what);
            match option_name(word) {
                "-4" | "-6" => {}
                "family" => {
                    value("family")?;
                }
                "hashsize" => o.hashsize = Some(parse_number(&value("number")?, "hashsize")?),
                "maxelem" => o.maxelem = Some(parse_number(&value("number")?, "maxelem")?),
                "bucketsize" => o.bucketsize = Some(parse_number(&value("number")?, "bucketsize")?),
                "timeout" => {
                    o.timeout = Some(parse_number(&value("number of seconds")?, "timeout")?)
                }
                "netmask" => o.netmask = Some(parse_number(&value("prefix length")?, "netmask")?),
                "bitmask" => {
                    let (mask, _, _) = parse_address(&value("address mask")?, family)?;
                    o.bitmask = Some(mask);
                }
                "markmask" => o.markmask = Some(parse_number(&value("number")?, "markmask")?),
                "size" => o.size = Some(parse_number(&value("number")?, "size")?),
                "initval" => o.initval = Some(parse_number(&value("number")?, "initval")?),
                "range" if port_range => {
                    let (_, from, to) = parse_port(&value("port range")?, family)?;
                    o.port_from = Some(from);
                    o.port_to = Some(to.unwrap_or(from));
                }
                "range" => {
                    let (from, to, cidr) = parse_address(&value("address range")?, family)?;
                    (o.range_from, o.range_to, o.range_cidr) = (Some(from), to, cidr);
                }
                "from" | "to" if port_range => {
                    let (_, port, _) = parse_port(&value("port")?, family)?;
                    if option_name(word) == "from" {
                        o.port_from = Some(port);
                    } else {
                        o.port_to = Some(port);
                    }
                }
                "from" | "to" if ip_range => {
                    let (ip, _, _) = parse_address(&value("address")?, family)?;
                    if option_name(word) == "from" {
                        o.range_from = Some(ip);
                    } else {
                        o.range_to = Some(ip);
                    }
                }
                "network" if ip_range => {
                    let (ip, _, cidr) = parse_address(&value("network")?, family)?;
                    (o.range_from, o.range_cidr) = (Some(ip), cidr);
                }
                name if ignored_create_options(&set_type.name).contains(&name) => {
                    let ignored = value("value")?;
                    warning = Some(format!("option '--{name} {ignored}' is ignored"));
                }
                "counters" => o.cadt_flags |= IPSET_FLAG_WITH_COUNTERS,
                "comment" => o.cadt_flags |= IPSET_FLAG_WITH_COMMENT,
                "forceadd" => o.cadt_flags |= IPSET_FLAG_WITH_FORCEADD,
                "skbinfo" => o.cadt_flags |= IPSET_FLAG_WITH_SKBINFO,
                other => return Err(format!("unknown create option '{other}'")),
            }
        }
        Ok(ParsedCreate {
            options: o,
            warning,
        })
    }

    /// Writes the `IPSET_ATTR_DATA` nest of a create request.
    pub fn encode(&self, w: &mut MessageWriter) {
        let nest = w.nest_begin(super::protocol::attr::DATA);
        encode_ip_opt(w, data::IP, self.range_from);
        encode_ip_opt(w, data::IP_TO, self.range_to);
        w.attr_u8_opt(data::CIDR, self.range_cidr);
        w.attr_u16_be_opt(data::PORT, self.port_from);
        w.attr_u16_be_opt(data::PORT_TO, self.port_to);
        w.attr_u32_be_opt(data::TIMEOUT, self.timeout);
        w.attr_u32_be_opt(
            data::CADT_FLAGS,
            (self.cadt_flags != 0).then_some(self.cadt_flags),
        );
        w.attr_u32_be_opt(data::MARKMASK, self.markmask);
        w.attr_u32_be_opt(data::HASHSIZE, self.hashsize);
        w.attr_u32_be_opt(data::MAXELEM, self.maxelem);
        w.attr_u8_opt(data::NETMASK, self.netmask);
        w.attr_u8_opt(data::BUCKETSIZE, self.bucketsize);
        w.attr_u32_be_opt(data::SIZE, self.size);
        encode_ip_opt(w, data::BITMASK, self.bitmask);
        w.attr_u32_be_opt(data::INITVAL, self.initval);
        w.nest_end(nest);
    }
}

/// The old create options `ipset` 7.17 still takes for a type, ignoring them with a warning.
fn ignored_create_options(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "hash:ip" => &["probes", "resize", "gc"],
        "hash:net" => &["probes", "resize"],
        "hash:ip,mark" | "hash:ip,port" | "hash:ip,port,ip" | "hash:ip,port,net" => {
            &["probes", "resize", "from", "to", "network"]
        }
        _ => &[],
    }
}

/// Writes an address, when present, as the nested IPADDR_IPV4/IPV6 attribute ipset expects.
fn encode_ip_opt(w: &mut MessageWriter, kind: u16, ip: Option<IpAddr>) {
    let Some(ip) = ip else { return };
    let nest = w.nest_begin(kind);
    match ip {
        IpAddr::V4(v4) => w.attr_bytes(
            ipaddr::IPV4 | netlink_packet_core::NLA_F_NET_BYTEORDER,
            &v4.octets(),
        ),
        IpAddr::V6(v6) => w.attr_bytes(
            ipaddr::IPV6 | netlink_packet_core::NLA_F_NET_BYTEORDER,
            &v6.octets(),
        ),
    }
    w.nest_end(nest);
}

/// The word after option `word` ("timeout 5"), or why it is missing.
fn option_value(
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
fn parse_address(text: &str, family: u8) -> Result<(IpAddr, Option<IpAddr>, Option<u8>), String> {
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
fn parse_port(text: &str, family: u8) -> Result<(u8, u16, Option<u16>), String> {
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
fn parse_skbmark(text: &str) -> Result<u64, String> {
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
fn parse_skbprio(text: &str) -> Result<u32, String> {
    let bad = || format!("invalid skbprio '{text}' (MAJOR:MINOR)");
    let (major, minor) = text.split_once(':').ok_or_else(bad)?;
    let major = u32::from_str_radix(major, 16).map_err(|_| bad())?;
    let minor = u32::from_str_radix(minor, 16).map_err(|_| bad())?;
    Ok(major << 16 | (minor & 0xffff))
}

fn parse_mac(text: &str) -> Result<[u8; 6], String> {
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

fn parse_number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    let parsed = if let Some(hex) = text.strip_prefix("0x") {
        u64::from_str_radix(hex, 16)
            .ok()
            .and_then(|v| v.to_string().parse().ok())
    } else {
        text.parse().ok()
    };
    parsed.ok_or_else(|| format!("{what} '{text}' is not a valid number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_elements_by_set_type() {
        let t = SetType::parse("hash:ip,port").unwrap();
        let e = Element::parse(&t, NFPROTO_IPV4, "10.0.0.1,udp:53", &words("timeout 5")).unwrap();
        assert_eq!(e.ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!((e.proto, e.port, e.timeout), (Some(17), Some(53), Some(5)));
        let t = SetType::parse("hash:net").unwrap();
        let e = Element::parse(&t, NFPROTO_IPV4, "10.1.0.0/16", &words("nomatch")).unwrap();
        assert_eq!((e.cidr, e.nomatch), (Some(16), true));
    }

    #[test]
    fn rejects_malformed_elements_with_reasons() {
        let t = SetType::parse("hash:ip,port").unwrap();
        assert!(
            Element::parse(&t, NFPROTO_IPV4, "10.0.0.1", &[])
                .unwrap_err()
                .contains("2")
        );
        assert!(
            Element::parse(&t, NFPROTO_IPV4, "10.0.0.1,tcp:99999", &[])
                .unwrap_err()
                .contains("port")
        );
        assert!(
            Element::parse(&t, NFPROTO_IPV4, "10.0.0.300,80", &[])
                .unwrap_err()
                .contains("IP address")
        );
        assert!(
            Element::parse(&t, NFPROTO_IPV4, "10.0.0.1,80", &words("timeout"))
                .unwrap_err()
                .contains("needs")
        );
        assert!(
            Element::parse(&t, NFPROTO_IPV4, "10.0.0.1,80", &words("frobnicate"))
                .unwrap_err()
                .contains("frobnicate")
        );
    }

    #[test]
    fn create_options() {
        let t = SetType::parse("hash:ip").unwrap();
        let o = CreateOptions::parse(
            &t,
            &words("family inet6 hashsize 1024 maxelem 65536 timeout 0 counters"),
        )
        .unwrap()
        .options;
        assert_eq!(o.family, NFPROTO_IPV6);
        assert_eq!(
            (o.hashsize, o.maxelem, o.timeout),
            (Some(1024), Some(65536), Some(0))
        );
        assert_eq!(o.cadt_flags, IPSET_FLAG_WITH_COUNTERS);
        assert!(CreateOptions::parse(&t, &words("family ipx")).is_err());
        let legacy = CreateOptions::parse(&t, &words("--hashsize 128 -6 --probes 2")).unwrap();
        assert_eq!(legacy.options.family, NFPROTO_IPV6);
        assert_eq!(legacy.options.hashsize, Some(128));
        assert!(legacy.warning.unwrap().contains("probes"));
        let net = SetType::parse("hash:net,net").unwrap();
        assert!(CreateOptions::parse(&net, &words("probes 2")).is_err());
    }

    #[test]
    fn elements_in_ipset_syntax() {
        let t = SetType::parse("hash:ip,port").unwrap();
        let parse = |text: &str| Element::parse(&t, NFPROTO_IPV4, text, &[]);
        assert_eq!(parse("1.2.3.4,smtp").unwrap().port, Some(25));
        let icmp = parse("1.2.3.4,icmp:echo-request").unwrap();
        assert_eq!((icmp.proto, icmp.port), (Some(1), Some(8 << 8)));
        assert_eq!(parse("1.2.3.4,vrrp:0").unwrap().proto, Some(112));
        assert!(parse("1.2.3.4,vrrp:1").is_err());
        assert!(parse("1.2.3.4,ipv6-icmp:ping").is_err());
        let net = SetType::parse("hash:net").unwrap();
        let short = Element::parse(&net, NFPROTO_IPV4, "192.168.0/24", &[]).unwrap();
        assert_eq!(short.ip, Some("192.168.0.0".parse().unwrap()));
        assert!(Element::parse(&net, NFPROTO_IPV6, "1.2.3.4", &[]).is_err());
        let ipmac = SetType::parse("macipmap").unwrap();
        assert!(Element::parse(&ipmac, NFPROTO_IPV4, "1.2.3.4", &words("timeout 4")).is_ok());
        let skb = Element::parse(
            &SetType::parse("hash:ip").unwrap(),
            NFPROTO_IPV4,
            "1.2.3.4",
            &words("skbmark 0x1111/0xff00ffff skbprio 1:10 skbqueue 10"),
        )
        .unwrap();
        assert_eq!(skb.skbmark, Some(0x1111_ff00_ffff));
        assert_eq!((skb.skbprio, skb.skbqueue), (Some(0x1_0010), Some(10)));
    }
}
