//! Builds the guest's initramfs: kcanary as `/init` (with its dynamic loader and libraries at
//! their host paths when it is dynamically linked, see `shared_libs`), the modules to load
//! (already decompressed, numbered in load order), scenario files and the guest configuration.

use super::cpio::CpioWriter;
use super::modules::{LoadPlan, read_module};
use super::protocol::{CONFIG_PATH, GuestConfig, MODULE_DIR, SCENARIO_DIR};
use super::shared_libs::{self, LoaderFile};
use crate::error::{KcanaryError, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Where `cargo build --target x86_64-unknown-linux-gnu` puts a static build, relative to the
/// target directory, and the command that makes one: the fallback when this executable's
/// libraries cannot be found where the guest's loader looks.
const STATIC_TARGET: &str = "x86_64-unknown-linux-gnu";
pub const STATIC_BUILD_HINT: &str = "RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release \
     --target x86_64-unknown-linux-gnu";

/// Finds the kcanary to run as the guest's init: `explicit` (--guest-binary), then
/// $KCANARY_GUEST_BINARY, then this executable (static, or dynamic with its loader and
/// libraries found), then a static build next to this executable's target directory
/// (`target/release/kcanary` → `target/x86_64-unknown-linux-gnu/release/kcanary`).
pub fn find_guest_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    let from_env = std::env::var_os("KCANARY_GUEST_BINARY").map(PathBuf::from);
    if let Some(path) = explicit.map(Path::to_path_buf).or(from_env) {
        check_usable(&path)?;
        return Ok(path);
    }
    let current = std::env::current_exe()
        .map_err(|e| KcanaryError::Io(format!("cannot find this executable: {e}")))?;
    let why_not_current = match check_usable(&current) {
        Ok(()) => return Ok(current),
        Err(e) => e,
    };
    for candidate in static_builds_beside(&current) {
        if candidate.is_file() && check_usable(&candidate).is_ok() {
            return Ok(candidate);
        }
    }
    Err(KcanaryError::Io(format!(
        "{why_not_current}. Build a static kcanary with `{STATIC_BUILD_HINT}` and pass it with \
         --guest-binary (or set KCANARY_GUEST_BINARY)"
    )))
}

/// `target/<triple>/<profile>/kcanary` and `target/<triple>/release/kcanary` for an executable
/// in `target/<profile>/` (or `target/<profile>/deps/`, where tests run).
fn static_builds_beside(current: &Path) -> Vec<PathBuf> {
    let Some(profile_dir) = current.parent() else {
        return Vec::new();
    };
    let profile = profile_dir.file_name().unwrap_or_default();
    let Some(target_dir) = profile_dir.parent() else {
        return Vec::new();
    };
    let (target_dir, profile) = if profile == "deps" {
        (
            target_dir.parent().unwrap_or(target_dir),
            target_dir.file_name().unwrap_or_default(),
        )
    } else {
        (target_dir, profile)
    };
    vec![
        target_dir.join(STATIC_TARGET).join(profile).join("kcanary"),
        target_dir
            .join(STATIC_TARGET)
            .join("release")
            .join("kcanary"),
    ]
}

/// A warning when the guest binary is another build than this kcanary (the guest's results
/// record its own commit; a stale --guest-binary is the usual cause).
pub fn version_mismatch(guest_binary: &Path) -> Option<String> {
    let ours = format!(
        "{} ({})",
        env!("CARGO_PKG_VERSION"),
        env!("KCANARY_GIT_COMMIT")
    );
    let output = std::process::Command::new(guest_binary)
        .arg("--version")
        .output()
        .ok()?;
    let theirs = String::from_utf8_lossy(&output.stdout)
        .trim()
        .trim_start_matches("kcanary ")
        .to_string();
    (theirs != ours).then(|| {
        format!(
            "warning: the guest binary {} is kcanary {theirs}, this is kcanary {ours}: rebuild it, \
             or leave out --guest-binary and KCANARY_GUEST_BINARY to use this kcanary",
            guest_binary.display()
        )
    })
}

/// The guest can run `path` as init: a static executable, or a dynamic one whose loader and
/// libraries are all found.
fn check_usable(path: &Path) -> Result<()> {
    guest_loader_files(path).map(drop)
}

/// What the guest needs beside `path` to run it as init: nothing for a static executable,
/// its loader and libraries for a dynamic one. Worked out once per session: every
/// initramfs of the session carries the same files.
pub fn guest_loader_files(path: &Path) -> Result<Vec<LoaderFile>> {
    shared_libs::loader_files(path).map_err(|reason| {
        KcanaryError::bad_input(path, None, format!("cannot be the guest's init: {reason}"))
    })
}

/// Writes the initramfs to `out` and returns the number of modules it holds.
pub fn build(
    out: &Path,
    guest_binary: &Path,
    loader_files: &[LoaderFile],
    plan: &LoadPlan,
    scenario_files: &[(String, PathBuf)],
    mut config: GuestConfig,
) -> Result<usize> {
    let io = |e: std::io::Error| KcanaryError::Io(format!("cannot write {}: {e}", out.display()));
    let init = std::fs::read(guest_binary)
        .map_err(|e| KcanaryError::Io(format!("cannot read {}: {e}", guest_binary.display())))?;
    let file = std::fs::File::create(out).map_err(io)?;
    let mut cpio = CpioWriter::new(std::io::BufWriter::new(file));
    for dir in [
        "/dev",
        "/proc",
        "/sys",
        "/tmp",
        "/run",
        "/kcanary",
        MODULE_DIR,
        SCENARIO_DIR,
    ] {
        cpio.directory(dir, 0o755).map_err(io)?;
    }
    // The kernel opens /dev/console for init's stdio before /init runs, so it must exist in
    // the archive (devtmpfs is mounted over /dev later).
    cpio.char_device("/dev/console", 0o600, 5, 1).map_err(io)?;
    cpio.file("/init", 0o755, &init).map_err(io)?;
    write_loader_files(&mut cpio, loader_files).map_err(io)?;
    config.modules.clear();
    for (index, (name, path)) in plan.ordered.iter().enumerate() {
        let target = format!("{MODULE_DIR}/{index:03}-{name}.ko");
        cpio.file(&target, 0o644, &read_module(path)?).map_err(io)?;
        config.modules.push(target);
    }
    for (name, path) in scenario_files {
        let text = std::fs::read(path)
            .map_err(|e| KcanaryError::bad_input(path, None, format!("cannot read: {e}")))?;
        cpio.file(&format!("{SCENARIO_DIR}/{name}"), 0o644, &text)
            .map_err(io)?;
    }
    let config_json =
        serde_json::to_vec_pretty(&config).map_err(|e| KcanaryError::Io(e.to_string()))?;
    cpio.file(CONFIG_PATH, 0o644, &config_json).map_err(io)?;
    cpio.finish().map_err(io)?;
    Ok(plan.ordered.len())
}

/// The loader and libraries of a dynamic init, each after the directories above it.
fn write_loader_files<W: std::io::Write>(
    cpio: &mut CpioWriter<W>,
    files: &[LoaderFile],
) -> std::io::Result<()> {
    let mut directories = HashSet::new();
    for file in files {
        let parents: Vec<&Path> = Path::new(file.path())
            .ancestors()
            .skip(1)
            .filter(|dir| *dir != Path::new("/"))
            .collect();
        for dir in parents.into_iter().rev() {
            if directories.insert(dir.to_path_buf()) {
                cpio.directory(&dir.to_string_lossy(), 0o755)?;
            }
        }
        match file {
            LoaderFile::Copy { path, source } => {
                let bytes = std::fs::read(source).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("{}: {e}", source.display()))
                })?;
                cpio.file(path, 0o755, &bytes)?;
            }
            LoaderFile::Link { path, target } => cpio.symlink(path, target)?,
        }
    }
    Ok(())
}
