//! A netlink socket that sends pre-encoded requests and matches replies by sequence number.
//!
//! The receive buffer is allocated once; a request/ack round trip allocates nothing, so it can
//! sit inside a timed region.

use super::errno::{KernelError, SubsystemErrorNames};
use super::reply::{ReplyMessage, messages};
use netlink_sys::{Socket, SocketAddr};

/// Big enough for any single datagram the kernel sends us (dumps use at most 32 KiB skbs).
const RECEIVE_BUFFER_BYTES: usize = 1 << 20;
/// Socket buffer sizes we ask for; the kernel caps them at rmem_max/wmem_max unless we are
/// allowed the FORCE variants.
const SOCKET_BUFFER_BYTES: usize = 8 << 20;

pub struct NetlinkSocket {
    socket: Socket,
    receive_buffer: Vec<u8>,
    sequence: u32,
    names: SubsystemErrorNames,
    /// The largest datagram `sendmsg` accepts on this socket (the kernel refuses anything over
    /// sk_sndbuf - 32 with EMSGSIZE).
    max_send_bytes: usize,
}

/// What a batch produced: the requests that failed, by sequence number.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub errors: Vec<(u32, KernelError)>,
}

impl NetlinkSocket {
    /// Opens and binds a socket of netlink `protocol` (e.g. `NETLINK_NETFILTER`).
    pub fn open(protocol: isize, names: SubsystemErrorNames) -> Result<NetlinkSocket, KernelError> {
        let os_error = |e: std::io::Error| {
            KernelError::new(
                e.raw_os_error().unwrap_or(0),
                names,
                Some(format!("netlink socket: {e}")),
            )
        };
        let mut socket = Socket::new(protocol).map_err(os_error)?;
        socket.bind_auto().map_err(os_error)?;
        socket.connect(&SocketAddr::new(0, 0)).map_err(os_error)?;
        // Errors carry the kernel's explanation, and acks do not echo the whole request.
        let _ = socket.set_ext_ack(true);
        let _ = socket.set_cap_ack(true);
        grow_buffer(&socket, libc::SO_SNDBUFFORCE, libc::SO_SNDBUF);
        grow_buffer(&socket, libc::SO_RCVBUFFORCE, libc::SO_RCVBUF);
        let send_buffer = read_int_option(&socket, libc::SO_SNDBUF).unwrap_or(212_992);
        Ok(NetlinkSocket {
            socket,
            receive_buffer: Vec::with_capacity(RECEIVE_BUFFER_BYTES),
            sequence: std::process::id().wrapping_mul(7919),
            names,
            max_send_bytes: send_buffer.saturating_sub(64).max(4096),
        })
    }

    /// A fresh sequence number for the next request.
    pub fn next_sequence(&mut self) -> u32 {
        self.sequence = self.sequence.wrapping_add(1);
        self.sequence
    }

    /// The largest batch (in bytes) one `send` may carry.
    pub fn max_batch_bytes(&self) -> usize {
        self.max_send_bytes
    }

    /// Sends one request (which must carry `NLM_F_ACK`) and waits for its ack.
    /// Allocates nothing unless the kernel reports an error.
    pub fn request(&mut self, request: &[u8], sequence: u32) -> Result<(), KernelError> {
        self.send(request)?;
        self.wait_for_ack(sequence, &mut |_, _| {})?
    }

    /// Sends several requests in one datagram. Requests without `NLM_F_ACK` only answer when
    /// they fail; the last one must carry `NLM_F_ACK` with `last_sequence`, so its ack tells
    /// us the kernel has processed the whole batch (netlink handles a datagram synchronously,
    /// message after message, and goes on after a failed one).
    pub fn batch(
        &mut self,
        requests: &[u8],
        last_sequence: u32,
    ) -> Result<BatchOutcome, KernelError> {
        self.send(requests)?;
        let mut outcome = BatchOutcome::default();
        let names = self.names;
        let last = self.wait_for_ack(last_sequence, &mut |sequence, error| {
            outcome
                .errors
                .push((sequence, error.into_kernel_error(names)));
        })?;
        if let Err(error) = last {
            outcome.errors.push((last_sequence, error));
        }
        Ok(outcome)
    }

    /// Sends a dump request and hands every reply message to `on_message` until NLMSG_DONE.
    pub fn dump(
        &mut self,
        request: &[u8],
        sequence: u32,
        mut on_message: impl FnMut(&ReplyMessage),
    ) -> Result<(), KernelError> {
        self.send(request)?;
        loop {
            self.receive()?;
            let buffer = std::mem::take(&mut self.receive_buffer);
            let mut finished = None;
            for message in messages(&buffer) {
                if message.sequence != sequence {
                    continue;
                }
                if message.is_done() {
                    finished = Some(Ok(()));
                } else if message.is_error() {
                    let code = message.error_code();
                    finished = Some(if code == 0 {
                        Ok(())
                    } else {
                        Err(KernelError::new(
                            code,
                            self.names,
                            message.extended_ack_message(true),
                        ))
                    });
                } else {
                    on_message(&message);
                }
            }
            self.receive_buffer = buffer;
            if let Some(result) = finished {
                return result;
            }
        }
    }

    fn send(&self, bytes: &[u8]) -> Result<(), KernelError> {
        match self.socket.send(bytes, 0) {
            Ok(sent) if sent == bytes.len() => Ok(()),
            Ok(sent) => Err(KernelError::new(
                libc::EMSGSIZE,
                self.names,
                Some(format!(
                    "netlink send wrote {sent} of {} bytes",
                    bytes.len()
                )),
            )),
            Err(e) => Err(KernelError::new(
                e.raw_os_error().unwrap_or(0),
                self.names,
                Some(format!("netlink send of {} bytes", bytes.len())),
            )),
        }
    }

    /// Receives one datagram into the reused buffer.
    fn receive(&mut self) -> Result<(), KernelError> {
        self.receive_buffer.clear();
        match self.socket.recv(&mut self.receive_buffer, 0) {
            Ok(n) if n > RECEIVE_BUFFER_BYTES => Err(KernelError::new(
                libc::EMSGSIZE,
                self.names,
                Some(format!("reply of {n} bytes truncated")),
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(KernelError::new(
                e.raw_os_error().unwrap_or(0),
                self.names,
                Some(
                    "netlink receive (ENOBUFS means the replies overflowed the socket buffer)"
                        .into(),
                ),
            )),
        }
    }

    /// Reads until the ack (or error) for `sequence` arrives; errors for other sequence numbers
    /// of the same batch go to `on_other_error` as (code, extended-ack text). The outer result
    /// is the socket's, the inner one the kernel's answer to the request.
    fn wait_for_ack(
        &mut self,
        sequence: u32,
        on_other_error: &mut dyn FnMut(u32, ErrorReply),
    ) -> Result<Result<(), KernelError>, KernelError> {
        loop {
            self.receive()?;
            let mut result = None;
            for message in messages(&self.receive_buffer) {
                if !message.is_error() {
                    continue;
                }
                let code = message.error_code();
                if message.sequence == sequence {
                    result = Some(if code == 0 {
                        Ok(())
                    } else {
                        Err(ErrorReply::of(&message).into_kernel_error(self.names))
                    });
                } else if code != 0 {
                    on_other_error(message.sequence, ErrorReply::of(&message));
                }
            }
            if let Some(result) = result {
                return Ok(result);
            }
        }
    }
}

/// What an error reply said, before it is named: code, extended-ack text, echoed request.
struct ErrorReply {
    code: i32,
    message: Option<String>,
    echoed_request: Option<Vec<u8>>,
}

impl ErrorReply {
    fn of(message: &ReplyMessage) -> ErrorReply {
        ErrorReply {
            code: message.error_code(),
            message: message.extended_ack_message(true),
            echoed_request: message.echoed_request().map(<[u8]>::to_vec),
        }
    }

    fn into_kernel_error(self, names: SubsystemErrorNames) -> KernelError {
        let mut error = KernelError::new(self.code, names, self.message);
        error.echoed_request = self.echoed_request;
        error
    }
}

/// Asks for big socket buffers: the FORCE option (needs CAP_NET_ADMIN in the initial user
/// namespace) and, failing that, the ordinary one capped by the sysctl.
fn grow_buffer(socket: &Socket, force_option: libc::c_int, option: libc::c_int) {
    use std::os::fd::AsRawFd;
    let size = SOCKET_BUFFER_BYTES as libc::c_int;
    let set = |opt| {
        // SAFETY: valid fd, pointer to a live c_int with its correct size.
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                &size as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        }
    };
    if set(force_option) != 0 {
        set(option);
    }
}

fn read_int_option(socket: &Socket, option: libc::c_int) -> Option<usize> {
    use std::os::fd::AsRawFd;
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: valid fd, pointers to live locals of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            &mut value as *mut libc::c_int as *mut libc::c_void,
            &mut len,
        )
    };
    (rc == 0).then_some(value as usize)
}
