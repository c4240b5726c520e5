//! Set elements: parsed from `ipset` command-line syntax, encoded into the nested
//! `IPSET_ATTR_DATA` attribute. Create options are in `create_options.rs`, the syntax of single
//! values (addresses, ports, marks) in `values.rs`.

pub use super::create_options::{CreateOptions, ParsedCreate};
use super::protocol::{IPSET_FLAG_NOMATCH, data, ipaddr};
use super::restore_file::option_name;
use super::set_type::{Component, SetType};
use super::values::{
    option_value, parse_address, parse_mac, parse_number, parse_port, parse_skbmark, parse_skbprio,
};
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

/// Writes an address, when present, as the nested IPADDR_IPV4/IPV6 attribute ipset expects.
pub(super) fn encode_ip_opt(w: &mut MessageWriter, kind: u16, ip: Option<IpAddr>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipset::protocol::{IPSET_FLAG_WITH_COUNTERS, NFPROTO_IPV4, NFPROTO_IPV6};

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
