//! Boots one kernel + initramfs under `qemu-system-x86_64`, watches the console for panics
//! and the boot timeout, and collects the guest's framed outcome from the second serial port.

use super::console::{self, ConsoleFindings};
use super::protocol::{self, GuestOutcome};
use crate::results::ExecutionMode;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How QEMU executes the guest. Each mode is recorded as the results' execution mode; timings
/// of different modes are not comparable (TCG is ~10x slower per syscall than KVM, and icount
/// replaces wall time with instruction counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
    /// TCG with `-icount shift=0,sleep=off`: guest time follows executed instructions, so
    /// repeated runs agree closely. One vCPU (Debian 6.1 hangs bringing up a second one).
    TcgIcount,
}

impl Accel {
    pub fn execution_mode(self) -> ExecutionMode {
        match self {
            Accel::Kvm => ExecutionMode::QemuKvm,
            Accel::Tcg => ExecutionMode::QemuTcg,
            Accel::TcgIcount => ExecutionMode::QemuTcgIcount,
        }
    }

    fn qemu_args(self) -> Vec<&'static str> {
        match self {
            Accel::Kvm => vec!["-accel", "kvm", "-cpu", "host"],
            Accel::Tcg => vec!["-accel", "tcg"],
            Accel::TcgIcount => vec!["-accel", "tcg", "-icount", "shift=0,sleep=off"],
        }
    }
}

/// Whether /dev/kvm can be opened (the kernel may still fail under it: see the session's
/// fallback).
pub fn kvm_device_usable() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// The QEMU executable: $KCANARY_QEMU or `qemu-system-x86_64` from PATH.
fn qemu_binary() -> String {
    std::env::var("KCANARY_QEMU").unwrap_or_else(|_| "qemu-system-x86_64".into())
}

pub struct BootSpec<'a> {
    pub image: &'a Path,
    pub initramfs: &'a Path,
    pub accel: Accel,
    pub cpus: usize,
    pub memory_mib: u32,
    pub timeout: Duration,
    /// Stop early when our init has not started by then (used under KVM, where a kernel that
    /// cannot run hangs silently instead of failing).
    pub init_deadline: Option<Duration>,
    /// Kept for the user; also scanned for panics.
    pub console_log: PathBuf,
    /// What the guest wrote to ttyS1.
    pub results_capture: PathBuf,
}

/// A boot that delivered an outcome.
pub struct Boot {
    pub outcome: GuestOutcome,
    /// Host wall time from starting QEMU to its exit.
    pub wall: Duration,
    /// Host wall time from starting QEMU until the guest announced its first workload.
    pub to_first_workload: Option<Duration>,
    pub findings: ConsoleFindings,
}

/// Why a boot delivered nothing. `accel_suspect` is set when the kernel never reached our
/// init, which under KVM is how "this kernel does not run under this host's KVM" shows.
#[derive(Debug)]
pub struct BootFailure {
    pub message: String,
    pub accel_suspect: bool,
}

/// Kernel command line: serial console, reboot (= QEMU exit, with -no-reboot) right after a
/// panic, quiet so that printing to the emulated UART does not slow the boot, and
/// `guest-init` passed to /init (everything after `--` goes to init).
pub fn kernel_cmdline() -> String {
    "console=ttyS0 panic=-1 quiet rdinit=/init -- guest-init".to_string()
}

/// Boots the VM. `relay` receives the guest's own status lines (scenario started, skipped,
/// module failures) while it runs, so a long run shows progress.
pub fn boot(spec: &BootSpec, relay: &dyn Fn(&str)) -> Result<Boot, BootFailure> {
    let fail = |message: String, accel_suspect| BootFailure {
        message,
        accel_suspect,
    };
    for file in [&spec.console_log, &spec.results_capture] {
        let _ = std::fs::remove_file(file);
    }
    let cpus = if spec.accel == Accel::TcgIcount {
        1
    } else {
        spec.cpus
    };
    let mut command = Command::new(qemu_binary());
    command
        .args([
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-no-reboot",
        ])
        .args(spec.accel.qemu_args())
        .args([
            "-smp",
            &cpus.to_string(),
            "-m",
            &spec.memory_mib.to_string(),
        ])
        .arg("-kernel")
        .arg(spec.image)
        .arg("-initrd")
        .arg(spec.initramfs)
        .args(["-append", &kernel_cmdline()])
        .arg("-serial")
        .arg(format!("file:{}", spec.console_log.display()))
        .arg("-serial")
        .arg(format!("file:{}", spec.results_capture.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // If kcanary is killed (even with SIGKILL), QEMU must not run on unattended.
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| {
        fail(
            format!(
                "cannot start {} ({e}); install QEMU (Debian: apt-get install qemu-system-x86)",
                qemu_binary()
            ),
            false,
        )
    })?;
    let stderr = child.stderr.take();
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut s) = stderr {
            let _ = std::io::Read::read_to_string(&mut s, &mut text);
        }
        text
    });
    let mut to_first_workload = None;
    let mut fatal_seen_at: Option<Instant> = None;
    let mut killed_for = None;
    let mut relayed_bytes = 0;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        let log = std::fs::read(&spec.console_log).unwrap_or_default();
        relayed_bytes += relay_guest_lines(&log[relayed_bytes..], relay);
        let findings = console::scan(&String::from_utf8_lossy(&log));
        if to_first_workload.is_none() && findings.workloads_started {
            to_first_workload = Some(started.elapsed());
        }
        // panic=-1 makes the kernel reboot at once, which ends QEMU; give it a moment.
        if findings.fatal.is_some()
            && *fatal_seen_at.get_or_insert_with(Instant::now) + Duration::from_secs(3)
                < Instant::now()
        {
            killed_for = Some("the kernel panicked and QEMU did not exit".to_string());
        }
        if let Some(deadline) = spec
            .init_deadline
            .filter(|d| !findings.init_started && started.elapsed() > *d)
        {
            killed_for = Some(format!(
                "the kernel did not start our init within {} s",
                deadline.as_secs()
            ));
        }
        if started.elapsed() > spec.timeout {
            killed_for = Some(format!(
                "no result within the timeout of {} s",
                spec.timeout.as_secs()
            ));
        }
        if killed_for.is_some() {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let wall = started.elapsed();
    let qemu_stderr = stderr_reader.join().unwrap_or_default();
    let log =
        String::from_utf8_lossy(&std::fs::read(&spec.console_log).unwrap_or_default()).into_owned();
    let findings = console::scan(&log);
    if to_first_workload.is_none() && findings.workloads_started {
        // Seen only after exit (a very short run): the exit time is an upper bound.
        to_first_workload = Some(wall);
    }
    let captured = std::fs::read(&spec.results_capture).unwrap_or_default();
    let payload = protocol::unframe(&captured);
    if let Ok(payload) = payload {
        let outcome: GuestOutcome = serde_json::from_slice(payload)
            .map_err(|e| fail(format!("the guest's results are not valid: {e}"), false))?;
        return Ok(Boot {
            outcome,
            wall,
            to_first_workload,
            findings,
        });
    }
    let reason = payload.err().unwrap_or_default();
    let what = if let Some(fatal) = &findings.fatal {
        format!("the guest failed: {fatal}")
    } else if let Some(killed_for) = killed_for {
        killed_for
    } else {
        match status {
            Some(s) if !s.success() => format!("QEMU exited with {s}: {}", qemu_stderr.trim()),
            _ => format!("the VM stopped without results ({reason})"),
        }
    };
    Err(fail(
        format!(
            "{what}\n  console log: {}\n  last console lines:\n{}",
            spec.console_log.display(),
            indent(&console::tail(&log, 15))
        ),
        !findings.init_started,
    ))
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Hands complete new `kcanary-guest:` lines to `relay`; returns the bytes consumed (up to the
/// last complete line).
fn relay_guest_lines(new: &[u8], relay: &dyn Fn(&str)) -> usize {
    let Some(last_newline) = new.iter().rposition(|&b| b == b'\n') else {
        return 0;
    };
    for line in String::from_utf8_lossy(&new[..last_newline]).lines() {
        if let Some(text) = line.trim_end_matches('\r').strip_prefix("kcanary-guest: ") {
            relay(text);
        }
    }
    last_newline + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn only_complete_guest_lines_are_relayed() {
        let seen = RefCell::new(Vec::new());
        let relay = |line: &str| seen.borrow_mut().push(line.to_string());
        let log =
            b"[ 1.0] kernel line\r\nkcanary-guest: ipset-list: skipped\r\nkcanary-guest: half";
        let consumed = relay_guest_lines(log, &relay);
        assert_eq!(*seen.borrow(), ["ipset-list: skipped"]);
        assert_eq!(&log[consumed..], b"kcanary-guest: half");
    }

    #[test]
    fn each_mode_has_its_own_name_and_icount_only_in_deterministic_mode() {
        assert_eq!(
            Accel::TcgIcount.execution_mode(),
            ExecutionMode::QemuTcgIcount
        );
        assert!(Accel::TcgIcount.qemu_args().contains(&"shift=0,sleep=off"));
        assert!(!Accel::Tcg.qemu_args().contains(&"-icount"));
        assert!(kernel_cmdline().ends_with("-- guest-init"));
    }
}
