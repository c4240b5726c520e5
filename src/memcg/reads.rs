//! Read latency of `memory.numa_stat` and `memory.stat` at the kcanary parent and at the
//! hierarchy root, with the first read of each file kept apart: after a burst of charges the
//! first reader may pay for a stats flush that later readers do not.

use super::stat_file::StatFile;
use super::workspace::Workspace;
use crate::error::{KcanaryError, Result};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;
use std::path::Path;

/// One file at one place, with the metric names its samples go under.
pub struct ReadTarget {
    pub file: &'static str,
    pub at_root: bool,
    pub first_read_metric: &'static str,
    pub read_metric: &'static str,
}

/// In the order they are read; only the very first read can find unflushed stats, later
/// "first reads" show what a second scraper pays right after.
pub const READ_TARGETS: [ReadTarget; 4] = [
    ReadTarget {
        file: "memory.numa_stat",
        at_root: false,
        first_read_metric: "numa_stat_parent_first_read_ns",
        read_metric: "numa_stat_parent_read_ns",
    },
    ReadTarget {
        file: "memory.stat",
        at_root: false,
        first_read_metric: "stat_parent_first_read_ns",
        read_metric: "stat_parent_read_ns",
    },
    ReadTarget {
        file: "memory.numa_stat",
        at_root: true,
        first_read_metric: "numa_stat_root_first_read_ns",
        read_metric: "numa_stat_root_read_ns",
    },
    ReadTarget {
        file: "memory.stat",
        at_root: true,
        first_read_metric: "stat_root_first_read_ns",
        read_metric: "stat_root_read_ns",
    },
];

/// Latencies of one target.
pub struct ReadSamples {
    pub target: &'static ReadTarget,
    pub first_read_ns: f64,
    pub read_ns: Vec<f64>,
}

/// Reads every target once (the first read) and then `reads` more times, on CPU `cpu` when
/// given. Targets the kernel does not offer are skipped (e.g. numa_stat without CONFIG_NUMA).
pub fn measure_reads(
    workspace: &Workspace,
    reads: usize,
    cpu: Option<usize>,
) -> Result<Vec<ReadSamples>> {
    let mut opened = Vec::new();
    for target in &READ_TARGETS {
        let dir: &Path = if target.at_root {
            workspace.hierarchy.root()
        } else {
            &workspace.parent
        };
        if let Some(file) = StatFile::open(&dir.join(target.file))? {
            opened.push((target, file, Vec::with_capacity(reads)));
        }
    }
    let _pin = cpu.map(PinnedThread::to_cpu).transpose()?;
    let mut results = Vec::with_capacity(opened.len());
    for (target, mut file, mut read_ns) in opened {
        let first_read_ns = file.timed_read()? as f64;
        for _ in 0..reads {
            read_ns.push(file.timed_read()? as f64);
        }
        results.push(ReadSamples {
            target,
            first_read_ns,
            read_ns,
        });
    }
    Ok(results)
}

/// Keeps the calling thread on one CPU (so a probe can share it, and migrations stay out of
/// the samples) and restores the previous affinity when dropped.
pub(super) struct PinnedThread {
    previous: CpuSet,
}

impl PinnedThread {
    pub(super) fn to_cpu(cpu: usize) -> Result<PinnedThread> {
        let this_thread = Pid::from_raw(0);
        let previous = sched_getaffinity(this_thread)
            .map_err(|e| KcanaryError::Kernel(format!("sched_getaffinity: {e}")))?;
        let mut only = CpuSet::new();
        only.set(cpu).map_err(|_| {
            KcanaryError::Usage(format!("read_cpu {cpu} is beyond the CPU set size"))
        })?;
        sched_setaffinity(this_thread, &only)
            .map_err(|e| KcanaryError::Usage(format!("cannot pin the reader to CPU {cpu}: {e}")))?;
        Ok(PinnedThread { previous })
    }
}

impl Drop for PinnedThread {
    fn drop(&mut self) {
        let _ = sched_setaffinity(Pid::from_raw(0), &self.previous);
    }
}
