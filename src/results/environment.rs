//! The fingerprint of the machine and kernel a run measured. Two results are only comparable
//! when the fields that shape timings (CPU, cores, cmdline, execution mode, kcanary version)
//! agree; the gate warns about every difference.

use super::ExecutionMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sysctls and sysfs files whose values change what the workloads measure. Missing ones are
/// simply absent from the map (e.g. IPVS sysctls on a kernel without IP_VS).
const SETTINGS_THAT_MATTER: &[&str] = &[
    "/proc/sys/kernel/preempt_dynamic",
    "/sys/kernel/debug/sched/preempt",
    "/sys/devices/system/clocksource/clocksource0/current_clocksource",
    "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
    "/proc/sys/kernel/numa_balancing",
    "/proc/sys/net/core/rmem_max",
    "/proc/sys/net/core/wmem_max",
    "/proc/sys/net/ipv4/vs/run_estimation",
    "/proc/sys/net/ipv4/vs/est_cpulist",
    "/proc/sys/net/ipv4/vs/est_nice",
    "/sys/kernel/mm/transparent_hugepage/enabled",
];

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    pub kernel_release: String,
    pub kernel_version: String,
    pub kernel_cmdline: String,
    pub cpu_model: String,
    /// CPUs this process may run on (what the workloads can actually use).
    pub cpus: usize,
    pub memory_bytes: u64,
    pub hostname: String,
    pub boot_id: String,
    pub kcanary_version: String,
    pub kcanary_git_commit: String,
    /// Where the kernel ran. Results from different modes are never compared silently.
    pub execution_mode: ExecutionMode,
    /// Seconds since the Unix epoch when the run started.
    pub started_at_unix: u64,
    /// Values of the settings in `SETTINGS_THAT_MATTER` that exist on this kernel.
    pub settings: BTreeMap<String, String>,
}

impl Environment {
    /// Reads the fingerprint of the running machine.
    pub fn capture(execution_mode: ExecutionMode) -> Environment {
        let uname = nix::sys::utsname::uname().ok();
        let field = |f: fn(&nix::sys::utsname::UtsName) -> &std::ffi::OsStr| {
            uname
                .as_ref()
                .map(|u| f(u).to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let settings = SETTINGS_THAT_MATTER
            .iter()
            .filter_map(|path| read_trimmed(path).map(|v| (path.to_string(), v)))
            .collect();
        Environment {
            kernel_release: field(|u| u.release()),
            kernel_version: field(|u| u.version()),
            kernel_cmdline: read_trimmed("/proc/cmdline").unwrap_or_default(),
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".into()),
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_bytes: memory_bytes().unwrap_or(0),
            hostname: field(|u| u.nodename()),
            boot_id: read_trimmed("/proc/sys/kernel/random/boot_id").unwrap_or_default(),
            kcanary_version: env!("CARGO_PKG_VERSION").to_string(),
            kcanary_git_commit: option_env!("KCANARY_GIT_COMMIT")
                .unwrap_or("unknown")
                .to_string(),
            execution_mode,
            started_at_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            settings,
        }
    }

    /// Differences that make timings of `self` and `other` not directly comparable,
    /// as readable sentences. Kernel release and version are not listed: comparing
    /// kernels is the point.
    pub fn differences(&self, other: &Environment) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |what: &str, a: &str, b: &str| {
            if a != b {
                out.push(format!("{what} differs: '{a}' vs '{b}'"));
            }
        };
        check("CPU model", &self.cpu_model, &other.cpu_model);
        check("CPU count", &self.cpus.to_string(), &other.cpus.to_string());
        check(
            "execution mode",
            self.execution_mode.as_str(),
            other.execution_mode.as_str(),
        );
        check(
            "kcanary version",
            &self.kcanary_version,
            &other.kcanary_version,
        );
        check(
            "kernel cmdline",
            &strip_vm_boot_args(&self.kernel_cmdline),
            &strip_vm_boot_args(&other.kernel_cmdline),
        );
        out
    }
}

/// Kernel command lines differ between kernels booted by the VM runner only in the kernel
/// path parts we add ourselves (e.g. `BOOT_IMAGE=`), which say nothing about timing.
fn strip_vm_boot_args(cmdline: &str) -> String {
    cmdline
        .split_whitespace()
        .filter(|arg| !arg.starts_with("BOOT_IMAGE=") && !arg.starts_with("initrd="))
        .collect::<Vec<_>>()
        .join(" ")
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

fn memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}
