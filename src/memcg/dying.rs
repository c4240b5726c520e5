//! Counting dying memory cgroups: removed cgroups the kernel still keeps because pages are
//! charged to them. Other software on the host creates and removes cgroups too, so callers
//! count the difference between two readings, never an absolute number.

use super::hierarchy::{CgroupVersion, MemoryHierarchy};
use crate::error::{KcanaryError, Result};
use std::path::Path;

/// Dying memory cgroups in the whole hierarchy right now.
///
/// v1 has no dying counter: `/proc/cgroups` counts every memory cgroup the kernel still holds
/// (live or dying), so the dying ones are that minus the directories we can see. v2 keeps the
/// count in the root's `cgroup.stat`.
pub fn dying_in_hierarchy(hierarchy: &MemoryHierarchy) -> Result<i64> {
    match hierarchy.version {
        CgroupVersion::V1 => {
            let held = read_text("/proc/cgroups").and_then(|text| {
                memory_cgroups_in_proc_cgroups(&text)
                    .ok_or_else(|| KcanaryError::Kernel("/proc/cgroups has no memory line".into()))
            })?;
            let live = count_directories(hierarchy.root());
            Ok(held as i64 - live as i64)
        }
        CgroupVersion::V2 => Ok(dying_descendants(hierarchy.root())? as i64),
    }
}

/// v2 only: `nr_dying_descendants` of one cgroup (exactly the dying cgroups below it).
pub fn dying_descendants(cgroup: &Path) -> Result<u64> {
    let path = cgroup.join("cgroup.stat");
    let text = read_text(&path)?;
    keyed_value(&text, "nr_dying_descendants").ok_or_else(|| {
        KcanaryError::Kernel(format!(
            "{} has no nr_dying_descendants line",
            path.display()
        ))
    })
}

/// `num_cgroups` of the `memory` line of /proc/cgroups
/// (`#subsys_name hierarchy num_cgroups enabled`).
pub fn memory_cgroups_in_proc_cgroups(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        if fields.next()? != "memory" {
            return None;
        }
        fields.nth(1)?.parse().ok()
    })
}

/// The value of `key value` in a flat keyed file (cgroup.stat, memory.stat).
pub fn keyed_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok()).flatten()
    })
}

/// Live cgroups at and below `root` (each is a directory). Directories that vanish while we
/// walk (other software removing cgroups) are simply not counted.
pub fn count_directories(root: &Path) -> u64 {
    let mut count = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        count += 1;
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(entry.path());
            }
        }
    }
    count
}

fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    std::fs::read_to_string(path)
        .map_err(|e| KcanaryError::Kernel(format!("cannot read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_cgroups_and_cgroup_stat() {
        let proc_cgroups = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n\
                            cpu\t1\t1\t1\nmemory\t4\t31\t1\npids\t8\t1\t1\n";
        assert_eq!(memory_cgroups_in_proc_cgroups(proc_cgroups), Some(31));
        assert_eq!(memory_cgroups_in_proc_cgroups("cpu\t1\t1\t1\n"), None);
        let stat = "nr_descendants 3\nnr_subsys_cpu 1\nnr_dying_descendants 1200\n";
        assert_eq!(keyed_value(stat, "nr_dying_descendants"), Some(1200));
        assert_eq!(keyed_value(stat, "nr_dying"), None);
    }

    #[test]
    fn counts_this_hosts_dying_cgroups() {
        let hierarchy = MemoryHierarchy::detect().expect("memory hierarchy on the test host");
        let dying = dying_in_hierarchy(&hierarchy).unwrap();
        assert!(
            dying >= 0,
            "more live cgroups than the kernel holds: {dying}"
        );
    }
}
