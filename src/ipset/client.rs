//! An ipset session over one nfnetlink socket: typed operations for setting up and checking
//! workloads, and direct access to the socket for timed loops over pre-encoded requests.

use super::dump::{SetListing, parse_list_message};
use super::element::{CreateOptions, Element};
use super::errors::ipset_error_name;
use super::message::{self, Ack, Exist};
use super::protocol::{Command, attr};
use crate::netlink::reply::attributes;
use crate::netlink::{EncodedRequests, KernelError, MessageWriter, NetlinkSocket, SendFailure};

/// Elements per ADD message when loading sets: large enough to amortise the syscall, small
/// enough to stay far below the socket's send buffer.
const ELEMENTS_PER_MESSAGE: usize = 512;

pub struct IpsetSession {
    pub socket: NetlinkSocket,
    pub writer: MessageWriter,
    revisions: Vec<(String, u8, u8)>,
}

impl IpsetSession {
    /// Opens an nfnetlink socket in the calling thread's network namespace.
    pub fn open() -> Result<IpsetSession, KernelError> {
        Ok(IpsetSession {
            socket: NetlinkSocket::open(libc::NETLINK_NETFILTER as isize, ipset_error_name)?,
            writer: MessageWriter::with_capacity(1 << 16),
            revisions: Vec::new(),
        })
    }

    /// The newest revision of `type_name` this kernel has (IPSET_CMD_TYPE, cached).
    /// `IPSET_ERR_FIND_TYPE` when the kernel lacks the type.
    pub fn revision(&mut self, type_name: &str, family: u8) -> Result<u8, KernelError> {
        if let Some((_, _, revision)) = self
            .revisions
            .iter()
            .find(|(t, f, _)| t == type_name && *f == family)
        {
            return Ok(*revision);
        }
        self.writer.clear();
        let sequence = self.socket.next_sequence();
        message::type_query(&mut self.writer, sequence, type_name, family);
        let mut revision = None;
        self.socket.dump(self.writer.bytes(), sequence, |reply| {
            if reply.message_type == Command::Type.message_type() {
                let attrs = reply.payload.get(4..).unwrap_or_default();
                revision = attributes(attrs)
                    .find(|a| a.kind() == attr::REVISION)
                    .and_then(|a| a.value().first().copied());
            }
        })?;
        let revision = revision.ok_or_else(|| {
            KernelError::new(
                4098,
                ipset_error_name,
                Some(format!("no revision reported for {type_name}")),
            )
        })?;
        self.revisions
            .push((type_name.to_string(), family, revision));
        Ok(revision)
    }

    /// Creates one set and waits for the ack.
    pub fn create(
        &mut self,
        set: &str,
        type_name: &str,
        options: &CreateOptions,
        exist: Exist,
    ) -> Result<(), KernelError> {
        let revision = self.revision(type_name, options.family)?;
        self.one(|w, seq| {
            message::create(
                w,
                seq,
                set,
                type_name,
                revision,
                options,
                exist,
                Ack::Always,
            )
        })
    }

    /// Creates many sets of one type, batched; fails on the first kernel error.
    pub fn create_many(
        &mut self,
        sets: &[String],
        type_name: &str,
        options: &CreateOptions,
    ) -> Result<(), KernelError> {
        let revision = self.revision(type_name, options.family)?;
        let mut encoded = EncodedRequests::with_capacity(sets.len(), 96);
        for set in sets {
            encoded.push(&mut self.socket, |w, seq| {
                message::create(
                    w,
                    seq,
                    set,
                    type_name,
                    revision,
                    options,
                    Exist::Fail,
                    Ack::Always,
                )
            });
        }
        encoded
            .try_batched(&mut self.socket)
            .map(drop)
            .map_err(kernel_error)
    }

    /// Adds elements to a set, many per message and many messages per datagram.
    pub fn add(
        &mut self,
        set: &str,
        elements: &[Element],
        exist: Exist,
    ) -> Result<(), KernelError> {
        let mut encoded =
            EncodedRequests::with_capacity(elements.len().div_ceil(ELEMENTS_PER_MESSAGE), 16_384);
        for (i, chunk) in elements.chunks(ELEMENTS_PER_MESSAGE).enumerate() {
            let lineno = (i * ELEMENTS_PER_MESSAGE) as u32 + 1;
            encoded.push(&mut self.socket, |w, seq| {
                message::add_or_del(w, seq, Command::Add, set, chunk, lineno, exist, Ack::Always)
            });
        }
        encoded
            .try_batched(&mut self.socket)
            .map(drop)
            .map_err(kernel_error)
    }

    pub fn swap(&mut self, first: &str, second: &str) -> Result<(), KernelError> {
        self.one(|w, seq| message::swap(w, seq, first, second, Ack::Always))
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), KernelError> {
        self.one(|w, seq| message::rename(w, seq, from, to, Ack::Always))
    }

    pub fn flush(&mut self, set: Option<&str>) -> Result<(), KernelError> {
        self.one(|w, seq| message::flush(w, seq, set, Ack::Always))
    }

    pub fn destroy(&mut self, set: Option<&str>, exist: Exist) -> Result<(), KernelError> {
        self.one(|w, seq| message::destroy(w, seq, set, exist, Ack::Always))
    }

    /// Lists one set or all, with elements (IPSET_CMD_LIST dump).
    pub fn list(&mut self, set: Option<&str>) -> Result<Vec<SetListing>, KernelError> {
        self.writer.clear();
        let sequence = self.socket.next_sequence();
        message::list(&mut self.writer, sequence, set, false);
        let mut listings: Vec<SetListing> = Vec::new();
        self.socket.dump(self.writer.bytes(), sequence, |reply| {
            if reply.message_type == Command::List.message_type() {
                parse_list_message(reply.payload, &mut listings);
            }
        })?;
        Ok(listings)
    }

    /// Names of all sets in this namespace (header-only dump).
    pub fn set_names(&mut self) -> Result<Vec<String>, KernelError> {
        self.writer.clear();
        let sequence = self.socket.next_sequence();
        message::list(&mut self.writer, sequence, None, true);
        let mut listings: Vec<SetListing> = Vec::new();
        self.socket.dump(self.writer.bytes(), sequence, |reply| {
            if reply.message_type == Command::List.message_type() {
                parse_list_message(reply.payload, &mut listings);
            }
        })?;
        Ok(listings.into_iter().map(|l| l.name).collect())
    }

    fn one(&mut self, encode: impl FnOnce(&mut MessageWriter, u32)) -> Result<(), KernelError> {
        self.writer.clear();
        let sequence = self.socket.next_sequence();
        encode(&mut self.writer, sequence);
        self.socket.request(self.writer.bytes(), sequence)
    }
}

/// Setup has no use for which request failed: the kernel's error says enough.
fn kernel_error(failure: SendFailure) -> KernelError {
    match failure {
        SendFailure::Request { error, .. } | SendFailure::Socket(error) => error,
    }
}
