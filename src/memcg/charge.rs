//! Charging pages to a cgroup from a short-lived process.
//!
//! Pages are charged to the memory cgroup of the process that allocates them, so each cgroup
//! needs a process inside it. We `fork()` rather than spawn a helper (`posix_spawn` of
//! `/proc/self/exe` with a hidden subcommand): exec'ing a Rust binary costs about a
//! millisecond more per cgroup (a minute at 50,000 cgroups, and it would dominate the
//! build-up rate we report), and a helper subcommand would not exist in test binaries or for
//! library users. Forking a multi-threaded process is safe as long as the child only makes
//! async-signal-safe calls: it runs plain syscalls (open, write, close, _exit) on paths and a
//! payload prepared before the fork, allocates nothing and takes no locks.
//!
//! `vfork`/`CLONE_VM` would be faster still but cannot work: a child sharing our address
//! space charges its pages to the owner of that address space (us), not to its own cgroup.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// What the child was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeStep {
    Fork,
    /// Opening or writing `cgroup.procs` to move itself into the cgroup.
    JoinCgroup,
    CreateFile,
    WriteFile,
    /// The child died from a signal (`code` is the signal number).
    Killed,
}

/// Why a charge failed: the step and the errno (or signal). `Copy`, so reporting a failure
/// allocates nothing inside the timed region; the caller formats it afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeFailure {
    pub step: ChargeStep,
    pub code: i32,
}

impl std::fmt::Display for ChargeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = crate::netlink::errno_name(self.code);
        match self.step {
            ChargeStep::Fork => write!(f, "fork failed: {name}"),
            ChargeStep::JoinCgroup => {
                write!(f, "the charging process could not join the cgroup: {name}")
            }
            ChargeStep::CreateFile => {
                write!(f, "the charging process could not create its file: {name}")
            }
            ChargeStep::WriteFile => {
                write!(f, "the charging process could not write its file: {name}")
            }
            ChargeStep::Killed => {
                write!(f, "the charging process was killed by signal {}", self.code)
            }
        }
    }
}

/// Forks charging processes. Holds the payload and a pipe on which a failing child reports
/// its step and errno (the exit status has no room for both).
pub struct Charger {
    payload: Vec<u8>,
    report_read: OwnedFd,
    report_write: OwnedFd,
}

/// A failure report on the pipe: step code and errno, native-endian i32s (8 bytes, written
/// atomically since it is below PIPE_BUF).
const REPORT_LEN: usize = 8;

impl Charger {
    /// A charger whose children write `kib` KiB each.
    pub fn new(kib: usize) -> std::io::Result<Charger> {
        // Non-zero bytes, written here, so the buffer's pages exist before the first fork
        // and the child never faults them in (they are shared copy-on-write, read-only).
        let payload = vec![0x6b_u8; kib * 1024];
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the two-element array we pass.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both fds are open and owned by nobody else.
        let (report_read, report_write) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(Charger {
            payload,
            report_read,
            report_write,
        })
    }

    /// Forks a child that writes "0" (itself) to `procs_file`, writes the payload to the new
    /// file `file` and exits; waits for it. Allocates nothing.
    pub fn charge(&self, procs_file: &CStr, file: &CStr) -> Result<(), ChargeFailure> {
        // SAFETY: the child only runs `charge_in_child`, which makes async-signal-safe
        // syscalls on memory that was prepared before the fork and ends in _exit.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(ChargeFailure {
                step: ChargeStep::Fork,
                code: last_errno(),
            });
        }
        if pid == 0 {
            // SAFETY: see above; this never returns.
            unsafe {
                charge_in_child(
                    procs_file,
                    file,
                    &self.payload,
                    self.report_write.as_raw_fd(),
                )
            }
        }
        let status = wait_for(pid);
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            return Ok(());
        }
        if libc::WIFSIGNALED(status) {
            return Err(ChargeFailure {
                step: ChargeStep::Killed,
                code: libc::WTERMSIG(status),
            });
        }
        Err(self.read_report())
    }

    fn read_report(&self) -> ChargeFailure {
        let mut report = [0u8; REPORT_LEN];
        // SAFETY: reads at most REPORT_LEN bytes into our array.
        let n = unsafe {
            libc::read(
                self.report_read.as_raw_fd(),
                report.as_mut_ptr().cast(),
                REPORT_LEN,
            )
        };
        if n != REPORT_LEN as isize {
            return ChargeFailure {
                step: ChargeStep::Killed,
                code: 0,
            };
        }
        let step = match i32::from_ne_bytes(report[..4].try_into().expect("4 bytes")) {
            1 => ChargeStep::JoinCgroup,
            2 => ChargeStep::CreateFile,
            _ => ChargeStep::WriteFile,
        };
        ChargeFailure {
            step,
            code: i32::from_ne_bytes(report[4..].try_into().expect("4 bytes")),
        }
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Waits for `pid`, retrying on EINTR; the raw wait status.
fn wait_for(pid: libc::pid_t) -> libc::c_int {
    let mut status = 0;
    // SAFETY: waitpid writes the status into our integer.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        if last_errno() != libc::EINTR {
            return 0x7f00; // "exited 127": treated as a failure without a report
        }
    }
    status
}

/// The child: join the cgroup, write the payload, exit. Only raw syscalls from here on.
///
/// # Safety
/// Must only be called in a freshly forked child; never returns.
unsafe fn charge_in_child(
    procs_file: &CStr,
    file: &CStr,
    payload: &[u8],
    report_fd: libc::c_int,
) -> ! {
    // SAFETY (whole body): raw syscalls on NUL-terminated paths and a payload that stay
    // valid in the child's copy of our memory; errno is read through libc's accessor.
    unsafe {
        let fail = |step: i32| -> ! {
            let errno = *libc::__errno_location();
            let mut report = [0u8; REPORT_LEN];
            report[..4].copy_from_slice(&step.to_ne_bytes());
            report[4..].copy_from_slice(&errno.to_ne_bytes());
            libc::write(report_fd, report.as_ptr().cast(), REPORT_LEN);
            libc::_exit(1)
        };
        // Drop every inherited descriptor but the report pipe, above all the run's lock: a
        // child that outlives a killed kcanary must not keep the run looking alive.
        if report_fd > 3 {
            libc::syscall(libc::SYS_close_range, 3u32, (report_fd - 1) as u32, 0u32);
        }
        libc::syscall(
            libc::SYS_close_range,
            (report_fd + 1) as u32,
            u32::MAX,
            0u32,
        );
        let procs = libc::open(procs_file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        // "0" means "the writing process" for cgroup.procs on v1 and v2 alike.
        if procs < 0 || libc::write(procs, b"0".as_ptr().cast(), 1) != 1 {
            fail(1);
        }
        libc::close(procs);
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let out = libc::open(file.as_ptr(), flags, 0o600);
        if out < 0 {
            fail(2);
        }
        let mut written = 0;
        while written < payload.len() {
            let n = libc::write(
                out,
                payload[written..].as_ptr().cast(),
                payload.len() - written,
            );
            if n <= 0 {
                fail(3);
            }
            written += n as usize;
        }
        libc::_exit(0)
    }
}
