//! The guest side: kcanary running as `/init` (pid 1) of the initramfs the host built.
//!
//! It mounts the pseudo filesystems, loads the modules the host listed (already in dependency
//! order), runs the scenarios through the library exactly as `kcanary run` does, writes the
//! framed outcome to the second serial port (/dev/ttyS1; the console on ttyS0 carries kernel
//! messages) and powers the machine off. pid 1 must never exit (the kernel would panic), so
//! every failure, including a panic inside kcanary, ends in a reported outcome and power-off.

use super::protocol::{self, GuestConfig, GuestOutcome, ModuleFailure};
use crate::runner::{self, RunHooks};
use crate::workload::NoProgress;
use nix::mount::{MsFlags, mount};
use std::ffi::CStr;
use std::io::Write;
use std::os::fd::AsRawFd;

const RESULTS_PORT: &str = "/dev/ttyS1";

/// Runs the guest and powers off; never returns.
pub fn run_as_init() -> ! {
    let uptime_at_init_s = uptime_s().unwrap_or(0.0);
    log(&format!("started at uptime {uptime_at_init_s:.2} s"));
    let outcome = std::panic::catch_unwind(|| run(uptime_at_init_s)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        GuestOutcome {
            results: None,
            error: Some(format!("kcanary panicked in the guest: {message}")),
            module_failures: Vec::new(),
            uptime_at_init_s,
            uptime_at_workloads_s: None,
            attributions: Vec::new(),
        }
    });
    if let Err(e) = send_outcome(&outcome) {
        log(&format!("cannot send results over {RESULTS_PORT}: {e}"));
    }
    power_off()
}

fn log(line: &str) {
    // stderr is /dev/console (ttyS0), the kernel opened it for us.
    eprintln!("kcanary-guest: {line}");
}

fn run(uptime_at_init_s: f64) -> GuestOutcome {
    let mut outcome = GuestOutcome {
        results: None,
        error: None,
        module_failures: Vec::new(),
        uptime_at_init_s,
        uptime_at_workloads_s: None,
        attributions: Vec::new(),
    };
    if let Err(e) = mount_filesystems() {
        outcome.error = Some(e);
        return outcome;
    }
    let config: GuestConfig = match std::fs::read(protocol::CONFIG_PATH)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(config) => config,
        Err(e) => {
            outcome.error = Some(format!("cannot read {}: {e}", protocol::CONFIG_PATH));
            return outcome;
        }
    };
    if config.hide_user_namespaces {
        match super::hide_user_ns::hide_user_namespace_files() {
            Ok(()) => log("hid /proc/self/uid_map and its siblings (as without CONFIG_USER_NS)"),
            Err(e) => {
                outcome.error = Some(format!("cannot hide the user-namespace files: {e}"));
                return outcome;
            }
        }
    }
    outcome.module_failures = load_modules(&config.modules);
    for failure in &outcome.module_failures {
        log(&format!("module {}: {}", failure.module, failure.error));
    }
    let scenarios = match crate::scenario::select(&config.scenarios, &config.overrides) {
        Ok(selection) => selection.scenarios,
        Err(e) => {
            outcome.error = Some(e.to_string());
            return outcome;
        }
    };
    outcome.uptime_at_workloads_s = uptime_s();
    log(&format!(
        "{} (uptime {:.2} s)",
        protocol::WORKLOADS_STARTING.trim_start_matches("kcanary-guest: "),
        outcome.uptime_at_workloads_s.unwrap_or(0.0)
    ));
    // With the guest's uptime, so the console log shows how long each scenario took.
    let status = |line: &str| {
        log(&format!(
            "{line} [uptime {:.1} s]",
            uptime_s().unwrap_or(0.0)
        ))
    };
    let hooks = RunHooks {
        progress: &NoProgress,
        status: &status,
    };
    match runner::run_scenarios(&scenarios, config.execution_mode.clone(), &hooks) {
        Ok(results) => {
            if config.explain {
                // After every measured repetition: the traced ones never touch the samples.
                outcome.attributions = crate::explain::explain_scenarios(
                    &scenarios,
                    &results,
                    std::path::Path::new("/run"),
                    &status,
                );
            }
            outcome.results = Some(results)
        }
        Err(e) => outcome.error = Some(e.to_string()),
    }
    outcome
}

fn mount_filesystems() -> Result<(), String> {
    let mount_fs =
        |source: &str, target: &str, fstype: &str, data: Option<&str>| -> Result<(), String> {
            std::fs::create_dir_all(target).map_err(|e| format!("mkdir {target}: {e}"))?;
            mount(Some(source), target, Some(fstype), MsFlags::empty(), data).map_err(|e| {
                format!(
                    "mount {fstype} on {target}: {}",
                    crate::netlink::errno_name(e as i32)
                )
            })
        };
    mount_fs("proc", "/proc", "proc", None)?;
    mount_fs("sysfs", "/sys", "sysfs", None)?;
    mount_fs("devtmpfs", "/dev", "devtmpfs", None)?;
    mount_fs("tmpfs", "/tmp", "tmpfs", None)?;
    mount_fs("tmpfs", "/run", "tmpfs", None)?;
    let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if filesystems.lines().any(|l| l.ends_with("\tcgroup2")) {
        mount_fs("cgroup2", "/sys/fs/cgroup", "cgroup2", None)?;
        log("cgroup v2 mounted on /sys/fs/cgroup");
    } else if filesystems.lines().any(|l| l.ends_with("\tcgroup")) {
        mount_fs("tmpfs", "/sys/fs/cgroup", "tmpfs", None)?;
        mount_fs("cgroup", "/sys/fs/cgroup/memory", "cgroup", Some("memory"))?;
        log("cgroup v1 memory controller mounted on /sys/fs/cgroup/memory");
    } else {
        log(
            "this kernel has no cgroup filesystem: scenarios that use memory cgroups will be skipped",
        );
    }
    Ok(())
}

/// Loads each module file with finit_module(2); failures are reported, not fatal (the
/// scenarios that need a missing module report themselves as skipped).
fn load_modules(paths: &[String]) -> Vec<ModuleFailure> {
    let mut failures = Vec::new();
    for path in paths {
        let module = path.rsplit('/').next().unwrap_or(path).to_string();
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                failures.push(ModuleFailure {
                    module,
                    error: format!("cannot open: {e}"),
                });
                continue;
            }
        };
        let no_params: &CStr = c"";
        // SAFETY: a valid fd and a NUL-terminated empty parameter string; flags 0.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_finit_module,
                file.as_raw_fd(),
                no_params.as_ptr(),
                0,
            )
        };
        if rc != 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            if errno != libc::EEXIST {
                let hint = match errno {
                    libc::ENOEXEC => {
                        " (module built for another kernel, or a format this kernel cannot load)"
                    }
                    libc::ENOENT => " (a symbol it needs is missing: a dependency failed to load?)",
                    _ => "",
                };
                failures.push(ModuleFailure {
                    module,
                    error: format!("finit_module: {}{hint}", crate::netlink::errno_name(errno)),
                });
            }
        }
    }
    failures
}

fn send_outcome(outcome: &GuestOutcome) -> std::io::Result<()> {
    let payload = serde_json::to_vec(outcome).map_err(std::io::Error::other)?;
    let mut port = std::fs::OpenOptions::new().write(true).open(RESULTS_PORT)?;
    make_raw(&port)?;
    port.write_all(&protocol::frame(&payload))?;
    // SAFETY: a valid fd; waits until the UART has sent everything.
    unsafe { libc::tcdrain(port.as_raw_fd()) };
    Ok(())
}

/// Raw mode: no "\n" → "\r\n" translation, so the host receives the exact bytes it checksums.
fn make_raw(port: &std::fs::File) -> std::io::Result<()> {
    // SAFETY: termios is plain data, filled by tcgetattr before use.
    unsafe {
        let mut termios: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(port.as_raw_fd(), &mut termios) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::cfmakeraw(&mut termios);
        if libc::tcsetattr(port.as_raw_fd(), libc::TCSANOW, &termios) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Seconds since the guest booted (CLOCK_BOOTTIME needs no /proc, which is not mounted yet
/// when init starts).
fn uptime_s() -> Option<f64> {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME).ok()?;
    Some(now.tv_sec() as f64 + now.tv_nsec() as f64 / 1e9)
}

fn power_off() -> ! {
    // SAFETY: plain syscalls; we are pid 1 in a VM that is about to end.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_POWER_OFF);
    }
    // Only reached if reboot failed; sleeping keeps pid 1 alive so the host's timeout reports it.
    log("reboot(RB_POWER_OFF) failed; waiting for the host to stop the VM");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
