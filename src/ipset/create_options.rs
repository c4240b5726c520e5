//! Options of `ipset create`, as `ipset` 7.17 reads them, encoded into the create request's
//! `IPSET_ATTR_DATA` nest.

use super::element::encode_ip_opt;
use super::protocol::{
    IPSET_FLAG_WITH_COMMENT, IPSET_FLAG_WITH_COUNTERS, IPSET_FLAG_WITH_FORCEADD,
    IPSET_FLAG_WITH_SKBINFO, NFPROTO_IPV4, NFPROTO_IPV6, data,
};
use super::restore_file::option_name;
use super::set_type::SetType;
use super::values::{option_value, parse_address, parse_number, parse_port};
use crate::netlink::MessageWriter;
use std::net::IpAddr;

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
