//! Everything one memcg run owns, created in an order that a later run can always undo:
//! run directory `/run/kcanary-<pid>` → its lock → where charged files go (a tmpfs we mount,
//! or a page-cache directory recorded in the run directory) → the parent cgroup
//! `kcanary-<pid>` under the hierarchy root. `teardown` undoes it in reverse, and `Drop`
//! calls it on error paths too; on SIGINT/SIGTERM/SIGHUP the signal thread removes it with
//! the code that removes a killed run's leftovers.

use super::hierarchy::{CgroupVersion, MemoryHierarchy};
use super::names::{owner_name, page_cache_note, run_dir, tmpfs_dir};
use super::owner::OwnerLock;
use super::teardown::{delete_files_in, remove_cgroup_tree, remove_dir_if_present, unmount};
use crate::error::{KcanaryError, Result};
use crate::isolate::signals::{self, OnSignal};
use crate::netlink::errno_name;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Where the charging processes write their pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeMedium {
    /// A private tmpfs: pages stay charged until their file is deleted (no swap on the hosts
    /// we care about, and page-cache reclaim such as DAMON cannot take them).
    Tmpfs,
    /// Page cache of regular files in a directory on a disk file system (closer to what
    /// containers leave behind, but reclaim may free the pages and the dying cgroups with
    /// them after a while).
    PageCache { dir: PathBuf },
}

/// One run's parent cgroup, run directory and charge store. Only one per process at a time
/// (the names derive from the pid), enforced by a process-wide mutex held inside.
pub struct Workspace {
    pub hierarchy: MemoryHierarchy,
    /// `<hierarchy root>/kcanary-<pid>`.
    pub parent: PathBuf,
    /// Where charged files are created.
    pub store: PathBuf,
    run_dir: PathBuf,
    medium: ChargeMedium,
    tmpfs_mounted: bool,
    /// v2: we had to enable the memory controller at the root and turn it off again after.
    enabled_root_memory: bool,
    lock: Option<OwnerLock>,
    torn_down: bool,
    _removed_on_signal: OnSignal,
    _one_per_process: MutexGuard<'static, ()>,
}

static ONE_PER_PROCESS: Mutex<()> = Mutex::new(());

impl Workspace {
    /// Creates the run directory, the charge store (a tmpfs of `tmpfs_bytes` for
    /// `ChargeMedium::Tmpfs`) and the parent cgroup.
    pub fn create(
        hierarchy: &MemoryHierarchy,
        medium: ChargeMedium,
        tmpfs_bytes: u64,
    ) -> Result<Workspace> {
        let guard = ONE_PER_PROCESS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let pid = std::process::id();
        let run_dir = run_dir(pid);
        // Registered before anything exists: whatever has been made when a signal comes is
        // found and removed by name.
        let on_signal_hierarchy = hierarchy.clone();
        let removed_on_signal = signals::on_signal(move || {
            if let Err(e) = super::leftovers::remove_owned_by(&on_signal_hierarchy, pid) {
                eprintln!(
                    "kcanary: warning: cleanup of {} failed: {e}",
                    owner_name(pid)
                );
            }
        });
        let mut workspace = Workspace {
            hierarchy: hierarchy.clone(),
            parent: hierarchy.root().join(owner_name(pid)),
            store: tmpfs_dir(&run_dir),
            run_dir,
            medium,
            tmpfs_mounted: false,
            enabled_root_memory: false,
            lock: None,
            torn_down: false,
            _removed_on_signal: removed_on_signal,
            _one_per_process: guard,
        };
        // Dropped before `workspace` on an early return, whose `Drop` enters a section too.
        let _section = signals::critical_section();
        // A workspace of this very process that an earlier teardown failed to remove.
        super::leftovers::remove_owned_by(hierarchy, pid)?;
        workspace.create_run_dir()?;
        workspace.create_store(tmpfs_bytes)?;
        workspace.create_parent_cgroup()?;
        Ok(workspace)
    }

    fn create_run_dir(&mut self) -> Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&self.run_dir)
            .map_err(|e| {
                KcanaryError::Io(format!("cannot create {}: {e}", self.run_dir.display()))
            })?;
        self.lock = Some(OwnerLock::create(std::process::id())?);
        Ok(())
    }

    fn create_store(&mut self, tmpfs_bytes: u64) -> Result<()> {
        match self.medium.clone() {
            ChargeMedium::Tmpfs => {
                create_dir(&self.store)?;
                mount_tmpfs(&self.store, tmpfs_bytes)?;
                self.tmpfs_mounted = true;
            }
            ChargeMedium::PageCache { dir } => {
                self.store = dir.join(owner_name(std::process::id()));
                let note = page_cache_note(&self.run_dir);
                std::fs::write(&note, self.store.as_os_str().as_encoded_bytes()).map_err(|e| {
                    KcanaryError::Io(format!("cannot write {}: {e}", note.display()))
                })?;
                create_dir(&self.store)?;
            }
        }
        Ok(())
    }

    fn create_parent_cgroup(&mut self) -> Result<()> {
        if self.hierarchy.version == CgroupVersion::V2 {
            self.enabled_root_memory = enable_memory_controller(self.hierarchy.root())?;
        }
        std::fs::create_dir(&self.parent).map_err(|e| cgroup_error("mkdir", &self.parent, e))?;
        if self.hierarchy.version == CgroupVersion::V2 {
            // Children of our parent get a memory controller only if the parent hands it down.
            enable_memory_controller(&self.parent)?;
        }
        Ok(())
    }

    /// Removes everything `create` made. Safe to call twice; `Drop` calls it if nobody did.
    pub fn teardown(&mut self) -> Result<()> {
        if self.torn_down {
            return Ok(());
        }
        let _section = signals::critical_section();
        self.torn_down = true;
        delete_files_in(&self.store)?;
        remove_cgroup_tree(&self.hierarchy, &self.parent)?;
        if self.enabled_root_memory {
            // Best effort: it fails (EBUSY) when someone else started using it meanwhile.
            let _ = std::fs::write(
                self.hierarchy.root().join("cgroup.subtree_control"),
                "-memory",
            );
        }
        if self.tmpfs_mounted {
            unmount(&self.store)?;
        }
        if let ChargeMedium::PageCache { .. } = self.medium {
            remove_dir_if_present(&self.store)?;
        }
        self.lock = None;
        remove_dir_if_present(&self.run_dir)
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!(
                "kcanary: warning: cleanup of {} failed: {e}",
                self.parent.display()
            );
        }
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir(dir)
        .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", dir.display())))
}

fn mount_tmpfs(point: &Path, bytes: u64) -> Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c_point = CString::new(point.as_os_str().as_bytes())
        .map_err(|_| KcanaryError::Io(format!("{} contains NUL", point.display())))?;
    let options = CString::new(format!("size={bytes},mode=0700")).expect("no NUL");
    // SAFETY: mount(2) with NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            c"kcanary".as_ptr(),
            c_point.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            options.as_ptr().cast(),
        )
    };
    if rc != 0 {
        let code = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(KcanaryError::Kernel(format!(
            "mount tmpfs on {}: {}",
            point.display(),
            errno_name(code)
        )));
    }
    Ok(())
}

/// v2: makes sure `cgroup` hands the memory controller to its children; true when we had to
/// switch it on.
fn enable_memory_controller(cgroup: &Path) -> Result<bool> {
    let control = cgroup.join("cgroup.subtree_control");
    let current =
        std::fs::read_to_string(&control).map_err(|e| cgroup_error("read", &control, e))?;
    if current.split_whitespace().any(|c| c == "memory") {
        return Ok(false);
    }
    std::fs::write(&control, "+memory")
        .map_err(|e| cgroup_error("write +memory to", &control, e))?;
    Ok(true)
}

fn cgroup_error(action: &str, path: &Path, e: std::io::Error) -> KcanaryError {
    let message = format!(
        "cannot {action} {}: {}",
        path.display(),
        e.raw_os_error()
            .map(errno_name)
            .unwrap_or_else(|| e.to_string())
    );
    match e.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => {
            KcanaryError::Permission(format!("{message} (memory cgroup workloads need root)"))
        }
        _ => KcanaryError::Kernel(message),
    }
}
