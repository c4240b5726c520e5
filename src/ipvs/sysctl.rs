//! The IPVS estimator sysctls of the calling thread's network namespace. They are per
//! namespace, so they must be read and written from the thread that lives in it (a process-wide
//! `/proc/sys` read from the main thread would show the host's values).

use crate::error::{KcanaryError, Result};

/// 5.16+: 0 stops rate estimation for this namespace.
pub const RUN_ESTIMATION: &str = "/proc/sys/net/ipv4/vs/run_estimation";
/// 6.2+: CPUs the estimator kthreads may run on.
pub const EST_CPULIST: &str = "/proc/sys/net/ipv4/vs/est_cpulist";
/// 6.2+: nice value of the estimator kthreads.
pub const EST_NICE: &str = "/proc/sys/net/ipv4/vs/est_nice";

/// The value of a sysctl of this thread's namespace, or `None` when this kernel lacks it.
pub fn read(path: &str) -> Option<String> {
    // /proc/sys/net resolves against the namespace of the task that opens it: this thread.
    std::fs::read_to_string(path)
        .ok()
        .map(|v| v.trim().to_string())
}

pub fn write(path: &str, value: &str) -> Result<()> {
    std::fs::write(path, value)
        .map_err(|e| KcanaryError::Kernel(format!("cannot write {value} to {path}: {e}")))
}
