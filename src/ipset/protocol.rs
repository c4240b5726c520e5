//! ipset's netlink protocol numbers, from the kernel's `include/uapi/linux/netfilter/ipset/
//! ip_set.h`. Kept here because Debian 12's headers are older than the kernels we test.

/// nfnetlink subsystem id of ipset; the message type is `(SUBSYS << 8) | command`.
pub const NFNL_SUBSYS_IPSET: u16 = 6;
/// Protocol version sent in every request (kernels accept 6..=7).
pub const IPSET_PROTOCOL: u8 = 7;
pub const IPSET_MAXNAMELEN: usize = 32;

/// Commands (`enum ipset_cmd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Command {
    Protocol = 1,
    Create = 2,
    Destroy = 3,
    Flush = 4,
    Rename = 5,
    Swap = 6,
    List = 7,
    Save = 8,
    Add = 9,
    Del = 10,
    Test = 11,
    Header = 12,
    Type = 13,
}

impl Command {
    pub fn message_type(self) -> u16 {
        (NFNL_SUBSYS_IPSET << 8) | self as u16
    }
}

/// Attributes at command level.
pub mod attr {
    pub const PROTOCOL: u16 = 1;
    pub const SETNAME: u16 = 2;
    pub const TYPENAME: u16 = 3;
    /// The second name of rename and swap shares TYPENAME's number.
    pub const SETNAME2: u16 = 3;
    pub const REVISION: u16 = 4;
    pub const FAMILY: u16 = 5;
    pub const FLAGS: u16 = 6;
    pub const DATA: u16 = 7;
    pub const ADT: u16 = 8;
    pub const LINENO: u16 = 9;
    pub const PROTOCOL_MIN: u16 = 10;
    pub const REVISION_MIN: u16 = 10;
}

/// Attributes inside `DATA` (create options and element fields).
pub mod data {
    pub const IP: u16 = 1;
    pub const IP_TO: u16 = 2;
    pub const CIDR: u16 = 3;
    pub const PORT: u16 = 4;
    pub const PORT_TO: u16 = 5;
    pub const TIMEOUT: u16 = 6;
    pub const PROTO: u16 = 7;
    pub const CADT_FLAGS: u16 = 8;
    pub const LINENO: u16 = 9;
    pub const MARK: u16 = 10;
    pub const MARKMASK: u16 = 11;
    /// Create: the address mask of hash:ip, hash:net, hash:net,net (an address nest).
    pub const BITMASK: u16 = 12;
    pub const INITVAL: u16 = 17;
    pub const HASHSIZE: u16 = 18;
    pub const MAXELEM: u16 = 19;
    pub const NETMASK: u16 = 20;
    pub const BUCKETSIZE: u16 = 21;
    pub const RESIZE: u16 = 22;
    pub const SIZE: u16 = 23;
    pub const ELEMENTS: u16 = 24;
    pub const REFERENCES: u16 = 25;
    pub const MEMSIZE: u16 = 26;
    pub const ETHER: u16 = 17;
    pub const NAME: u16 = 18;
    pub const NAMEREF: u16 = 19;
    pub const IP2: u16 = 20;
    pub const CIDR2: u16 = 21;
    pub const IP2_TO: u16 = 22;
    pub const IFACE: u16 = 23;
    pub const BYTES: u16 = 24;
    pub const PACKETS: u16 = 25;
    pub const COMMENT: u16 = 26;
    pub const SKBMARK: u16 = 27;
    pub const SKBPRIO: u16 = 28;
    pub const SKBQUEUE: u16 = 29;
}

/// Attributes inside a nested IP address.
pub mod ipaddr {
    pub const IPV4: u16 = 1;
    pub const IPV6: u16 = 2;
}

/// `IPSET_FLAG_*` at command level.
pub const IPSET_FLAG_LIST_SETNAME: u32 = 1 << 1;
pub const IPSET_FLAG_LIST_HEADER: u32 = 1 << 2;
/// `IPSET_FLAG_*` at CADT level (element and create flags).
pub const IPSET_FLAG_NOMATCH: u32 = 1 << 2;
pub const IPSET_FLAG_WITH_COUNTERS: u32 = 1 << 3;
pub const IPSET_FLAG_WITH_COMMENT: u32 = 1 << 4;
pub const IPSET_FLAG_WITH_FORCEADD: u32 = 1 << 5;
pub const IPSET_FLAG_WITH_SKBINFO: u32 = 1 << 6;

/// Netfilter protocol families (`NFPROTO_*`) as ipset sends them.
pub const NFPROTO_UNSPEC: u8 = 0;
pub const NFPROTO_IPV4: u8 = 2;
pub const NFPROTO_IPV6: u8 = 10;

/// The 4-byte nfgenmsg that follows the netlink header. ipset always sends AF_INET here;
/// the set's real family travels in `IPSET_ATTR_FAMILY`.
pub const NFGENMSG_IPV4: [u8; 4] = [NFPROTO_IPV4, 0, 0, 0];

/// `SO_IP_SET` getsockopt (the iptables `-m set` name look-up path).
pub const SO_IP_SET: libc::c_int = 83;
pub const IP_SET_OP_VERSION: u32 = 0x100;
pub const IP_SET_OP_GET_BYNAME: u32 = 0x6;
pub const IP_SET_OP_GET_FNAME: u32 = 0x8;
pub const IPSET_INVALID_ID: u16 = 65535;
