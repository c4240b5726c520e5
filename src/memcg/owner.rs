//! Who owns a `kcanary-<pid>` run: each run holds an exclusive `flock` on
//! `/run/kcanary-<pid>/lock` for its whole life. The kernel drops the lock when the process
//! dies, however it dies (SIGKILL included), so a lock we can take belongs to a dead run. This
//! is immune to pid reuse, unlike asking whether process `<pid>` still runs.

use super::names::run_dir;
use crate::error::{KcanaryError, Result};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// An exclusive lock on a run's lock file; released when dropped (or when the process dies).
pub struct OwnerLock {
    _file: File,
}

/// The lock file of the run of process `pid`.
pub fn lock_path(pid: u32) -> PathBuf {
    run_dir(pid).join("lock")
}

impl OwnerLock {
    /// Creates and locks our own lock file (the run directory must exist).
    pub fn create(pid: u32) -> Result<OwnerLock> {
        let path = lock_path(pid);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", path.display())))?;
        if !try_lock(&file) {
            return Err(KcanaryError::Io(format!(
                "{} is locked by another process",
                path.display()
            )));
        }
        Ok(OwnerLock { _file: file })
    }
}

/// Whether the run of `pid` is still alive.
pub enum Owner {
    Alive,
    /// Dead; when it had a lock file we now hold its lock, so no other kcanary starts cleaning
    /// the same leftovers at the same time.
    Gone(Option<OwnerLock>),
}

/// Decides whether the run of `pid` is alive. Without a lock file (a run killed between
/// creating its run directory and its lock, or only a cgroup left) we fall back to whether
/// the process exists.
pub fn owner_of(pid: u32) -> Owner {
    let process_exists = std::path::Path::new(&format!("/proc/{pid}")).exists();
    match File::options().write(true).open(lock_path(pid)) {
        Ok(file) if try_lock(&file) => Owner::Gone(Some(OwnerLock { _file: file })),
        // The process is gone but the lock is held: a charging child forked just before the
        // kill has not yet closed its inherited copy. It will in a moment.
        Ok(file) if !process_exists && lock_within(&file, ORPHAN_GRACE) => {
            Owner::Gone(Some(OwnerLock { _file: file }))
        }
        Ok(_) => Owner::Alive,
        Err(_) if process_exists => Owner::Alive,
        Err(_) => Owner::Gone(None),
    }
}

/// How long an orphaned charging child may hold a dead run's lock.
const ORPHAN_GRACE: Duration = Duration::from_secs(2);

fn lock_within(file: &File, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
        if try_lock(file) {
            return true;
        }
    }
    false
}

fn try_lock(file: &File) -> bool {
    // SAFETY: flock on an fd we own.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Exclusive use of a hierarchy's global counters: on cgroup v1 the dying count is only known
/// for the whole hierarchy, so two memcg runs at once would count each other's cgroups. The
/// lock is an `flock` on the hierarchy's root directory, so it leaves no file behind and dies
/// with its holder.
pub struct HierarchyLock {
    _root: File,
}

/// How long to wait for another run to finish before giving up.
const HIERARCHY_WAIT: Duration = Duration::from_secs(30 * 60);

impl HierarchyLock {
    /// Takes the lock, waiting (and saying so on stderr) while another kcanary holds it.
    pub fn acquire(root: &std::path::Path) -> Result<HierarchyLock> {
        let file = File::open(root)
            .map_err(|e| KcanaryError::Io(format!("cannot open {}: {e}", root.display())))?;
        if !try_lock(&file) {
            eprintln!(
                "kcanary: waiting for another memcg run to finish (it holds a lock on {}; \
                 dying-cgroup counts are global, so runs cannot overlap)",
                root.display()
            );
            if !lock_within(&file, HIERARCHY_WAIT) {
                return Err(KcanaryError::Io(format!(
                    "{} stayed locked for {} minutes: another memcg run is still going",
                    root.display(),
                    HIERARCHY_WAIT.as_secs() / 60
                )));
            }
        }
        Ok(HierarchyLock { _root: file })
    }
}
