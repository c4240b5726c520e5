//! The `memcg.dying` workload: build up N dying memory cgroups, count them, time stat-file
//! reads with them around, clean up, and check that the count goes back.

use super::buildup::build_dying;
use super::charge::Charger;
use super::dying::{dying_descendants, dying_in_hierarchy};
use super::hierarchy::{CgroupVersion, MemoryHierarchy};
use super::kernel_memory::{meminfo_kib, percpu_and_slab_bytes};
use super::leftovers::remove_leftovers;
use super::owner::HierarchyLock;
use super::reads::measure_reads;
use super::scrape_probe::probe_beside_scraper;
use super::workspace::{ChargeMedium, Workspace};
use crate::error::{KcanaryError, Result};
use crate::results::Better;
use crate::workload::{
    Accepts, EntryPoint, Measurement, ParamKind, ParamSpec, Params, RepetitionContext, Workload,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct DyingMemcgs;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "cgroups",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_MEMCGS,
        },
        default: "1000",
        help: "dying memory cgroups to build up",
    },
    ParamSpec {
        name: "charge_kib",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "4",
        help: "KiB charged to each cgroup before it is removed",
    },
    ParamSpec {
        name: "charge",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"tmpfs\"",
        help: "what holds the pages: \"tmpfs\" (stay charged) or \"page_cache\" (regular files; reclaim may free them)",
    },
    ParamSpec {
        name: "page_cache_dir",
        kind: ParamKind::Text,
        accepts: Accepts::Any,
        default: "\"/var/tmp\"",
        help: "directory on a disk file system for charge = \"page_cache\"",
    },
    ParamSpec {
        name: "reads",
        kind: ParamKind::Integer,
        accepts: Accepts::Range {
            min: 1,
            max: crate::workload::params::MAX_OPERATIONS,
        },
        default: "200",
        help: "timed reads of each stat file after the first",
    },
    ParamSpec {
        name: "read_cpu",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "0",
        help: "CPU the reading thread is pinned to",
    },
    ParamSpec {
        name: "probe_seconds",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "0",
        help: "when > 0: run the UDP ping-pong probe on read_cpu alone and then beside a memory.numa_stat scraper on that CPU, this long each (0 = off)",
    },
    ParamSpec {
        name: "settle_seconds",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "30",
        help: "how long to wait after cleanup for the dying count to go back",
    },
];

/// `memcg.dying`'s parameters, read and judged once: by `check` (scenario validation, with
/// the scenario's line on error) and again by `run`.
struct Settings {
    cgroups: u64,
    charge_kib: u64,
    medium: ChargeMedium,
    reads: usize,
    read_cpu: usize,
    probe: Duration,
    settle: Duration,
}

impl Settings {
    fn from_params(params: &Params) -> std::result::Result<Settings, String> {
        let medium = match params.text("charge")? {
            "tmpfs" => ChargeMedium::Tmpfs,
            "page_cache" => ChargeMedium::PageCache {
                dir: PathBuf::from(params.text("page_cache_dir")?),
            },
            other => {
                return Err(format!(
                    "memcg.dying: parameter 'charge' must be \"tmpfs\" or \"page_cache\", found \"{other}\""
                ));
            }
        };
        let settings = Settings {
            cgroups: params.u64("cgroups")?,
            charge_kib: params.u64("charge_kib")?,
            medium,
            reads: params.usize("reads")?,
            read_cpu: params.usize("read_cpu")?,
            probe: Duration::from_secs(params.u64("probe_seconds")?),
            settle: Duration::from_secs(params.u64("settle_seconds")?),
        };
        if settings.cgroups == 0 || settings.charge_kib == 0 || settings.reads == 0 {
            return Err(
                "memcg.dying: parameters 'cgroups', 'charge_kib' and 'reads' must be at least 1"
                    .into(),
            );
        }
        Ok(settings)
    }

    /// tmpfs size: every charged byte plus room for rounding and inodes.
    fn tmpfs_bytes(&self) -> u64 {
        self.cgroups * self.charge_kib.div_ceil(4) * 4096 + (16 << 20)
    }

    /// Refuses a charge that would take more than half of the memory still available: the
    /// pages cannot be reclaimed while the run lasts (tmpfs, no swap), so an oversized run
    /// would push the host into the OOM killer instead of measuring anything.
    fn check_fits(&self) -> Result<()> {
        let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let Some(available_kib) = meminfo_kib(&text, "MemAvailable") else {
            return Ok(());
        };
        let wanted_kib = self.cgroups * self.charge_kib.div_ceil(4) * 4;
        if wanted_kib > available_kib / 2 {
            return Err(KcanaryError::Usage(format!(
                "memcg.dying: {} cgroups × {} KiB = {} MiB would take more than half of the \
                 {} MiB available; lower 'cgroups' or 'charge_kib'",
                self.cgroups,
                self.charge_kib,
                wanted_kib / 1024,
                available_kib / 1024
            )));
        }
        Ok(())
    }
}

impl Workload for DyingMemcgs {
    fn name(&self) -> &'static str {
        "memcg.dying"
    }

    fn summary(&self) -> &'static str {
        "build up dying memory cgroups; time memory.numa_stat/memory.stat reads; clean up"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn check(&self, params: &Params) -> std::result::Result<(), String> {
        Settings::from_params(params).map(drop)
    }

    fn kernel_modules(&self) -> &'static [&'static str] {
        // Memory cgroups are always built in; the optional latency probe (`probe_seconds`)
        // runs over a veth pair, a module on most distribution kernels.
        crate::probe::KERNEL_MODULES
    }

    fn entry_points(&self) -> &'static [EntryPoint] {
        &[
            // memory.numa_stat: the read that walks dying cgroups (v1, v2).
            EntryPoint::Function("memcg_numa_stat_show"),
            EntryPoint::Function("memory_numa_stat_show"),
            // memory.stat (v1 on older kernels, v2).
            EntryPoint::Function("memcg_stat_show"),
            EntryPoint::Function("memory_stat_show"),
            // rmdir makes a cgroup dying; it is freed once its last page goes.
            EntryPoint::Function("mem_cgroup_css_offline"),
            EntryPoint::Function("mem_cgroup_css_free"),
        ]
    }

    fn available(&self) -> std::result::Result<(), String> {
        let hierarchy = MemoryHierarchy::detect()?;
        if !in_initial_user_namespace() {
            return Err(
                "needs root outside any user namespace (mounting a tmpfs and writing \
                        cgroupfs need the host's root)"
                    .into(),
            );
        }
        // Root in a user namespace is not enough: cgroupfs and /run belong to the real root.
        for dir in [
            hierarchy.root(),
            std::path::Path::new(super::names::RUN_ROOT),
        ] {
            if !writable(dir) {
                return Err(format!(
                    "needs real root: cannot write {} (memory cgroups and a tmpfs mount)",
                    dir.display()
                ));
            }
        }
        Ok(())
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let settings = Settings::from_params(params).map_err(KcanaryError::Usage)?;
        settings.check_fits()?;
        let hierarchy = MemoryHierarchy::detect().map_err(KcanaryError::Kernel)?;
        let _exclusive = HierarchyLock::acquire(hierarchy.root())?;
        let cleaned_leftovers = !remove_leftovers(&hierarchy)?.is_empty();
        let baseline = if cleaned_leftovers {
            settled_dying_count(&hierarchy, settings.settle)?
        } else {
            dying_in_hierarchy(&hierarchy)?
        };

        let mut workspace =
            Workspace::create(&hierarchy, settings.medium.clone(), settings.tmpfs_bytes())?;
        let charger = Charger::new(settings.charge_kib as usize)
            .map_err(|e| KcanaryError::Io(format!("cannot create the charge report pipe: {e}")))?;
        let kernel_bytes_before = percpu_and_slab_bytes()?;
        let buildup = build_dying(&workspace, &charger, settings.cgroups, ctx.progress)?;
        let kernel_bytes_held = percpu_and_slab_bytes()? as f64 - kernel_bytes_before as f64;
        let ours = match hierarchy.version {
            CgroupVersion::V1 => dying_in_hierarchy(&hierarchy)? - baseline,
            CgroupVersion::V2 => dying_descendants(&workspace.parent)? as i64,
        };
        let reads = measure_reads(&workspace, settings.reads, Some(settings.read_cpu))?;
        let probed = if settings.probe.is_zero() {
            Vec::new()
        } else {
            probe_beside_scraper(hierarchy.root(), settings.read_cpu, settings.probe)?
        };

        let cleanup_started = Instant::now();
        workspace.teardown()?;
        let cleanup_ns = cleanup_started.elapsed().as_nanos() as f64;
        drop(workspace);
        let (left_after_cleanup, release_ns) =
            wait_for_release(&hierarchy, baseline, settings.settle)?;

        let mut measurements = vec![
            Measurement::count("dying_cgroups", "cgroups", Better::Lower, ours as f64),
            Measurement {
                unit: "cgroups",
                ..Measurement::events("dying_after_cleanup", left_after_cleanup as f64)
            },
            Measurement::count(
                "kernel_bytes_per_dying_cgroup",
                "bytes",
                Better::Lower,
                kernel_bytes_held / settings.cgroups as f64,
            ),
            Measurement::count(
                "buildup_rate",
                "cgroups/s",
                Better::Higher,
                buildup.cgroups_per_second(),
            ),
            Measurement::latency_ns("create_ns", buildup.create_ns),
            Measurement::latency_ns("charge_ns", buildup.charge_ns),
            Measurement::latency_ns("remove_ns", buildup.remove_ns),
            Measurement::total_ns("cleanup_ns", cleanup_ns),
            Measurement::total_ns("release_ns", release_ns),
        ];
        for read in reads {
            measurements.push(Measurement::total_ns(
                read.target.first_read_metric,
                read.first_read_ns,
            ));
            measurements.push(Measurement::latency_ns(
                read.target.read_metric,
                read.read_ns,
            ));
        }
        measurements.extend(probed);
        Ok(measurements)
    }
}

/// How often the dying count is polled while waiting for it to change.
const POLL: Duration = Duration::from_millis(10);

/// How long the count must stay put before we stop waiting for it to reach the baseline:
/// other software's cgroups can keep it a few above, and then waiting for the full limit
/// would only add idle time.
const STABLE_FOR: Duration = Duration::from_secs(1);

/// Waits (up to `limit`) until the dying count is back at `baseline` or stops moving; returns
/// what is still above the baseline (0 or less when everything went: the platform's own
/// cgroups move it a little) and when it last changed, in nanoseconds after the start: how
/// long the kernel took to free our cgroups.
fn wait_for_release(
    hierarchy: &MemoryHierarchy,
    baseline: i64,
    limit: Duration,
) -> Result<(i64, f64)> {
    let started = Instant::now();
    let mut above = dying_in_hierarchy(hierarchy)? - baseline;
    let mut last_change = Duration::ZERO;
    loop {
        let waited = started.elapsed();
        if above <= 0 || waited >= limit || waited - last_change >= STABLE_FOR {
            let released_after = if above <= 0 { waited } else { last_change };
            return Ok((above, released_after.as_nanos() as f64));
        }
        std::thread::sleep(POLL);
        let now = dying_in_hierarchy(hierarchy)? - baseline;
        if now != above {
            above = now;
            last_change = started.elapsed();
        }
    }
}

/// The dying count once it stops moving (after leftovers were removed, their cgroups are
/// freed asynchronously), or whatever it is after `limit`.
fn settled_dying_count(hierarchy: &MemoryHierarchy, limit: Duration) -> Result<i64> {
    let started = Instant::now();
    let mut previous = dying_in_hierarchy(hierarchy)?;
    loop {
        std::thread::sleep(POLL * 20);
        let now = dying_in_hierarchy(hierarchy)?;
        if now == previous || started.elapsed() >= limit {
            return Ok(now);
        }
        previous = now;
    }
}

fn writable(dir: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_dir) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access(2) on a NUL-terminated path.
    unsafe { libc::access(c_dir.as_ptr(), libc::W_OK) == 0 }
}

/// The initial user namespace maps every uid to itself; a nested one (`unshare -Ur`, rootless
/// containers) maps a part, and its root cannot mount in the host's mount namespace.
fn in_initial_user_namespace() -> bool {
    is_initial_uid_map(std::fs::read_to_string("/proc/self/uid_map"))
}

/// Reads the answer from `/proc/self/uid_map`. A kernel built without `CONFIG_USER_NS` has
/// no such file: it has only the initial namespace, so absence means "initial", not "nested".
fn is_initial_uid_map(uid_map: std::io::Result<String>) -> bool {
    match uid_map {
        Ok(map) => map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"],
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
mod user_namespace_tests {
    use super::is_initial_uid_map;
    use std::io::{Error, ErrorKind};

    #[test]
    fn a_kernel_without_user_namespaces_is_the_initial_namespace() {
        assert!(is_initial_uid_map(Err(Error::from(ErrorKind::NotFound))));
    }

    #[test]
    fn the_identity_map_is_initial_and_a_partial_map_is_not() {
        assert!(is_initial_uid_map(Ok(
            "         0          0 4294967295\n".into()
        )));
        assert!(!is_initial_uid_map(Ok(
            "         0       1000          1\n".into()
        )));
        assert!(!is_initial_uid_map(Err(Error::from(
            ErrorKind::PermissionDenied
        ))));
    }
}
