//! Creating a veth pair across two network namespaces and addressing it, over rtnetlink with the
//! shared netlink layer. Three small requests do not justify netlink-packet-route (another
//! crate version to keep in step with netlink-packet-core 0.9); the shared `MessageWriter`
//! encodes them and `NetlinkSocket` reports kernel errors by name.

use crate::error::{KcanaryError, Result};
use crate::netlink::errno::no_private_names;
use crate::netlink::{MessageWriter, NetlinkSocket};
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use std::net::Ipv4Addr;
use std::os::fd::RawFd;

const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;
const IFLA_IFNAME: u16 = 3;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const IFLA_NET_NS_FD: u16 = 28;
const VETH_INFO_PEER: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;

/// `struct ifinfomsg`: family, pad, type, index, flags, change (16 bytes).
fn ifinfomsg(index: i32, flags: u32, change: u32) -> [u8; 16] {
    let mut header = [0u8; 16];
    header[4..8].copy_from_slice(&index.to_ne_bytes());
    header[8..12].copy_from_slice(&flags.to_ne_bytes());
    header[12..16].copy_from_slice(&change.to_ne_bytes());
    header
}

/// An rtnetlink socket in the calling thread's network namespace.
pub struct Rtnetlink {
    socket: NetlinkSocket,
    writer: MessageWriter,
}

fn kernel(what: &str) -> impl Fn(crate::netlink::KernelError) -> KcanaryError + '_ {
    move |e| KcanaryError::Kernel(format!("{what}: {e}"))
}

impl Rtnetlink {
    pub fn open() -> Result<Rtnetlink> {
        let socket = NetlinkSocket::open(libc::NETLINK_ROUTE as isize, no_private_names)
            .map_err(kernel("rtnetlink socket"))?;
        Ok(Rtnetlink {
            socket,
            writer: MessageWriter::with_capacity(512),
        })
    }

    fn send(&mut self, what: &str) -> Result<()> {
        let sequence = self.sequence_of_last();
        self.socket
            .request(self.writer.bytes(), sequence)
            .map_err(kernel(what))
    }

    fn sequence_of_last(&self) -> u32 {
        let b = &self.writer.bytes()[8..12];
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Creates veth `name` here with its peer `peer_name` in the namespace open as `peer_netns`.
    pub fn create_veth(&mut self, name: &str, peer_name: &str, peer_netns: RawFd) -> Result<()> {
        // The peer's value is an ifinfomsg followed by attributes; encode those separately.
        let mut peer_attributes = MessageWriter::with_capacity(64);
        peer_attributes.attr_str(IFLA_IFNAME, peer_name);
        peer_attributes.attr_u32(IFLA_NET_NS_FD, peer_netns as u32);
        let mut peer = ifinfomsg(0, 0, 0).to_vec();
        peer.extend_from_slice(peer_attributes.bytes());

        let sequence = self.socket.next_sequence();
        self.writer.clear();
        let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        self.writer
            .begin(RTM_NEWLINK, flags, sequence, &ifinfomsg(0, 0, 0));
        self.writer.attr_str(IFLA_IFNAME, name);
        let link_info = self.writer.nest_begin(IFLA_LINKINFO);
        self.writer.attr_str(IFLA_INFO_KIND, "veth");
        let data = self.writer.nest_begin(IFLA_INFO_DATA);
        self.writer.attr_bytes(VETH_INFO_PEER, &peer);
        self.writer.nest_end(data);
        self.writer.nest_end(link_info);
        self.writer.end();
        self.send(&format!("creating veth pair {name}/{peer_name}"))
    }

    /// Adds `address/prefix` to interface `name` and sets it up.
    pub fn address_and_up(&mut self, name: &str, address: Ipv4Addr, prefix: u8) -> Result<()> {
        let index = interface_index(name)?;
        let sequence = self.socket.next_sequence();
        self.writer.clear();
        let mut header = [0u8; 8];
        header[0] = libc::AF_INET as u8;
        header[1] = prefix;
        header[4..8].copy_from_slice(&index.to_ne_bytes());
        self.writer.begin(
            RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            sequence,
            &header,
        );
        self.writer.attr_bytes(IFA_LOCAL, &address.octets());
        self.writer.attr_bytes(IFA_ADDRESS, &address.octets());
        self.writer.end();
        self.send(&format!("adding {address}/{prefix} to {name}"))?;

        let sequence = self.socket.next_sequence();
        self.writer.clear();
        let up = libc::IFF_UP as u32;
        self.writer.begin(
            RTM_NEWLINK,
            NLM_F_REQUEST | NLM_F_ACK,
            sequence,
            &ifinfomsg(index as i32, up, up),
        );
        self.writer.end();
        self.send(&format!("setting {name} up"))
    }
}

/// The index of interface `name` in the calling thread's namespace.
pub fn interface_index(name: &str) -> Result<u32> {
    let c_name = std::ffi::CString::new(name)
        .map_err(|_| KcanaryError::Usage(format!("bad interface name {name}")))?;
    // SAFETY: a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
    if index == 0 {
        return Err(KcanaryError::Kernel(format!(
            "no interface {name} in this namespace"
        )));
    }
    Ok(index)
}
