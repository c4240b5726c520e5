//! IPVS objects: virtual services and their real servers, with ipvsadm's defaults.

use super::protocol::forward;
use std::net::IpAddr;

pub const AF_INET: u16 = libc::AF_INET as u16;
pub const AF_INET6: u16 = libc::AF_INET6 as u16;

/// The transport protocol of an address-based virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn number(self) -> u16 {
        match self {
            Protocol::Tcp => libc::IPPROTO_TCP as u16,
            Protocol::Udp => libc::IPPROTO_UDP as u16,
            Protocol::Sctp => libc::IPPROTO_SCTP as u16,
        }
    }

    pub fn from_number(number: u16) -> Option<Protocol> {
        [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
            .into_iter()
            .find(|p| p.number() == number)
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// What identifies a virtual service: protocol + VIP + port, or a firewall mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    Address {
        protocol: Protocol,
        address: IpAddr,
        port: u16,
    },
    FirewallMark {
        ipv6: bool,
        mark: u32,
    },
}

impl ServiceKey {
    pub fn address_family(&self) -> u16 {
        let ipv6 = match self {
            ServiceKey::Address { address, .. } => address.is_ipv6(),
            ServiceKey::FirewallMark { ipv6, .. } => *ipv6,
        };
        if ipv6 { AF_INET6 } else { AF_INET }
    }

    pub fn is_ipv6(&self) -> bool {
        self.address_family() == AF_INET6
    }
}

impl std::fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceKey::Address {
                protocol,
                address: IpAddr::V6(a),
                port,
            } => {
                write!(f, "{} [{a}]:{port}", protocol.name())
            }
            ServiceKey::Address {
                protocol,
                address,
                port,
            } => {
                write!(f, "{} {address}:{port}", protocol.name())
            }
            ServiceKey::FirewallMark { ipv6, mark } => {
                write!(f, "fwmark {mark}{}", if *ipv6 { " (IPv6)" } else { "" })
            }
        }
    }
}

/// A virtual service with its options, as `ipvsadm -A` creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub key: ServiceKey,
    /// Scheduler module name without the `ip_vs_` prefix ("rr", "wlc", ...).
    pub scheduler: String,
    /// `IP_VS_SVC_F_*` flags (persistent, one-packet, scheduler flags).
    pub flags: u32,
    /// Persistence timeout in seconds (0 without persistence).
    pub timeout_s: u32,
    /// Persistence netmask as the kernel stores it: the mask's octets for IPv4, a prefix length
    /// (host order) for IPv6.
    pub netmask: [u8; 4],
    /// Persistence engine ("sip"), rarely used.
    pub persistence_engine: Option<String>,
}

impl Service {
    /// A service with ipvsadm's defaults: no persistence, netmask /32 or /128.
    pub fn new(key: ServiceKey, scheduler: &str) -> Service {
        Service {
            key,
            scheduler: scheduler.to_string(),
            flags: 0,
            timeout_s: 0,
            netmask: default_netmask(key.is_ipv6()),
            persistence_engine: None,
        }
    }
}

/// ipvsadm's default persistence netmask: 255.255.255.255, or prefix length 128.
pub fn default_netmask(ipv6: bool) -> [u8; 4] {
    if ipv6 { 128u32.to_ne_bytes() } else { [255; 4] }
}

/// How a real server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardMethod {
    /// `-m`: NAT.
    Masquerade,
    /// `-g` (ipvsadm's default): direct routing.
    DirectRoute,
    /// `-i`: IP-in-IP tunnel.
    Tunnel,
    /// Local node (what the kernel reports for a local address).
    Local,
}

impl ForwardMethod {
    pub fn number(self) -> u32 {
        match self {
            ForwardMethod::Masquerade => forward::MASQ,
            ForwardMethod::DirectRoute => forward::DROUTE,
            ForwardMethod::Tunnel => forward::TUNNEL,
            ForwardMethod::Local => forward::LOCALNODE,
        }
    }

    pub fn from_number(number: u32) -> Option<ForwardMethod> {
        [
            ForwardMethod::Masquerade,
            ForwardMethod::DirectRoute,
            ForwardMethod::Tunnel,
            ForwardMethod::Local,
        ]
        .into_iter()
        .find(|m| m.number() == number & 7)
    }
}

/// A real server of a virtual service, as `ipvsadm -a` creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub address: IpAddr,
    pub port: u16,
    pub forward: ForwardMethod,
    pub weight: u32,
    pub upper_threshold: u32,
    pub lower_threshold: u32,
}

impl Destination {
    /// A real server with ipvsadm's defaults: direct routing, weight 1, no thresholds.
    pub fn new(address: IpAddr, port: u16) -> Destination {
        Destination {
            address,
            port,
            forward: ForwardMethod::DirectRoute,
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
        }
    }
}
