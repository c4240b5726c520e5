//! Makes the guest look like a kernel built without `CONFIG_USER_NS` to kcanary's own init
//! (pid 1): `/proc/self/uid_map` and its siblings disappear, everything else under
//! `/proc/self` stays reachable. For the test that a kernel without user namespaces still
//! runs the workloads that need "root outside any user namespace" (the initial namespace is
//! then the only one), on Debian's kernels, which all have user namespaces.
//!
//! How: the real `/proc/1` is bind-mounted aside, an empty tmpfs is mounted over `/proc/1`,
//! and every entry but the user-namespace files is a symlink to its original. Processes the
//! workloads start have their own `/proc/<pid>` and are not affected.

use nix::mount::{MsFlags, mount};
use std::path::Path;

/// The files a kernel without `CONFIG_USER_NS` does not have under `/proc/<pid>`.
const USER_NS_FILES: &[&str] = &["uid_map", "gid_map", "setgroups", "projid_map"];

/// Where the real `/proc/1` stays reachable.
const ORIGINAL: &str = "/run/kcanary-proc-1";

pub fn hide_user_namespace_files() -> Result<(), String> {
    let own = format!("/proc/{}", std::process::id());
    std::fs::create_dir_all(ORIGINAL).map_err(|e| format!("mkdir {ORIGINAL}: {e}"))?;
    mount(
        Some(own.as_str()),
        ORIGINAL,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| format!("bind {own} on {ORIGINAL}: {e}"))?;
    let entries: Vec<String> = std::fs::read_dir(ORIGINAL)
        .map_err(|e| format!("read {ORIGINAL}: {e}"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !USER_NS_FILES.contains(&name.as_str()))
        .collect();
    mount(
        Some("tmpfs"),
        own.as_str(),
        Some("tmpfs"),
        MsFlags::empty(),
        Some("mode=0555"),
    )
    .map_err(|e| format!("tmpfs on {own}: {e}"))?;
    for name in &entries {
        let link = Path::new(&own).join(name);
        std::os::unix::fs::symlink(Path::new(ORIGINAL).join(name), &link)
            .map_err(|e| format!("symlink {}: {e}", link.display()))?;
    }
    Ok(())
}
