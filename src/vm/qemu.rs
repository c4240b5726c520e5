//! Boots one kernel + initramfs under `qemu-system-x86_64`, watches the console for panics
//! and the boot timeout, and collects the guest's framed outcome from the second serial port.
//! Three steps, kept apart so that the two without a process can be tested on their own:
//! `qemu_command` (the command line), `watch` (the running process and its console) and
//! `interpret` (console text and captured bytes → the outcome or a failure that explains).

use super::console::{self, ConsoleFindings};
use super::protocol::{self, GuestOutcome};
use crate::results::ExecutionMode;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
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

/// Lines QEMU prints on stderr when KVM cannot run the guest. After most of them QEMU does not
/// exit but pauses the VM, so without looking for them the boot only ends at the init
/// deadline. Seen here: Debian's 6.12 stops ~5 s into the boot with "KVM internal error.
/// Suberror: 1" and "emulation failure" (a BMI2 instruction in the decompressor).
const KVM_FAILURE_MARKERS: &[&str] = &[
    "KVM internal error",
    "emulation failure",
    "failed to set MSR",
    "kvm run failed",
    "KVM: entry failed",
    "Could not access KVM kernel module",
    "failed to initialize kvm",
];

/// The first line of QEMU's stderr that says KVM cannot run the guest, if any.
fn kvm_failure(qemu_stderr: &str) -> Option<&str> {
    qemu_stderr
        .lines()
        .map(str::trim)
        .find(|line| KVM_FAILURE_MARKERS.iter().any(|m| line.contains(m)))
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
/// init or QEMU reported a KVM failure: under KVM, the two ways "this kernel does not run
/// under this host's KVM" shows.
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
    for file in [&spec.console_log, &spec.results_capture] {
        let _ = std::fs::remove_file(file);
    }
    let command = qemu_command(&qemu_binary(), spec);
    let started = Instant::now();
    let qemu = spawn(command)?;
    let ending = watch(qemu, spec, started, relay);
    let console_text =
        String::from_utf8_lossy(&std::fs::read(&spec.console_log).unwrap_or_default()).into_owned();
    let captured = std::fs::read(&spec.results_capture).unwrap_or_default();
    interpret(ending, &console_text, &captured, &spec.console_log)
}

/// The QEMU command for `spec`: no default devices, no display, exit instead of reboot,
/// ttyS0 to the console log and ttyS1 to the results capture. Builds, never runs.
fn qemu_command(qemu: &str, spec: &BootSpec) -> Command {
    let cpus = if spec.accel == Accel::TcgIcount {
        1
    } else {
        spec.cpus
    };
    let mut command = Command::new(qemu);
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
        .arg(format!("file:{}", spec.results_capture.display()));
    command
}

/// Starts QEMU with its stderr piped (for the failure message) and tied to kcanary's life.
fn spawn(mut command: Command) -> Result<Child, BootFailure> {
    command
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
    command.spawn().map_err(|e| BootFailure {
        message: format!(
            "cannot start {} ({e}); install QEMU (Debian: apt-get install qemu-system-x86)",
            command.get_program().to_string_lossy()
        ),
        accel_suspect: false,
    })
}

/// How the QEMU process ended, as the host saw it.
struct Ending {
    /// QEMU's exit status; `None` when kcanary stopped it.
    status: Option<ExitStatus>,
    /// Why kcanary stopped it.
    killed_for: Option<String>,
    qemu_stderr: String,
    /// From starting QEMU to its exit.
    wall: Duration,
    /// When the console first showed the workloads starting, if it did while QEMU ran.
    to_first_workload: Option<Duration>,
}

/// Polls QEMU and its console log every 50 ms until QEMU exits or `stop_reason` gives a
/// reason to kill it, relaying the guest's status lines and timing the first workload.
fn watch(mut qemu: Child, spec: &BootSpec, started: Instant, relay: &dyn Fn(&str)) -> Ending {
    // Read line by line and shared, so that a KVM failure stops the boot as soon as QEMU
    // reports it (QEMU pauses the VM instead of exiting).
    let qemu_stderr = Arc::new(Mutex::new(String::new()));
    let stderr_reader = qemu.stderr.take().map(|stderr| {
        let text = Arc::clone(&qemu_stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).split(b'\n').map_while(|l| l.ok()) {
                let mut text = text.lock().unwrap_or_else(|e| e.into_inner());
                text.push_str(&String::from_utf8_lossy(&line));
                text.push('\n');
            }
        })
    });
    let mut to_first_workload = None;
    let mut fatal_seen_at: Option<Instant> = None;
    let mut killed_for = None;
    let mut relayed_bytes = 0;
    let status = loop {
        if let Ok(Some(status)) = qemu.try_wait() {
            break Some(status);
        }
        let log = std::fs::read(&spec.console_log).unwrap_or_default();
        relayed_bytes += relay_guest_lines(&log[relayed_bytes..], relay);
        let findings = console::scan(&String::from_utf8_lossy(&log));
        if to_first_workload.is_none() && findings.workloads_started {
            to_first_workload = Some(started.elapsed());
        }
        let fatal_for = findings
            .fatal
            .is_some()
            .then(|| fatal_seen_at.get_or_insert_with(Instant::now).elapsed());
        let kvm_failed =
            kvm_failure(&qemu_stderr.lock().unwrap_or_else(|e| e.into_inner())).map(str::to_string);
        killed_for = stop_reason(
            spec,
            &findings,
            started.elapsed(),
            fatal_for,
            kvm_failed.as_deref(),
        );
        if killed_for.is_some() {
            let _ = qemu.kill();
            let _ = qemu.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let wall = started.elapsed();
    if let Some(reader) = stderr_reader {
        let _ = reader.join();
    }
    let qemu_stderr = std::mem::take(&mut *qemu_stderr.lock().unwrap_or_else(|e| e.into_inner()));
    Ending {
        status,
        killed_for,
        wall,
        qemu_stderr,
        to_first_workload,
    }
}

/// Why QEMU must be stopped now, `elapsed` after it started, if it must. `fatal_for` is how
/// long ago the console first showed a fatal line; `kvm_failed` is QEMU's line saying KVM
/// cannot run the guest. When several reasons hold, the timeout is named first, then the
/// KVM failure, the init deadline and the panic.
fn stop_reason(
    spec: &BootSpec,
    findings: &ConsoleFindings,
    elapsed: Duration,
    fatal_for: Option<Duration>,
    kvm_failed: Option<&str>,
) -> Option<String> {
    if elapsed > spec.timeout {
        return Some(format!(
            "no result within the timeout of {} s",
            spec.timeout.as_secs()
        ));
    }
    if let Some(line) = kvm_failed.filter(|_| spec.accel == Accel::Kvm) {
        return Some(format!("QEMU reported a KVM failure: {line}"));
    }
    if let Some(deadline) = spec
        .init_deadline
        .filter(|d| !findings.init_started && elapsed > *d)
    {
        return Some(format!(
            "the kernel did not start our init within {} s",
            deadline.as_secs()
        ));
    }
    // panic=-1 makes the kernel reboot at once, which ends QEMU; give it a moment.
    if fatal_for.is_some_and(|f| f > Duration::from_secs(3)) {
        return Some("the kernel panicked and QEMU did not exit".to_string());
    }
    None
}

/// What a boot amounts to: the guest's outcome when its framed results arrived intact;
/// otherwise the most telling reason why not (a fatal console line, why kcanary stopped
/// QEMU, QEMU's own failure, what was wrong with the transfer) with the console's last lines.
fn interpret(
    ending: Ending,
    console_text: &str,
    captured: &[u8],
    console_log: &Path,
) -> Result<Boot, BootFailure> {
    let findings = console::scan(console_text);
    // Seen only after exit (a very short run): the exit time is an upper bound.
    let to_first_workload = ending
        .to_first_workload
        .or(findings.workloads_started.then_some(ending.wall));
    let reason = match protocol::unframe(captured) {
        Ok(payload) => {
            let outcome: GuestOutcome =
                serde_json::from_slice(payload).map_err(|e| BootFailure {
                    message: format!("the guest's results are not valid: {e}"),
                    accel_suspect: false,
                })?;
            return Ok(Boot {
                outcome,
                wall: ending.wall,
                to_first_workload,
                findings,
            });
        }
        Err(reason) => reason,
    };
    let kvm_failed = kvm_failure(&ending.qemu_stderr);
    let what = if let Some(fatal) = &findings.fatal {
        format!("the guest failed: {fatal}")
    } else if let Some(killed_for) = ending.killed_for {
        killed_for
    } else if let Some(line) = kvm_failed {
        format!("QEMU reported a KVM failure: {line}")
    } else {
        match ending.status {
            Some(s) if !s.success() => {
                format!("QEMU exited with {s}: {}", ending.qemu_stderr.trim())
            }
            _ => format!("the VM stopped without results ({reason})"),
        }
    };
    Err(BootFailure {
        message: format!(
            "{what}\n  console log: {}\n  last console lines:\n{}",
            console_log.display(),
            indent(&console::tail(console_text, 15))
        ),
        accel_suspect: !findings.init_started || kvm_failed.is_some(),
    })
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
    use std::os::unix::process::ExitStatusExt;

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

    fn spec(accel: Accel) -> BootSpec<'static> {
        BootSpec {
            image: Path::new("/k/vmlinuz"),
            initramfs: Path::new("/k/initramfs.cpio"),
            accel,
            cpus: 2,
            memory_mib: 1024,
            timeout: Duration::from_secs(600),
            init_deadline: Some(Duration::from_secs(60)),
            console_log: PathBuf::from("/out/console.log"),
            results_capture: PathBuf::from("/out/results.bin"),
        }
    }

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_command_line_wires_kernel_initramfs_and_both_serial_ports() {
        let command = qemu_command("/opt/qemu", &spec(Accel::Kvm));
        assert_eq!(command.get_program(), "/opt/qemu");
        assert_eq!(
            args(&command),
            [
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-no-reboot",
                "-accel",
                "kvm",
                "-cpu",
                "host",
                "-smp",
                "2",
                "-m",
                "1024",
                "-kernel",
                "/k/vmlinuz",
                "-initrd",
                "/k/initramfs.cpio",
                "-append",
                "console=ttyS0 panic=-1 quiet rdinit=/init -- guest-init",
                "-serial",
                "file:/out/console.log",
                "-serial",
                "file:/out/results.bin",
            ]
        );
    }

    #[test]
    fn icount_runs_one_vcpu_whatever_was_asked() {
        let icount = args(&qemu_command("qemu", &spec(Accel::TcgIcount)));
        assert!(icount.windows(2).any(|w| w == ["-smp", "1"]));
        assert!(
            icount
                .windows(2)
                .any(|w| w == ["-icount", "shift=0,sleep=off"])
        );
        let tcg = args(&qemu_command("qemu", &spec(Accel::Tcg)));
        assert!(tcg.windows(2).any(|w| w == ["-smp", "2"]));
    }

    #[test]
    fn qemu_is_stopped_on_timeout_init_deadline_or_a_panic_it_does_not_exit_from() {
        let spec = spec(Accel::Kvm);
        let booting = ConsoleFindings::default();
        let running = ConsoleFindings {
            init_started: true,
            ..Default::default()
        };
        let secs = Duration::from_secs;
        assert_eq!(stop_reason(&spec, &booting, secs(59), None, None), None);
        assert_eq!(
            stop_reason(&spec, &booting, secs(61), None, None).as_deref(),
            Some("the kernel did not start our init within 60 s")
        );
        assert_eq!(stop_reason(&spec, &running, secs(599), None, None), None);
        assert_eq!(
            stop_reason(&spec, &running, secs(601), None, None).as_deref(),
            Some("no result within the timeout of 600 s")
        );
        assert_eq!(
            stop_reason(&spec, &booting, secs(700), Some(secs(10)), None).as_deref(),
            Some("no result within the timeout of 600 s"),
            "the timeout is named first"
        );
        assert_eq!(
            stop_reason(&spec, &running, secs(5), Some(secs(2)), None),
            None
        );
        assert_eq!(
            stop_reason(&spec, &running, secs(5), Some(secs(4)), None).as_deref(),
            Some("the kernel panicked and QEMU did not exit")
        );
        let kvm_error = Some("KVM internal error. Suberror: 1");
        assert_eq!(
            stop_reason(&spec, &booting, secs(5), None, kvm_error).as_deref(),
            Some("QEMU reported a KVM failure: KVM internal error. Suberror: 1"),
            "a KVM failure stops the boot long before the init deadline"
        );
        let tcg = self::spec(Accel::Tcg);
        assert_eq!(stop_reason(&tcg, &booting, secs(5), None, kvm_error), None);
        let no_deadline = BootSpec {
            init_deadline: None,
            ..spec
        };
        assert_eq!(
            stop_reason(&no_deadline, &booting, secs(120), None, None),
            None
        );
    }

    const BOOTED: &str = "[    0.000000] Linux version 6.1.0\r\n\
        kcanary-guest: started at uptime 2.10 s\r\n\
        kcanary-guest: workloads starting (uptime 2.50 s)\r\n";
    const PANICKED: &str = "[    0.000000] Linux version 6.1.0\r\n\
        [    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n";

    fn ended(status: i32) -> Ending {
        Ending {
            status: Some(ExitStatus::from_raw(status)),
            killed_for: None,
            qemu_stderr: String::new(),
            wall: Duration::from_secs(40),
            to_first_workload: None,
        }
    }

    fn results(payload: &[u8]) -> Vec<u8> {
        let mut captured = b"guest noise before the frame\n".to_vec();
        captured.extend(protocol::frame(payload));
        captured
    }

    fn failed(outcome: Result<Boot, BootFailure>) -> BootFailure {
        match outcome {
            Ok(_) => panic!("expected a failure"),
            Err(failure) => failure,
        }
    }

    #[test]
    fn intact_results_are_the_outcome_and_late_workload_start_is_bounded_by_the_exit() {
        let outcome = GuestOutcome {
            results: None,
            error: Some("bad scenario".into()),
            module_failures: Vec::new(),
            uptime_at_init_s: 2.1,
            uptime_at_workloads_s: Some(2.5),
            attributions: Vec::new(),
        };
        let captured = results(&serde_json::to_vec(&outcome).unwrap());
        let path = Path::new("/out/console.log");
        let Ok(boot) = interpret(ended(0), BOOTED, &captured, path) else {
            panic!("the results arrived intact");
        };
        assert_eq!(boot.outcome.error.as_deref(), Some("bad scenario"));
        assert_eq!(boot.wall, Duration::from_secs(40));
        assert_eq!(boot.to_first_workload, Some(Duration::from_secs(40)));
        assert!(boot.findings.init_started);

        let seen_while_running = Ending {
            to_first_workload: Some(Duration::from_secs(3)),
            ..ended(0)
        };
        let Ok(boot) = interpret(seen_while_running, BOOTED, &captured, path) else {
            panic!("the results arrived intact");
        };
        assert_eq!(boot.to_first_workload, Some(Duration::from_secs(3)));
    }

    #[test]
    fn a_panic_is_the_reason_and_the_console_tail_follows() {
        let failure = failed(interpret(ended(0), PANICKED, b"", Path::new("/out/c.log")));
        assert_eq!(
            failure.message,
            "the guest failed: Kernel panic - not syncing: VFS: Unable to mount root fs\n  \
             console log: /out/c.log\n  last console lines:\n    \
             [    0.000000] Linux version 6.1.0\n    \
             [    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs"
        );
        assert!(failure.accel_suspect, "our init never started");
    }

    #[test]
    fn without_a_panic_the_reason_is_the_stop_then_qemu_then_the_transfer() {
        let path = Path::new("/out/c.log");
        let killed = Ending {
            status: None,
            killed_for: Some("the kernel did not start our init within 60 s".into()),
            ..ended(0)
        };
        let failure = failed(interpret(killed, "[ 0.1] booting\n", b"", path));
        assert!(
            failure
                .message
                .starts_with("the kernel did not start our init within 60 s\n"),
            "{}",
            failure.message
        );
        assert!(failure.accel_suspect);

        let qemu_failed = Ending {
            qemu_stderr: "qemu: could not load kernel\n".into(),
            ..ended(1 << 8)
        };
        let failure = failed(interpret(qemu_failed, "", b"", path));
        assert!(
            failure
                .message
                .starts_with("QEMU exited with exit status: 1: qemu: could not load kernel\n"),
            "{}",
            failure.message
        );

        let cut_off = results(br#"{"results": null}"#);
        let cut_off = &cut_off[..cut_off.len() - 30];
        let failure = failed(interpret(ended(0), BOOTED, cut_off, path));
        assert!(
            failure
                .message
                .starts_with("the VM stopped without results (results cut off:"),
            "{}",
            failure.message
        );
        assert!(!failure.accel_suspect, "our init started");
    }

    /// QEMU 7.2's stderr when Debian's 6.12 cloud kernel runs under this host's KVM (cut).
    const KVM_INTERNAL_ERROR: &str = "KVM internal error. Suberror: 1\n\
        extra data[0]: 0x0000000000000001\n\
        extra data[1]: 0x894cc0f76942c40f\n\
        emulation failure\n\
        RAX=0000000001ad29a0 RBX=0000000004782b64 RCX=0000000000000000 RDX=0000000000000005\n\
        Code=fa 0f 77 c4 4e 8d 54 35 00 41 b8 01 00 00 00 41 89 17 89 f0 <c4> 42 69 f7 c0\n";

    #[test]
    fn kvm_failures_are_recognised_by_their_first_qemu_line() {
        assert_eq!(
            kvm_failure(KVM_INTERNAL_ERROR),
            Some("KVM internal error. Suberror: 1")
        );
        for line in [
            "qemu-system-x86_64: error: failed to set MSR 0x48b to 0x1582e00000000",
            "error: kvm run failed Bad address",
            "KVM: entry failed, hardware error 0x80000021",
            "Could not access KVM kernel module: Permission denied",
            "qemu-system-x86_64: failed to initialize kvm: Permission denied",
        ] {
            let stderr = format!("qemu-system-x86_64: warning: host doesn't support pni\n{line}\n");
            assert_eq!(kvm_failure(&stderr), Some(line));
        }
        for harmless in [
            "",
            "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.pni [bit 0]\n",
            "qemu-system-x86_64: terminating on signal 15 from pid 8284 (timeout)\n",
        ] {
            assert_eq!(kvm_failure(harmless), None, "{harmless}");
        }
    }

    #[test]
    fn a_kvm_failure_is_suspect_even_after_init_and_named_when_qemu_exits_with_it() {
        let path = Path::new("/out/c.log");
        let paused = Ending {
            status: None,
            killed_for: Some("QEMU reported a KVM failure: KVM internal error. Suberror: 1".into()),
            qemu_stderr: KVM_INTERNAL_ERROR.into(),
            ..ended(0)
        };
        let failure = failed(interpret(paused, "", b"", path));
        assert!(
            failure
                .message
                .starts_with("QEMU reported a KVM failure: KVM internal error. Suberror: 1\n"),
            "{}",
            failure.message
        );
        assert!(failure.accel_suspect);

        let aborted = Ending {
            qemu_stderr: "error: failed to set MSR 0x48b to 0x1582e00000000\n".into(),
            ..ended(134)
        };
        let failure = failed(interpret(aborted, BOOTED, b"", path));
        assert!(
            failure
                .message
                .starts_with("QEMU reported a KVM failure: error: failed to set MSR"),
            "{}",
            failure.message
        );
        assert!(failure.accel_suspect, "even though our init had started");
    }

    #[test]
    fn results_that_are_not_an_outcome_are_reported_as_such() {
        let captured = results(b"{\"not\": \"an outcome\"}");
        let failure = failed(interpret(ended(0), BOOTED, &captured, Path::new("/c.log")));
        assert!(
            failure
                .message
                .starts_with("the guest's results are not valid: missing field"),
            "{}",
            failure.message
        );
        assert!(!failure.accel_suspect);
    }
}
