//! Fresh network namespaces, one per repetition.
//!
//! `unshare(CLONE_NEWNET)` moves only the calling thread, so each workload runs on its own
//! thread that unshares first: the main thread never leaves the host namespace, and when the
//! thread ends (or the process is killed, even with SIGKILL) the namespace loses its last
//! reference and the kernel destroys it with every set and service in it. Nothing is
//! bind-mounted, so nothing can be left behind.

use crate::error::{KcanaryError, Result};
use nix::sched::{CloneFlags, unshare};

/// Runs `work` on a new thread inside a new, empty network namespace and returns its result.
/// The thread is scoped, so `work` may borrow from the caller (e.g. the progress display).
pub fn in_fresh_netns<T, F>(work: F) -> Result<T>
where
    T: Send,
    F: FnOnce() -> Result<T> + Send,
{
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kcanary-netns".into())
            .spawn_scoped(scope, move || {
                enter_fresh_netns()?;
                work()
            })
            .map_err(|e| KcanaryError::Io(format!("cannot start workload thread: {e}")))?
            .join()
            .map_err(|_| KcanaryError::Io("workload thread panicked".into()))?
    })
}

/// Moves the calling thread into a new network namespace.
pub fn enter_fresh_netns() -> Result<()> {
    unshare(CloneFlags::CLONE_NEWNET).map_err(|errno| {
        KcanaryError::Permission(format!(
            "cannot create a network namespace (unshare(CLONE_NEWNET): {}). kcanary needs root \
             or CAP_SYS_ADMIN; without them run it as `unshare -Urn kcanary ...` (ipset \
             workloads work in an unprivileged user namespace)",
            crate::netlink::errno_name(errno as i32)
        ))
    })?;
    bring_up_loopback()
}

/// A new namespace's `lo` is down; probes and IPVS need it up. A plain ioctl suffices.
fn bring_up_loopback() -> Result<()> {
    let socket = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Inet,
        nix::sys::socket::SockType::Datagram,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| KcanaryError::Io(format!("socket for loopback setup: {e}")))?;
    // SAFETY: ifreq is plain data; we pass a valid, zero-initialised struct with the
    // interface name set, and the fd is valid for the duration of the calls.
    unsafe {
        use std::os::fd::AsRawFd;
        let mut request: libc::ifreq = std::mem::zeroed();
        for (dst, src) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) < 0 {
            return Err(KcanaryError::Io("SIOCGIFFLAGS on lo failed".into()));
        }
        request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) < 0 {
            return Err(KcanaryError::Io("SIOCSIFFLAGS on lo failed".into()));
        }
    }
    Ok(())
}

/// The inode of the calling thread's network namespace (to prove isolation in tests).
pub fn current_netns_inode() -> Result<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/thread-self/ns/net")
        .map(|m| m.ino())
        .map_err(|e| KcanaryError::Io(format!("cannot stat /proc/thread-self/ns/net: {e}")))
}
