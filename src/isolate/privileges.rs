//! What the current process may do, and the unprivileged user-namespace route.

use crate::error::{KcanaryError, Result};
use nix::sched::{CloneFlags, unshare};
use nix::unistd::{getegid, geteuid};

/// True when running as root (uid 0 in the current user namespace).
pub fn is_root() -> bool {
    geteuid().is_root()
}

/// Enters a new user namespace in which the caller is root, like `unshare -Ur`. Must run while
/// the process is still single-threaded (before any workload thread starts). Gives ipset
/// workloads everything they need; cgroup workloads still need real root.
pub fn enter_user_namespace() -> Result<()> {
    let uid = geteuid();
    let gid = getegid();
    unshare(CloneFlags::CLONE_NEWUSER).map_err(|errno| {
        KcanaryError::Permission(format!(
            "not root, and cannot create a user namespace either (unshare(CLONE_NEWUSER): {}); \
             run kcanary as root, or allow unprivileged user namespaces \
             (sysctl kernel.unprivileged_userns_clone=1)",
            crate::netlink::errno_name(errno as i32)
        ))
    })?;
    let write = |path: &str, text: String| {
        std::fs::write(path, text)
            .map_err(|e| KcanaryError::Permission(format!("cannot write {path}: {e}")))
    };
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("0 {uid} 1"))?;
    write("/proc/self/gid_map", format!("0 {gid} 1"))?;
    Ok(())
}
