//! Set elements and create options: parsed from `ipset` command-line syntax, encoded into the
//! nested `IPSET_ATTR_DATA` attribute.

use super::protocol::{IPSET_FLAG_NOMATCH, NFPROTO_IPV4, NFPROTO_IPV6, data, ipaddr};
use super::protocol::{
    IPSET_FLAG_WITH_COMMENT, IPSET_FLAG_WITH_COUNTERS, IPSET_FLAG_WITH_FORCEADD,
    IPSET_FLAG_WITH_SKBINFO,
};
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
}

impl Element {
    /// An IPv4/IPv6 address element (the common case in generated workloads).
    pub fn ip(address: IpAddr) -> Element {
        Element {
            ip: Some(address),
            ..Element::default()
        }
    }

    /// Parses `text` (e.g. "10.0.0.1,tcp:80") and its trailing option words.
    pub fn parse(set_type: &SetType, text: &str, options: &[String]) -> Result<Element, String> {
        let mut element = Element::default();
        let fields: Vec<&str> = text.split(',').collect();
        if fields.len() != set_type.components.len() {
            return Err(format!(
                "element '{text}' has {} comma-separated fields but {} takes {}",
                fields.len(),
                set_type.name,
                set_type.components.len()
            ));
        }
        let mut addresses_seen = 0;
        for (field, component) in fields.iter().zip(&set_type.components) {
            match component {
                Component::Ip | Component::Net => {
                    let (ip, ip_to, cidr) = parse_address(field)?;
                    if addresses_seen == 0 {
                        (element.ip, element.ip_to, element.cidr) = (Some(ip), ip_to, cidr);
                    } else {
                        (element.ip2, element.ip2_to, element.cidr2) = (Some(ip), ip_to, cidr);
                    }
                    addresses_seen += 1;
                }
                Component::Port => {
                    let (proto, port, port_to) = parse_port(field)?;
                    // bitmap:port takes bare ports (as the ipset tool sends them); the hash
                    // types carry the protocol too.
                    let proto = (!set_type.is_bitmap()).then_some(proto);
                    (element.proto, element.port, element.port_to) = (proto, Some(port), port_to);
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
            match word.as_str() {
                "timeout" => {
                    element.timeout = Some(parse_number(&value("number of seconds")?, "timeout")?)
                }
                "nomatch" => element.nomatch = true,
                "comment" => element.comment = Some(value("text")?),
                "packets" => element.packets = Some(parse_number(&value("number")?, "packets")?),
                "bytes" => element.bytes = Some(parse_number(&value("number")?, "bytes")?),
                "before" | "after" if set_type.is_list() => {
                    element.before = word == "before";
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
        for (kind, counter) in [(data::PACKETS, self.packets), (data::BYTES, self.bytes)] {
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
    pub cadt_flags: u32,
}

impl CreateOptions {
    pub fn ipv4() -> CreateOptions {
        CreateOptions {
            family: NFPROTO_IPV4,
            ..CreateOptions::default()
        }
    }

    /// Parses the words after `create NAME TYPE`.
    pub fn parse(set_type: &SetType, options: &[String]) -> Result<CreateOptions, String> {
        let mut o = CreateOptions::ipv4();
        if set_type.is_list() {
            o.family = super::protocol::NFPROTO_UNSPEC;
        }
        let mut words = options.iter();
        while let Some(word) = words.next() {
            let mut value = |what: &str| option_value(&mut words, word, what);
            match word.as_str() {
                "family" => {
                    o.family = match value("family (inet or inet6)")?.as_str() {
                        "inet" | "ipv4" => NFPROTO_IPV4,
                        "inet6" | "ipv6" => NFPROTO_IPV6,
                        other => {
                            return Err(format!(
                                "unknown family '{other}' (expected inet or inet6)"
                            ));
                        }
                    }
                }
                "hashsize" => o.hashsize = Some(parse_number(&value("number")?, "hashsize")?),
                "maxelem" => o.maxelem = Some(parse_number(&value("number")?, "maxelem")?),
                "bucketsize" => o.bucketsize = Some(parse_number(&value("number")?, "bucketsize")?),
                "timeout" => {
                    o.timeout = Some(parse_number(&value("number of seconds")?, "timeout")?)
                }
                "netmask" => o.netmask = Some(parse_number(&value("prefix length")?, "netmask")?),
                "markmask" => o.markmask = Some(parse_number(&value("number")?, "markmask")?),
                "size" => o.size = Some(parse_number(&value("number")?, "size")?),
                "range" => {
                    let range = value("range")?;
                    if set_type.components.first() == Some(&Component::Port) {
                        let (_, from, to) = parse_port(&range)?;
                        o.port_from = Some(from);
                        o.port_to = Some(to.unwrap_or(from));
                    } else {
                        let (from, to, cidr) = parse_address(&range)?;
                        (o.range_from, o.range_to, o.range_cidr) = (Some(from), to, cidr);
                    }
                }
                "counters" => o.cadt_flags |= IPSET_FLAG_WITH_COUNTERS,
                "comment" => o.cadt_flags |= IPSET_FLAG_WITH_COMMENT,
                "forceadd" => o.cadt_flags |= IPSET_FLAG_WITH_FORCEADD,
                "skbinfo" => o.cadt_flags |= IPSET_FLAG_WITH_SKBINFO,
                // Shown by `ipset save` for information; not a create option of the kernel.
                "initval" => {
                    value("number")?;
                }
                other => return Err(format!("unknown create option '{other}'")),
            }
        }
        Ok(o)
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
        w.nest_end(nest);
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

/// "a", "a/n" or "a-b".
fn parse_address(text: &str) -> Result<(IpAddr, Option<IpAddr>, Option<u8>), String> {
    let bad = |what: &str| format!("'{text}' is not {what}");
    if let Some((ip, prefix)) = text.split_once('/') {
        let ip: IpAddr = ip.parse().map_err(|_| bad("an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| bad("a valid prefix"))?;
        return Ok((ip, None, Some(prefix)));
    }
    if let Some((from, to)) = text.split_once('-') {
        let from: IpAddr = from.parse().map_err(|_| bad("an IP address range"))?;
        let to: IpAddr = to.parse().map_err(|_| bad("an IP address range"))?;
        return Ok((from, Some(to), None));
    }
    Ok((text.parse().map_err(|_| bad("an IP address"))?, None, None))
}

/// "[proto:]port[-port]"; protocol names tcp, udp, sctp, udplite (default tcp).
fn parse_port(text: &str) -> Result<(u8, u16, Option<u16>), String> {
    let (proto, ports) = match text.rsplit_once(':') {
        Some((proto, ports)) => (proto, ports),
        None => ("tcp", text),
    };
    let proto = match proto {
        "tcp" => libc::IPPROTO_TCP as u8,
        "udp" => libc::IPPROTO_UDP as u8,
        "sctp" => libc::IPPROTO_SCTP as u8,
        "udplite" => libc::IPPROTO_UDPLITE as u8,
        other => {
            return Err(format!(
                "unsupported protocol '{other}' in '{text}' (tcp, udp, sctp, udplite)"
            ));
        }
    };
    let number = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("'{text}' is not a port number (0-65535)"))
    };
    match ports.split_once('-') {
        Some((from, to)) => Ok((proto, number(from)?, Some(number(to)?))),
        None => Ok((proto, number(ports)?, None)),
    }
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
        let e = Element::parse(&t, "10.0.0.1,udp:53", &words("timeout 5")).unwrap();
        assert_eq!(e.ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!((e.proto, e.port, e.timeout), (Some(17), Some(53), Some(5)));
        let t = SetType::parse("hash:net").unwrap();
        let e = Element::parse(&t, "10.1.0.0/16", &words("nomatch")).unwrap();
        assert_eq!((e.cidr, e.nomatch), (Some(16), true));
    }

    #[test]
    fn rejects_malformed_elements_with_reasons() {
        let t = SetType::parse("hash:ip,port").unwrap();
        assert!(
            Element::parse(&t, "10.0.0.1", &[])
                .unwrap_err()
                .contains("2")
        );
        assert!(
            Element::parse(&t, "10.0.0.1,tcp:99999", &[])
                .unwrap_err()
                .contains("port")
        );
        assert!(
            Element::parse(&t, "10.0.0.300,80", &[])
                .unwrap_err()
                .contains("IP address")
        );
        assert!(
            Element::parse(&t, "10.0.0.1,80", &words("timeout"))
                .unwrap_err()
                .contains("needs")
        );
        assert!(
            Element::parse(&t, "10.0.0.1,80", &words("frobnicate"))
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
        .unwrap();
        assert_eq!(o.family, NFPROTO_IPV6);
        assert_eq!(
            (o.hashsize, o.maxelem, o.timeout),
            (Some(1024), Some(65536), Some(0))
        );
        assert_eq!(o.cadt_flags, IPSET_FLAG_WITH_COUNTERS);
        assert!(CreateOptions::parse(&t, &words("family ipx")).is_err());
    }
}
