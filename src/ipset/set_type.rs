//! Set types ("hash:ip,port", "list:set", ...) and the element components they take.

/// One comma-separated field of an element, as the set type defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// An address, or a range `a-b` / prefix `a/n` that the kernel expands.
    Ip,
    /// A network `a/n` (or a range `a-b`).
    Net,
    /// `[proto:]port` or a port range `a-b`.
    Port,
    Mark,
    Iface,
    Mac,
    /// A member set of a list:set.
    SetName,
}

/// A set type name split into its storage method and element components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetType {
    /// As written: "hash:ip,port".
    pub name: String,
    /// "hash", "bitmap" or "list".
    pub method: String,
    pub components: Vec<Component>,
}

/// The set types Linux knows (net/netfilter/ipset/ip_set_*.c), as `ipset` names them.
pub const KERNEL_SET_TYPES: &[&str] = &[
    "bitmap:ip",
    "bitmap:ip,mac",
    "bitmap:port",
    "hash:ip",
    "hash:ip,mark",
    "hash:ip,mac",
    "hash:ip,port",
    "hash:ip,port,ip",
    "hash:ip,port,net",
    "hash:mac",
    "hash:net",
    "hash:net,iface",
    "hash:net,net",
    "hash:net,port",
    "hash:net,port,net",
    "list:set",
];

/// Accepts a type name the kernel has (a workload parameter check: an unknown type is bad
/// input before any kernel work, not a late IPSET_ERR_FIND_TYPE).
pub fn check_kernel_type(name: &str) -> Result<(), String> {
    if KERNEL_SET_TYPES.contains(&name) {
        return Ok(());
    }
    Err(format!(
        "unknown set type '{name}' (known: {})",
        KERNEL_SET_TYPES.join(", ")
    ))
}

/// The names ipset 1.x-4.x used, which `ipset` 7.17 still accepts for the current types.
const OLD_NAMES: &[(&str, &str)] = &[
    ("ipmap", "bitmap:ip"),
    ("macipmap", "bitmap:ip,mac"),
    ("portmap", "bitmap:port"),
    ("iphash", "hash:ip"),
    ("ipmachash", "hash:ip,mac"),
    ("ipmarkhash", "hash:ip,mark"),
    ("ipporthash", "hash:ip,port"),
    ("ipportiphash", "hash:ip,port,ip"),
    ("ipportnethash", "hash:ip,port,net"),
    ("machash", "hash:mac"),
    ("nethash", "hash:net"),
    ("netifacehash", "hash:net,iface"),
    ("netnethash", "hash:net,net"),
    ("netporthash", "hash:net,port"),
    ("netportnethash", "hash:net,port,net"),
    ("setlist", "list:set"),
];

impl SetType {
    /// Parses a type name the kernel has, or its old name (`iphash`); errors name the
    /// unknown part.
    pub fn parse(name: &str) -> Result<SetType, String> {
        let name = OLD_NAMES
            .iter()
            .find(|(old, _)| *old == name)
            .map_or(name, |(_, current)| current);
        if name.contains(':') && !KERNEL_SET_TYPES.contains(&name) {
            return Err(format!(
                "unknown set type '{name}' (known: {})",
                KERNEL_SET_TYPES.join(", ")
            ));
        }
        let (method, fields) = name.split_once(':').ok_or_else(|| {
            format!("set type '{name}' must look like method:fields, e.g. hash:ip")
        })?;
        if !matches!(method, "hash" | "bitmap" | "list") {
            return Err(format!(
                "unknown set type '{name}': method must be hash, bitmap or list"
            ));
        }
        let components = fields
            .split(',')
            .map(|field| match field {
                "ip" => Ok(Component::Ip),
                "net" => Ok(Component::Net),
                "port" => Ok(Component::Port),
                "mark" => Ok(Component::Mark),
                "iface" => Ok(Component::Iface),
                "mac" => Ok(Component::Mac),
                "set" if method == "list" => Ok(Component::SetName),
                other => Err(format!(
                    "unknown set type '{name}': no element field '{other}'"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SetType {
            name: name.to_string(),
            method: method.to_string(),
            components,
        })
    }

    pub fn is_list(&self) -> bool {
        self.method == "list"
    }

    pub fn is_bitmap(&self) -> bool {
        self.method == "bitmap"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_types_and_rejects_others() {
        let t = SetType::parse("hash:ip,port,net").unwrap();
        assert_eq!(
            t.components,
            vec![Component::Ip, Component::Port, Component::Net]
        );
        assert!(SetType::parse("list:set").unwrap().is_list());
        assert!(
            SetType::parse("hash:bogus")
                .unwrap_err()
                .contains("unknown set type 'hash:bogus'")
        );
        assert_eq!(SetType::parse("iphash").unwrap().name, "hash:ip");
        assert_eq!(SetType::parse("setlist").unwrap().name, "list:set");
        assert!(
            SetType::parse("tree:ip")
                .unwrap_err()
                .contains("unknown set type")
        );
        assert!(SetType::parse("hash").is_err());
    }
}
