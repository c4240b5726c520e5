//! Removing what a memcg run created, for our own run and for leftovers of a killed one:
//! delete the charged files (uncharging their pages), ask the kernel to reclaim what is left,
//! then remove the cgroups bottom-up. The order matters: a cgroup removed while pages are
//! still charged to it becomes one more dying cgroup instead of disappearing.

use super::hierarchy::{CgroupVersion, MemoryHierarchy};
use crate::error::{KcanaryError, Result};
use crate::netlink::errno_name;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long `rmdir` may keep failing with EBUSY: a killed run's charging process can still
/// be exiting when the next run cleans up.
const BUSY_GRACE: Duration = Duration::from_secs(5);

/// Deletes every entry under `dir` (not `dir` itself). Returns how many files went.
pub fn delete_files_in(dir: &Path) -> Result<u64> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_error("list", dir, e)),
    };
    let mut deleted = 0;
    for entry in entries {
        let path = entry.map_err(|e| io_error("list", dir, e))?.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => deleted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("delete", &path, e)),
        }
    }
    Ok(deleted)
}

/// Asks the kernel to reclaim everything charged at and below `cgroup`: `memory.force_empty`
/// on v1, `memory.reclaim` (5.19+) on v2. Best effort: tmpfs pages cannot be reclaimed
/// without swap (their files were deleted first), and a little kernel memory may stay
/// charged; those make the kernel answer EBUSY/EAGAIN, which is not an error here.
pub fn reclaim(hierarchy: &MemoryHierarchy, cgroup: &Path) -> Result<()> {
    let (file, amount) = match hierarchy.version {
        CgroupVersion::V1 => ("memory.force_empty", "0".to_string()),
        CgroupVersion::V2 => {
            let current =
                std::fs::read_to_string(cgroup.join("memory.current")).unwrap_or_default();
            match current.trim().parse::<u64>() {
                Ok(0) | Err(_) => return Ok(()),
                Ok(bytes) => ("memory.reclaim", bytes.to_string()),
            }
        }
    };
    let path = cgroup.join(file);
    match std::fs::write(&path, amount) {
        Ok(()) => Ok(()),
        Err(e) => match e.raw_os_error() {
            Some(libc::EBUSY | libc::EAGAIN | libc::ENOENT) => Ok(()),
            Some(code) => Err(KcanaryError::Kernel(format!(
                "write {}: {}",
                path.display(),
                errno_name(code)
            ))),
            None => Err(io_error("write", &path, e)),
        },
    }
}

/// Reclaims, then removes `top` and every cgroup below it, deepest first. Returns how many
/// cgroups were removed (0 when `top` does not exist).
pub fn remove_cgroup_tree(hierarchy: &MemoryHierarchy, top: &Path) -> Result<u64> {
    if !top.exists() {
        return Ok(0);
    }
    reclaim(hierarchy, top)?;
    let mut removed = 0;
    for cgroup in directories_deepest_first(top) {
        remove_cgroup(&cgroup)?;
        removed += 1;
    }
    Ok(removed)
}

/// `top` and its subdirectories, children before parents.
fn directories_deepest_first(top: &Path) -> Vec<PathBuf> {
    let mut order = Vec::new();
    let mut pending = vec![top.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    pending.push(entry.path());
                }
            }
        }
        order.push(dir);
    }
    order.reverse();
    order
}

/// rmdir with a grace period for EBUSY (tasks still exiting); ENOENT counts as done.
fn remove_cgroup(cgroup: &Path) -> Result<()> {
    let started = Instant::now();
    loop {
        match std::fs::remove_dir(cgroup) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && started.elapsed() < BUSY_GRACE => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                let name = e
                    .raw_os_error()
                    .map(errno_name)
                    .unwrap_or_else(|| e.to_string());
                return Err(KcanaryError::Kernel(format!(
                    "rmdir {}: {name}",
                    cgroup.display()
                )));
            }
        }
    }
}

/// True when `path` is a mount point in our mount namespace.
pub fn is_mount_point(path: &Path) -> bool {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let wanted = path.to_string_lossy();
    mountinfo
        .lines()
        .any(|line| line.split(' ').nth(4) == Some(wanted.as_ref()))
}

/// Unmounts `point` if something is mounted there; lazily when it is busy.
pub fn unmount(point: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    while is_mount_point(point) {
        let c_point = std::ffi::CString::new(point.as_os_str().as_bytes())
            .map_err(|_| KcanaryError::Io(format!("{} contains NUL", point.display())))?;
        // SAFETY: umount2 on a NUL-terminated path.
        if unsafe { libc::umount2(c_point.as_ptr(), 0) } != 0 {
            let code = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            // SAFETY: as above.
            if code != libc::EBUSY
                || unsafe { libc::umount2(c_point.as_ptr(), libc::MNT_DETACH) } != 0
            {
                return Err(KcanaryError::Kernel(format!(
                    "umount {}: {}",
                    point.display(),
                    errno_name(code)
                )));
            }
        }
    }
    Ok(())
}

/// Removes `dir` and everything in it; nothing to do when it is already gone.
pub fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(KcanaryError::Io(format!(
            "cannot remove {}: {e}",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

fn io_error(action: &str, path: &Path, e: std::io::Error) -> KcanaryError {
    KcanaryError::Io(format!("cannot {action} {}: {e}", path.display()))
}
