//! The files a dynamically linked guest init needs before its `main` runs: the program
//! interpreter (`PT_INTERP`) and every library in the `DT_NEEDED` closure, at the paths where
//! the guest's loader will look for them.
//!
//! The guest has no `/etc/ld.so.cache`, so its loader (the host's, copied) searches each
//! object's RUNPATH (or RPATH) and then its built-in system directories. We search the same
//! places on the host, in the same order, and store each library at the path where we found it.
//!
//! Why not ask the host's loader (`ld.so --list`)? It answers for the host: it consults
//! ld.so.cache, which the guest will not have, and it picks the `glibc-hwcaps/x86-64-v3` (or
//! v4) variant of a library when the host's CPU has those instructions, which the guest's
//! emulated CPU may lack. The plain directories hold the baseline build that runs anywhere.
//! The unit tests check that both ways agree on this binary's libraries.

use super::elf;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};

/// glibc's built-in search directories on x86_64: Debian's multiarch ones (`ld.so --help`
/// lists them as "system search path" on Debian 12), then the lib64 layout of Fedora, RHEL
/// and SUSE, then the plain ones.
const SYSTEM_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// One entry the initramfs needs for the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoaderFile {
    /// The host file `source`, stored at `path` (symbolic links on the host followed).
    Copy { path: String, source: PathBuf },
    /// A symbolic link at `path` to `target`, another entry: the same host file reached by a
    /// second name (`/lib64/ld-linux-x86-64.so.2` and `/lib/x86_64-linux-gnu/ld-linux-...`).
    Link { path: String, target: String },
}

impl LoaderFile {
    /// Where the entry goes in the guest.
    pub fn path(&self) -> &str {
        match self {
            LoaderFile::Copy { path, .. } | LoaderFile::Link { path, .. } => path,
        }
    }
}

/// The interpreter and the libraries `executable` needs, interpreter first; empty for a
/// static executable. Fails when a library cannot be found where the guest's loader looks.
pub fn loader_files(executable: &Path) -> Result<Vec<LoaderFile>, String> {
    let bytes = std::fs::read(executable).map_err(|e| format!("cannot read: {e}"))?;
    let linking = elf::dynamic_linking(&bytes)?;
    let Some(interpreter) = linking.interpreter.clone() else {
        return Ok(Vec::new());
    };
    if !interpreter.starts_with('/') {
        return Err(format!(
            "its interpreter {interpreter:?} is not an absolute path"
        ));
    }
    let machine = elf::machine(&bytes)?;
    let mut files = Files::default();
    files.add(&interpreter)?;
    // (library name, the directories its requester searches first, the requester)
    let mut pending: VecDeque<(String, Vec<String>, String)> = VecDeque::new();
    let requester = executable.display().to_string();
    pending.extend(requests(&linking, &requester));
    let mut seen = HashSet::new();
    while let Some((name, search_path, requester)) = pending.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let path = find_library(&name, &search_path, machine).ok_or_else(|| {
            format!(
                "{requester} needs {name}, which is in none of {} (the guest has no \
                 ld.so.cache, so only these directories count)",
                search_path
                    .iter()
                    .map(String::as_str)
                    .chain(SYSTEM_DIRS.iter().copied())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })?;
        if files.add(&path)? {
            let library = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let linking = elf::dynamic_linking(&library).map_err(|e| format!("{path}: {e}"))?;
            pending.extend(requests(&linking, &path));
        }
    }
    Ok(files.entries)
}

/// The libraries an object asks for, each with the directories to search before the system
/// ones. `$ORIGIN` entries are dropped: in the guest the executable is `/init`, so `$ORIGIN`
/// would mean another directory than on the host.
fn requests(linking: &elf::DynamicLinking, requester: &str) -> Vec<(String, Vec<String>, String)> {
    let search_path: Vec<String> = linking
        .search_path
        .iter()
        .filter(|dir| dir.starts_with('/') && !dir.contains("$ORIGIN") && !dir.contains("${"))
        .cloned()
        .collect();
    linking
        .needed
        .iter()
        .map(|name| (name.clone(), search_path.clone(), requester.to_string()))
        .collect()
}

/// Where the loader would open `name`: a name with a slash is a path, anything else is
/// searched in `search_path` and then the system directories. A file for another machine
/// (a 32-bit library in /usr/lib) is skipped, as the loader does.
fn find_library(name: &str, search_path: &[String], machine: u16) -> Option<String> {
    if name.contains('/') {
        return name.starts_with('/').then(|| name.to_string());
    }
    search_path
        .iter()
        .map(String::as_str)
        .chain(SYSTEM_DIRS.iter().copied())
        .map(|dir| format!("{}/{name}", dir.trim_end_matches('/')))
        .find(|path| elf_machine(Path::new(path)) == Some(machine))
}

/// The `e_machine` of the file at `path`, reading only its header.
fn elf_machine(path: &Path) -> Option<u16> {
    let mut header = [0u8; 64];
    std::fs::File::open(path)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    elf::machine(&header).ok()
}

/// The entries so far, one copy per host file: a second name for a file already stored
/// becomes a link to the first.
#[derive(Default)]
struct Files {
    entries: Vec<LoaderFile>,
    path_of: HashMap<PathBuf, String>,
}

impl Files {
    /// Adds the host file at `path` under the same path; true when it is a new file (its own
    /// libraries still have to be read).
    fn add(&mut self, path: &str) -> Result<bool, String> {
        let real = std::fs::canonicalize(path).map_err(|e| format!("{path}: {e}"))?;
        if let Some(first) = self.path_of.get(&real) {
            if first != path {
                self.entries.push(LoaderFile::Link {
                    path: path.to_string(),
                    target: first.clone(),
                });
            }
            return Ok(false);
        }
        self.path_of.insert(real.clone(), path.to_string());
        self.entries.push(LoaderFile::Copy {
            path: path.to_string(),
            source: real,
        });
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// What the host's loader resolves for `binary`: (name as the loader prints it, path).
    fn loader_list(interpreter: &str, binary: &Path) -> Vec<(String, PathBuf)> {
        let output = Command::new(interpreter)
            .arg("--list")
            .arg(binary)
            .output()
            .expect("the interpreter runs");
        assert!(output.status.success(), "{interpreter} --list failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| {
                // "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)"
                let (name, rest) = line.trim().split_once(" => ")?;
                let path = rest.split(" (").next()?;
                Some((name.to_string(), PathBuf::from(path)))
            })
            .collect()
    }

    #[test]
    fn this_binary_needs_what_the_hosts_loader_loads() {
        let exe = std::env::current_exe().unwrap();
        let bytes = std::fs::read(&exe).unwrap();
        let linking = elf::dynamic_linking(&bytes).unwrap();
        let interpreter = linking
            .interpreter
            .clone()
            .expect("cargo's default build of the tests is dynamically linked");
        assert!(linking.needed.iter().any(|n| n.starts_with("libc.so")));
        // readelf's view of the same file: the interpreter and every NEEDED entry.
        let readelf = Command::new("readelf")
            .args(["--program-headers", "--dynamic", "--wide"])
            .arg(&exe)
            .output()
            .expect("readelf (binutils) is installed");
        let readelf = String::from_utf8_lossy(&readelf.stdout);
        assert!(
            readelf.contains(&format!("[Requesting program interpreter: {interpreter}]")),
            "{readelf}"
        );
        let needed: Vec<&str> = readelf
            .lines()
            .filter(|l| l.contains("(NEEDED)"))
            .filter_map(|l| l.split('[').nth(1)?.strip_suffix(']'))
            .collect();
        assert_eq!(linking.needed, needed);

        let ours = loader_files(&exe).unwrap();
        assert_eq!(
            ours[0],
            LoaderFile::Copy {
                path: interpreter.clone(),
                source: std::fs::canonicalize(&interpreter).unwrap()
            }
        );
        let copied: HashMap<PathBuf, &str> = ours
            .iter()
            .filter_map(|f| match f {
                LoaderFile::Copy { path, source } => Some((source.clone(), path.as_str())),
                LoaderFile::Link { .. } => None,
            })
            .collect();
        let theirs = loader_list(&interpreter, &exe);
        assert!(!theirs.is_empty());
        for (name, path) in theirs {
            let real = std::fs::canonicalize(&path).unwrap();
            if path.to_string_lossy().contains("glibc-hwcaps") {
                // The host's CPU-specific variant: we take the baseline build instead.
                assert!(
                    ours.iter().any(|f| f.path().ends_with(&format!("/{name}"))),
                    "{name}"
                );
                continue;
            }
            assert!(
                copied.contains_key(&real),
                "the loader loads {name} from {} ({}), we have {ours:?}",
                path.display(),
                real.display()
            );
        }
        // Every link points at a copied entry.
        for file in &ours {
            if let LoaderFile::Link { target, .. } = file {
                assert!(copied.values().any(|p| p == target), "{file:?}");
            }
        }
    }

    #[test]
    fn a_static_executable_needs_nothing() {
        // An ELF header with no program headers: no interpreter, nothing to load.
        let mut header = vec![0u8; 64];
        header[..6].copy_from_slice(b"\x7fELF\x02\x01");
        header[0x12] = 62;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("static");
        std::fs::write(&path, &header).unwrap();
        assert_eq!(loader_files(&path).unwrap(), Vec::new());
    }

    #[test]
    fn a_missing_library_is_not_found_and_origin_is_not_followed() {
        let linking = elf::DynamicLinking {
            interpreter: Some("/lib64/ld-linux-x86-64.so.2".into()),
            needed: vec!["libkcanary-does-not-exist.so.1".into()],
            search_path: vec!["/opt/nowhere".into(), "$ORIGIN/../lib".into()],
        };
        let pending = requests(&linking, "/init");
        assert_eq!(pending[0].1, ["/opt/nowhere"], "$ORIGIN is not followed");
        assert_eq!(find_library(&pending[0].0, &pending[0].1, 62), None);
        assert_eq!(
            find_library("/lib64/ld-linux-x86-64.so.2", &[], 62).as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
    }
}
