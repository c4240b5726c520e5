//! The build-up: for each of N cgroups, create it, charge pages to it from a short-lived
//! process, and remove it, so that it lingers as a dying cgroup held by its pages.

use super::charge::Charger;
use super::names::NumberedPath;
use super::workspace::Workspace;
use crate::error::{KcanaryError, Result};
use crate::isolate::signals;
use crate::netlink::errno_name;
use crate::workload::Progress;
use std::time::Instant;

/// Per-cgroup latencies of the three steps, in nanoseconds, in creation order.
pub struct BuildupSamples {
    pub create_ns: Vec<f64>,
    pub charge_ns: Vec<f64>,
    pub remove_ns: Vec<f64>,
}

impl BuildupSamples {
    /// Cgroups per second of kernel work: N over the summed step latencies. kcanary's own
    /// bookkeeping between steps (progress bar, path formatting) is left out on purpose.
    pub fn cgroups_per_second(&self) -> f64 {
        let total_ns: f64 = [&self.create_ns, &self.charge_ns, &self.remove_ns]
            .iter()
            .flat_map(|v| v.iter())
            .sum();
        if total_ns > 0.0 {
            self.create_ns.len() as f64 * 1e9 / total_ns
        } else {
            0.0
        }
    }
}

/// How often the progress bar moves (it is never touched inside a timed step).
const PROGRESS_EVERY: u64 = 128;

/// Creates, charges and removes `count` cgroups `c0`, `c1`, ... under the workspace parent.
pub fn build_dying(
    workspace: &Workspace,
    charger: &Charger,
    count: u64,
    progress: &dyn Progress,
) -> Result<BuildupSamples> {
    let capacity = count as usize;
    let mut samples = BuildupSamples {
        create_ns: Vec::with_capacity(capacity),
        charge_ns: Vec::with_capacity(capacity),
        remove_ns: Vec::with_capacity(capacity),
    };
    let mut cgroup = NumberedPath::new(&workspace.parent.join("c"), "");
    let mut procs = NumberedPath::new(&workspace.parent.join("c"), "/cgroup.procs");
    let mut file = NumberedPath::new(&workspace.store.join("c"), "");
    progress.start("memcg: dying cgroups", count);
    for index in 0..count {
        // A signal's cleanup waits for this cgroup's charging process to be reaped; after
        // that the loop stops here (uncontended, the lock costs nanoseconds).
        let _section = signals::critical_section();
        if index % PROGRESS_EVERY == 0 {
            progress.set(index);
        }
        let (cgroup_path, procs_path, file_path) =
            (cgroup.set(index), procs.set(index), file.set(index));

        let started = Instant::now();
        // SAFETY: mkdir/rmdir on NUL-terminated paths owned by the NumberedPaths.
        let made = unsafe { libc::mkdir(cgroup_path.as_ptr(), 0o755) };
        let create_errno = errno_if(made);
        let created = Instant::now();
        if create_errno != 0 {
            return Err(step_error("mkdir", cgroup_path, create_errno));
        }
        let charged = charger.charge(procs_path, file_path);
        let charge_done = Instant::now();
        if let Err(failure) = charged {
            return Err(KcanaryError::Kernel(format!(
                "charging {}: {failure}",
                cgroup_path.to_string_lossy()
            )));
        }
        let remove_started = Instant::now();
        // SAFETY: as above.
        let removed = unsafe { libc::rmdir(cgroup_path.as_ptr()) };
        let remove_errno = errno_if(removed);
        let remove_done = Instant::now();
        if remove_errno != 0 {
            return Err(step_error("rmdir", cgroup_path, remove_errno));
        }

        samples
            .create_ns
            .push((created - started).as_nanos() as f64);
        samples
            .charge_ns
            .push((charge_done - created).as_nanos() as f64);
        samples
            .remove_ns
            .push((remove_done - remove_started).as_nanos() as f64);
    }
    progress.set(count);
    progress.finish();
    Ok(samples)
}

/// errno after a syscall that returned `rc` (0 when it succeeded).
fn errno_if(rc: libc::c_int) -> i32 {
    if rc == 0 {
        0
    } else {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }
}

fn step_error(step: &str, path: &std::ffi::CStr, errno: i32) -> KcanaryError {
    let message = format!("{step} {}: {}", path.to_string_lossy(), errno_name(errno));
    if errno == libc::EPERM || errno == libc::EACCES {
        KcanaryError::Permission(format!("{message} (memory cgroup workloads need root)"))
    } else {
        KcanaryError::Kernel(message)
    }
}
