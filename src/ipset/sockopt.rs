//! Set look-ups by name through `getsockopt(SOL_IP, SO_IP_SET)`: what iptables does for every
//! `-m set` rule (twice per rule in `iptables-save`). The kernel scans the set table linearly.

use super::protocol::{
    IP_SET_OP_GET_FNAME, IP_SET_OP_VERSION, IPSET_MAXNAMELEN, IPSET_PROTOCOL, SO_IP_SET,
};
use crate::error::{KcanaryError, Result};
use crate::netlink::errno_name;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `struct ip_set_req_get_set_family` from the uapi header.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct GetSetFamilyRequest {
    op: u32,
    version: u32,
    family: u32,
    /// `union ip_set_name_index`: the name on input, the index (u16) on output.
    name_or_index: [u8; IPSET_MAXNAMELEN],
}

impl GetSetFamilyRequest {
    /// A request for `name`, built before timing so the timed call only copies 44 bytes.
    pub fn for_name(name: &str) -> GetSetFamilyRequest {
        let mut name_or_index = [0u8; IPSET_MAXNAMELEN];
        let len = name.len().min(IPSET_MAXNAMELEN - 1);
        name_or_index[..len].copy_from_slice(&name.as_bytes()[..len]);
        GetSetFamilyRequest {
            op: IP_SET_OP_GET_FNAME,
            version: u32::from(IPSET_PROTOCOL),
            family: 0,
            name_or_index,
        }
    }

    /// The set index the kernel returned (65535 = not found).
    pub fn index(&self) -> u16 {
        u16::from_ne_bytes([self.name_or_index[0], self.name_or_index[1]])
    }
}

/// A socket on which SO_IP_SET can be asked (like iptables, a raw IPv4 socket).
pub struct SetLookupSocket {
    fd: OwnedFd,
}

impl SetLookupSocket {
    pub fn open() -> Result<SetLookupSocket> {
        // SAFETY: plain socket(2) call; the returned fd is owned below.
        let fd = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_RAW,
            )
        };
        if fd < 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Err(KcanaryError::Permission(format!(
                "cannot open a raw socket for SO_IP_SET look-ups: {}",
                errno_name(errno)
            )));
        }
        // SAFETY: fd was just returned by socket(2) and is not owned elsewhere.
        let socket = SetLookupSocket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        };
        socket.check_version()?;
        Ok(socket)
    }

    /// Asks IP_SET_OP_VERSION once, as iptables does before its first look-up.
    fn check_version(&self) -> Result<()> {
        let mut request = [IP_SET_OP_VERSION, 0u32];
        let mut len = std::mem::size_of_val(&request) as libc::socklen_t;
        // SAFETY: request is a live 8-byte buffer matching struct ip_set_req_version.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_IP,
                SO_IP_SET,
                request.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc != 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Err(KcanaryError::Kernel(format!(
                "SO_IP_SET version query failed: {}",
                errno_name(errno)
            )));
        }
        Ok(())
    }

    /// One look-up; `request` is reused (the kernel overwrites the name with the index, so the
    /// caller passes a fresh copy of a pre-built request). Returns the errno on failure.
    #[inline]
    pub fn lookup(&self, request: &mut GetSetFamilyRequest) -> std::result::Result<(), i32> {
        let mut len = std::mem::size_of::<GetSetFamilyRequest>() as libc::socklen_t;
        // SAFETY: request points to a live repr(C) struct of exactly `len` bytes.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_IP,
                SO_IP_SET,
                (request as *mut GetSetFamilyRequest).cast(),
                &mut len,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        }
    }
}
