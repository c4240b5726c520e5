//! Leftovers of killed runs: a `kcanary-<pid>` parent cgroup (maybe with live, charged
//! children), a `/run/kcanary-<pid>` run directory with a tmpfs still mounted, a page-cache
//! directory. A run removes those of dead owners before it starts, and says so.

use super::hierarchy::MemoryHierarchy;
use super::names::{
    RUN_ROOT, owner_name, owner_pid, recorded_page_cache_store, run_dir, tmpfs_dir,
};
use super::owner::{Owner, owner_of};
use super::teardown::{
    delete_files_in, is_mount_point, remove_cgroup_tree, remove_dir_if_present, unmount,
};
use crate::error::Result;
use std::collections::BTreeSet;
use std::path::Path;

/// What was removed for one dead run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftoverReport {
    pub pid: u32,
    /// Live cgroups removed (the parent included); dying ones vanish once their pages go.
    pub cgroups_removed: u64,
    pub files_deleted: u64,
    pub tmpfs_unmounted: bool,
}

impl std::fmt::Display for LeftoverReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "removed leftovers of an earlier kcanary run ({}, pid {} no longer running): \
             {} cgroups, {} charged files{}",
            owner_name(self.pid),
            self.pid,
            self.cgroups_removed,
            self.files_deleted,
            if self.tmpfs_unmounted {
                ", its tmpfs"
            } else {
                ""
            }
        )
    }
}

/// Removes the leftovers of every dead run, printing one line per run on stderr.
pub fn remove_leftovers(hierarchy: &MemoryHierarchy) -> Result<Vec<LeftoverReport>> {
    let own_pid = std::process::id();
    let mut reports = Vec::new();
    for pid in candidate_pids(hierarchy) {
        if pid == own_pid {
            continue;
        }
        // Holding the dead run's lock keeps a concurrent kcanary from cleaning it too.
        let Owner::Gone(_lock) = owner_of(pid) else {
            continue;
        };
        if let Some(report) = remove_owned_by(hierarchy, pid)? {
            eprintln!("kcanary: {report}");
            reports.push(report);
        }
    }
    Ok(reports)
}

/// What one dead run left, found without touching it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub pid: u32,
    /// Its cgroup, run directory (and tmpfs mount) and page-cache store, those that exist.
    pub paths: Vec<String>,
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a killed kcanary run (pid {}) left {}",
            self.pid,
            self.paths.join(", ")
        )
    }
}

/// The leftovers of every dead run, for commands that leave them alone but say they exist.
pub fn find_leftovers(hierarchy: &MemoryHierarchy) -> Vec<Leftover> {
    let own_pid = std::process::id();
    candidate_pids(hierarchy)
        .into_iter()
        .filter(|&pid| pid != own_pid && matches!(owner_of(pid), Owner::Gone(_)))
        .map(|pid| {
            let mut paths = Vec::new();
            let cgroup = hierarchy.root().join(owner_name(pid));
            let run_dir = run_dir(pid);
            let tmpfs = tmpfs_dir(&run_dir);
            if cgroup.exists() {
                paths.push(cgroup.display().to_string());
            }
            if is_mount_point(&tmpfs) {
                paths.push(format!("a tmpfs mounted on {}", tmpfs.display()));
            } else if run_dir.exists() {
                paths.push(run_dir.display().to_string());
            }
            if let Some(store) = recorded_page_cache_store(&run_dir).filter(|s| s.exists()) {
                paths.push(store.display().to_string());
            }
            Leftover { pid, paths }
        })
        .filter(|leftover| !leftover.paths.is_empty())
        .collect()
}

/// Pids named by `kcanary-<pid>` entries in the hierarchy root and in /run.
fn candidate_pids(hierarchy: &MemoryHierarchy) -> BTreeSet<u32> {
    let mut pids = BTreeSet::new();
    for dir in [hierarchy.root(), Path::new(RUN_ROOT)] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            pids.extend(
                entries
                    .flatten()
                    .filter_map(|e| owner_pid(&e.file_name().to_string_lossy())),
            );
        }
    }
    pids
}

/// Removes whatever the run of `pid` left, whether or not it is alive (the caller decides);
/// `None` when there was nothing.
pub fn remove_owned_by(hierarchy: &MemoryHierarchy, pid: u32) -> Result<Option<LeftoverReport>> {
    let run_dir = run_dir(pid);
    let cgroup = hierarchy.root().join(owner_name(pid));
    if !run_dir.exists() && !cgroup.exists() {
        return Ok(None);
    }
    let mut report = LeftoverReport {
        pid,
        cgroups_removed: 0,
        files_deleted: 0,
        tmpfs_unmounted: false,
    };
    let tmpfs = tmpfs_dir(&run_dir);
    if is_mount_point(&tmpfs) {
        report.files_deleted += delete_files_in(&tmpfs)?;
        unmount(&tmpfs)?;
        report.tmpfs_unmounted = true;
    }
    if let Some(store) = recorded_page_cache_store(&run_dir) {
        report.files_deleted += delete_files_in(&store)?;
        remove_dir_if_present(&store)?;
    }
    report.cgroups_removed = remove_cgroup_tree(hierarchy, &cgroup)?;
    remove_dir_if_present(&run_dir)?;
    Ok(Some(report))
}
