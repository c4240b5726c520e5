//! A generic-netlink socket bound to the IPVS family: family resolution through nlctrl, and the
//! untimed conveniences (one request, one dump) that set-up, checks and tests use. Timed loops
//! pre-encode with `request` and call `socket()` directly.

use super::dump::{DumpedService, IpvsInfo, parse_dest, parse_info, parse_service};
use super::message::{Destination, Service, ServiceKey};
use super::protocol::{FAMILY_NAME, genl_attributes, genl_header, nlctrl};
use super::request;
use crate::netlink::errno::no_private_names;
use crate::netlink::reply::attributes;
use crate::netlink::{KernelError, MessageWriter, NetlinkSocket};
use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST};

const NETLINK_GENERIC: isize = libc::NETLINK_GENERIC as isize;

/// The kernel has no "IPVS" generic-netlink family (IP_VS not built in, module not loaded).
pub const NO_IPVS: &str = "kernel has no IP_VS";

pub struct IpvsClient {
    socket: NetlinkSocket,
    family: u16,
    writer: MessageWriter,
}

/// Why a client could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// nlctrl does not know "IPVS".
    NoIpvs,
    Kernel(KernelError),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::NoIpvs => f.write_str(NO_IPVS),
            ConnectError::Kernel(e) => write!(f, "generic netlink: {e}"),
        }
    }
}

impl From<ConnectError> for crate::error::KcanaryError {
    fn from(e: ConnectError) -> Self {
        crate::error::KcanaryError::Kernel(e.to_string())
    }
}

/// Asks nlctrl for the message type of the generic-netlink family `name`; `Ok(None)` when the
/// kernel has no such family (nlctrl answers ENOENT).
pub fn resolve_family(socket: &mut NetlinkSocket, name: &str) -> Result<Option<u16>, KernelError> {
    let mut writer = MessageWriter::with_capacity(64);
    let sequence = socket.next_sequence();
    writer.begin(
        nlctrl::FAMILY_ID,
        NLM_F_REQUEST | NLM_F_ACK,
        sequence,
        &genl_header(nlctrl::CMD_GETFAMILY, nlctrl::VERSION),
    );
    writer.attr_str(nlctrl::ATTR_FAMILY_NAME, name);
    writer.end();
    let mut family = None;
    let result = socket.dump(writer.bytes(), sequence, |message| {
        family = attributes(genl_attributes(message.payload))
            .find(|a| a.kind() == nlctrl::ATTR_FAMILY_ID)
            .and_then(|a| {
                a.value()
                    .get(0..2)
                    .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            });
    });
    match result {
        Ok(()) => Ok(family),
        Err(e) if e.code == libc::ENOENT => Ok(None),
        Err(e) => Err(e),
    }
}

impl IpvsClient {
    /// Opens a generic-netlink socket in the calling thread's network namespace and resolves
    /// the IPVS family.
    pub fn connect() -> Result<IpvsClient, ConnectError> {
        let mut socket =
            NetlinkSocket::open(NETLINK_GENERIC, no_private_names).map_err(ConnectError::Kernel)?;
        let family = resolve_family(&mut socket, FAMILY_NAME).map_err(ConnectError::Kernel)?;
        let family = family.ok_or(ConnectError::NoIpvs)?;
        Ok(IpvsClient {
            socket,
            family,
            writer: MessageWriter::with_capacity(4096),
        })
    }

    /// The message type of the IPVS family in this kernel.
    pub fn family(&self) -> u16 {
        self.family
    }

    pub fn socket(&mut self) -> &mut NetlinkSocket {
        &mut self.socket
    }

    /// Encodes one request with `encode(writer, family, sequence)` and waits for its ack.
    fn one(
        &mut self,
        encode: impl FnOnce(&mut MessageWriter, u16, u32),
    ) -> Result<(), KernelError> {
        let sequence = self.socket.next_sequence();
        self.writer.clear();
        encode(&mut self.writer, self.family, sequence);
        self.socket.request(self.writer.bytes(), sequence)
    }

    pub fn add_service(&mut self, service: &Service) -> Result<(), KernelError> {
        self.one(|w, f, s| request::new_service(w, f, s, service))
    }

    pub fn del_service(&mut self, key: &ServiceKey) -> Result<(), KernelError> {
        self.one(|w, f, s| request::del_service(w, f, s, key))
    }

    pub fn add_dest(
        &mut self,
        key: &ServiceKey,
        destination: &Destination,
    ) -> Result<(), KernelError> {
        self.one(|w, f, s| request::new_dest(w, f, s, key, destination))
    }

    pub fn zero(&mut self) -> Result<(), KernelError> {
        self.one(|w, f, s| request::zero(w, f, s, None))
    }

    pub fn flush(&mut self) -> Result<(), KernelError> {
        self.one(request::flush)
    }

    /// Every service in this namespace. A message we cannot parse is an error (`EPROTO`):
    /// silently skipping it would make count checks pass wrongly.
    pub fn services(&mut self) -> Result<Vec<DumpedService>, KernelError> {
        let sequence = self.socket.next_sequence();
        self.writer.clear();
        request::dump_services(&mut self.writer, self.family, sequence);
        let mut services = Vec::new();
        let mut unreadable = 0usize;
        self.socket.dump(
            self.writer.bytes(),
            sequence,
            |message| match parse_service(message.payload) {
                Some(service) => services.push(service),
                None => unreadable += 1,
            },
        )?;
        unparsed(unreadable, "service")?;
        Ok(services)
    }

    /// The real servers of one service.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<Destination>, KernelError> {
        let sequence = self.socket.next_sequence();
        self.writer.clear();
        request::dump_dests(&mut self.writer, self.family, sequence, key);
        let mut destinations = Vec::new();
        let mut unreadable = 0usize;
        let family = key.address_family();
        self.socket.dump(self.writer.bytes(), sequence, |message| {
            match parse_dest(message.payload, family) {
                Some(destination) => destinations.push(destination),
                None => unreadable += 1,
            }
        })?;
        unparsed(unreadable, "real server")?;
        Ok(destinations)
    }

    pub fn info(&mut self) -> Result<IpvsInfo, KernelError> {
        let sequence = self.socket.next_sequence();
        self.writer.clear();
        request::get_info(&mut self.writer, self.family, sequence);
        let mut info = None;
        self.socket.dump(self.writer.bytes(), sequence, |message| {
            info = parse_info(message.payload)
        })?;
        info.ok_or_else(|| {
            KernelError::new(
                libc::EPROTO,
                no_private_names,
                Some("GET_INFO reply without version".into()),
            )
        })
    }
}

fn unparsed(count: usize, what: &str) -> Result<(), KernelError> {
    if count == 0 {
        return Ok(());
    }
    Err(KernelError::new(
        libc::EPROTO,
        no_private_names,
        Some(format!("{count} {what} messages could not be parsed")),
    ))
}
