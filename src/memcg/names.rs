//! The names kcanary gives the things a memcg run owns, so that a later run can recognise the
//! leftovers of a killed one: `kcanary-<pid>` for the parent cgroup and the run directory, and
//! what the run directory holds (the tmpfs mount point, the page-cache note). `workspace`
//! creates them and `leftovers` removes them; both read the layout from here.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

/// Where run directories (lock file, tmpfs mount point) live.
pub const RUN_ROOT: &str = "/run";

/// `kcanary-<pid>`: the parent cgroup and the run directory of the process `pid`.
pub fn owner_name(pid: u32) -> String {
    format!("kcanary-{pid}")
}

/// The pid in a `kcanary-<pid>` name; `None` for anything else (`kcanary-x`, `kcanary-1a`).
pub fn owner_pid(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("kcanary-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `/run/kcanary-<pid>`.
pub fn run_dir(pid: u32) -> PathBuf {
    Path::new(RUN_ROOT).join(owner_name(pid))
}

/// Where the tmpfs charge store is mounted, inside the run directory.
pub fn tmpfs_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("tmpfs")
}

/// The file in the run directory that records a page-cache store, so a later run can find it.
pub fn page_cache_note(run_dir: &Path) -> PathBuf {
    run_dir.join("page-cache-dir")
}

/// The page-cache store a run recorded in its run directory. Only a directory named like the
/// run itself is accepted, so a damaged note can never point the cleanup at other files.
pub fn recorded_page_cache_store(run_dir: &Path) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let text = std::fs::read(page_cache_note(run_dir)).ok()?;
    let store = PathBuf::from(std::ffi::OsStr::from_bytes(&text));
    (store.is_absolute() && store.file_name() == run_dir.file_name()).then_some(store)
}

/// A NUL-terminated path `<prefix><number><suffix>` rewritten in place for each number, so the
/// build-up loop names 50,000 cgroups and files without allocating.
pub struct NumberedPath {
    bytes: Vec<u8>,
    prefix_len: usize,
    suffix: &'static str,
}

/// Enough for any u64 in decimal.
const MAX_DIGITS: usize = 20;

impl NumberedPath {
    pub fn new(prefix: &Path, suffix: &'static str) -> NumberedPath {
        use std::os::unix::ffi::OsStrExt;
        let prefix = prefix.as_os_str().as_bytes();
        let mut bytes = Vec::with_capacity(prefix.len() + MAX_DIGITS + suffix.len() + 1);
        bytes.extend_from_slice(prefix);
        NumberedPath {
            bytes,
            prefix_len: prefix.len(),
            suffix,
        }
    }

    /// The path for `number`. Never reallocates: the capacity was reserved in `new`.
    pub fn set(&mut self, number: u64) -> &CStr {
        let mut digits = [0u8; MAX_DIGITS];
        let mut start = MAX_DIGITS;
        let mut rest = number;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.bytes.truncate(self.prefix_len);
        self.bytes.extend_from_slice(&digits[start..]);
        self.bytes.extend_from_slice(self.suffix.as_bytes());
        self.bytes.push(0);
        CStr::from_bytes_with_nul(&self.bytes).expect("prefix and suffix hold no NUL")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_names_round_trip_and_reject_look_alikes() {
        assert_eq!(owner_pid(&owner_name(4242)), Some(4242));
        assert_eq!(owner_pid("kcanary-"), None);
        assert_eq!(owner_pid("kcanary-12x"), None);
        assert_eq!(owner_pid("kcanary-+12"), None);
        assert_eq!(owner_pid("other-12"), None);
    }

    #[test]
    fn numbered_path_is_rewritten_in_place() {
        let mut path = NumberedPath::new(
            Path::new("/sys/fs/cgroup/memory/kcanary-1/c"),
            "/cgroup.procs",
        );
        let capacity = path.bytes.capacity();
        assert_eq!(
            path.set(0).to_str().unwrap(),
            "/sys/fs/cgroup/memory/kcanary-1/c0/cgroup.procs"
        );
        assert_eq!(
            path.set(49_999).to_str().unwrap(),
            "/sys/fs/cgroup/memory/kcanary-1/c49999/cgroup.procs"
        );
        assert_eq!(
            path.set(u64::MAX).to_bytes().len(),
            "/sys/fs/cgroup/memory/kcanary-1/c".len() + 20 + 13
        );
        assert_eq!(path.bytes.capacity(), capacity, "no reallocation");
    }
}
