//! Finding the memory cgroup hierarchy: a cgroup v1 mount with the `memory` controller, or a
//! cgroup v2 mount whose root offers `memory`. Hybrid hosts (like the development VM) have
//! both a v1 memory mount and a v2 mount without memory; the v1 mount is the one that counts.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    V1,
    V2,
}

/// The mounted hierarchy that holds the memory controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryHierarchy {
    pub version: CgroupVersion,
    /// Where its root cgroup is mounted (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup`).
    pub mount: PathBuf,
}

/// statfs(2) `f_type` of cgroup v1 and v2 mounts (include/uapi/linux/magic.h).
const CGROUP_SUPER_MAGIC: i64 = 0x27e0eb;
const CGROUP2_SUPER_MAGIC: i64 = 0x63677270;

impl MemoryHierarchy {
    /// Finds the memory hierarchy of this process's mount namespace; `Err` is a reason to
    /// skip ("no memory cgroup hierarchy is mounted ...").
    pub fn detect() -> Result<MemoryHierarchy, String> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("cannot read /proc/self/mountinfo: {e}"))?;
        let found = find_in_mountinfo(&mountinfo, |mount| {
            std::fs::read_to_string(mount.join("cgroup.controllers")).ok()
        })
        .ok_or_else(|| {
            "no memory cgroup hierarchy is mounted (neither a cgroup v1 mount with the memory \
             controller nor a cgroup2 mount offering memory in cgroup.controllers)"
                .to_string()
        })?;
        found.check_filesystem_type()?;
        Ok(found)
    }

    /// Confirms with statfs that the mount point really is a cgroup file system of the
    /// expected version (mountinfo can name a path that was over-mounted since).
    fn check_filesystem_type(&self) -> Result<(), String> {
        let magic = filesystem_magic(&self.mount)
            .map_err(|e| format!("statfs {}: {e}", self.mount.display()))?;
        let expected = match self.version {
            CgroupVersion::V1 => CGROUP_SUPER_MAGIC,
            CgroupVersion::V2 => CGROUP2_SUPER_MAGIC,
        };
        if magic != expected {
            return Err(format!(
                "{} is not a cgroup {:?} file system (statfs type {magic:#x})",
                self.mount.display(),
                self.version
            ));
        }
        Ok(())
    }

    /// The root cgroup's directory.
    pub fn root(&self) -> &Path {
        &self.mount
    }
}

fn filesystem_magic(path: &Path) -> std::io::Result<i64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: statfs writes into the zeroed struct we own; the path is NUL-terminated.
    unsafe {
        let mut buffer: libc::statfs = std::mem::zeroed();
        if libc::statfs(c_path.as_ptr(), &mut buffer) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(buffer.f_type as i64)
    }
}

/// Picks the memory hierarchy out of mountinfo text. `controllers_of` reads a cgroup2 root's
/// `cgroup.controllers` (a parameter so unit tests can answer without a kernel).
pub fn find_in_mountinfo(
    mountinfo: &str,
    controllers_of: impl Fn(&Path) -> Option<String>,
) -> Option<MemoryHierarchy> {
    let mounts: Vec<CgroupMount> = mountinfo.lines().filter_map(parse_cgroup_mount).collect();
    let v1 = mounts.iter().find(|m| {
        m.fs_type == "cgroup" && m.root == "/" && m.super_options.split(',').any(|o| o == "memory")
    });
    if let Some(mount) = v1 {
        return Some(MemoryHierarchy {
            version: CgroupVersion::V1,
            mount: mount.point.clone(),
        });
    }
    mounts
        .iter()
        .filter(|m| m.fs_type == "cgroup2" && m.root == "/")
        .find(|m| {
            controllers_of(&m.point)
                .is_some_and(|text| text.split_whitespace().any(|c| c == "memory"))
        })
        .map(|m| MemoryHierarchy {
            version: CgroupVersion::V2,
            mount: m.point.clone(),
        })
}

/// The fields of one mountinfo line that matter here.
#[derive(Debug)]
struct CgroupMount {
    root: String,
    point: PathBuf,
    fs_type: String,
    super_options: String,
}

/// Parses `id parent major:minor root point options [optional...] - type source superoptions`;
/// `None` for lines that are not cgroup mounts or are malformed.
fn parse_cgroup_mount(line: &str) -> Option<CgroupMount> {
    let (before, after) = line.split_once(" - ")?;
    let mut left = before.split(' ');
    let root = left.nth(3)?;
    let point = left.next()?;
    let mut right = after.split(' ');
    let fs_type = right.next()?;
    if fs_type != "cgroup" && fs_type != "cgroup2" {
        return None;
    }
    let super_options = right.nth(1).unwrap_or("");
    Some(CgroupMount {
        root: unescape_octal(root),
        point: PathBuf::from(unescape_octal(point)),
        fs_type: fs_type.to_string(),
        super_options: super_options.to_string(),
    })
}

/// mountinfo writes space, tab, newline and backslash in paths as `\040`-style octal escapes.
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match escape {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines from this project's development VM (hybrid: v1 memory, v2 without memory).
    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw";

    /// A pure v2 host (systemd default), with an optional field before the separator.
    const PURE_V2: &str = "\
25 21 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot";

    #[test]
    fn hybrid_host_uses_the_v1_memory_mount() {
        let found = find_in_mountinfo(HYBRID, |_| Some("cpu io".into())).unwrap();
        assert_eq!(found.version, CgroupVersion::V1);
        assert_eq!(found.mount, PathBuf::from("/sys/fs/cgroup/memory"));
    }

    #[test]
    fn pure_v2_host_needs_memory_in_controllers() {
        let found =
            find_in_mountinfo(PURE_V2, |_| Some("cpuset cpu io memory pids\n".into())).unwrap();
        assert_eq!(
            found,
            MemoryHierarchy {
                version: CgroupVersion::V2,
                mount: "/sys/fs/cgroup".into()
            }
        );
        assert!(find_in_mountinfo(PURE_V2, |_| Some("cpu io pids\n".into())).is_none());
        assert!(find_in_mountinfo("", |_| None).is_none());
    }

    #[test]
    fn escaped_mount_points_and_bind_mounted_subtrees() {
        let line = "35 31 0:32 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory";
        assert_eq!(
            find_in_mountinfo(line, |_| None).unwrap().mount,
            PathBuf::from("/mnt/my cgroups")
        );
        let subtree = "35 31 0:32 /some/child /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory";
        assert!(
            find_in_mountinfo(subtree, |_| None).is_none(),
            "not the hierarchy root"
        );
    }

    #[test]
    fn this_host_has_a_memory_hierarchy() {
        let found = MemoryHierarchy::detect().expect("memory hierarchy on the test host");
        assert!(found.mount.join("cgroup.procs").exists());
    }
}
