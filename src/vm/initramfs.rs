//! Builds the guest's initramfs: a static kcanary as `/init`, the modules to load (already
//! decompressed, numbered in load order), scenario files and the guest configuration.

use super::cpio::CpioWriter;
use super::elf;
use super::modules::{LoadPlan, read_module};
use super::protocol::{CONFIG_PATH, GuestConfig, MODULE_DIR, SCENARIO_DIR};
use crate::error::{KcanaryError, Result};
use std::path::{Path, PathBuf};

/// Where `cargo build --target x86_64-unknown-linux-gnu` puts a static build, relative to the
/// target directory, and the command that makes one.
const STATIC_TARGET: &str = "x86_64-unknown-linux-gnu";
pub const STATIC_BUILD_HINT: &str = "RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release \
     --target x86_64-unknown-linux-gnu";

/// Finds a static kcanary to run as the guest's init: `explicit` (--guest-binary), then
/// $KCANARY_GUEST_BINARY, then this executable if it is static, then the static build next to
/// this executable's target directory (`target/release/kcanary` →
/// `target/x86_64-unknown-linux-gnu/release/kcanary`).
pub fn find_guest_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    let from_env = std::env::var_os("KCANARY_GUEST_BINARY").map(PathBuf::from);
    if let Some(path) = explicit.map(Path::to_path_buf).or(from_env) {
        check_static(&path)?;
        return Ok(path);
    }
    let current = std::env::current_exe()
        .map_err(|e| KcanaryError::Io(format!("cannot find this executable: {e}")))?;
    let mut candidates = vec![current.clone()];
    if let Some(profile_dir) = current.parent() {
        let profile = profile_dir.file_name().unwrap_or_default();
        if let Some(target_dir) = profile_dir.parent() {
            // Tests run from target/<profile>/deps: look in target/<triple>/<profile> too.
            let (target_dir, profile) = if profile == "deps" {
                (
                    target_dir.parent().unwrap_or(target_dir),
                    target_dir.file_name().unwrap_or_default(),
                )
            } else {
                (target_dir, profile)
            };
            candidates.push(target_dir.join(STATIC_TARGET).join(profile).join("kcanary"));
            candidates.push(
                target_dir
                    .join(STATIC_TARGET)
                    .join("release")
                    .join("kcanary"),
            );
        }
    }
    for candidate in &candidates {
        if candidate.is_file() && check_static(candidate).is_ok() {
            return Ok(candidate.clone());
        }
    }
    Err(KcanaryError::Io(format!(
        "the guest needs a statically linked kcanary as its init, and {} is dynamically linked. \
         Build one with `{STATIC_BUILD_HINT}` and pass it with --guest-binary (or set \
         KCANARY_GUEST_BINARY)",
        current.display()
    )))
}

fn check_static(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path)
        .map_err(|e| KcanaryError::bad_input(path, None, format!("cannot read: {e}")))?;
    match elf::is_static_executable(&bytes) {
        Ok(true) => Ok(()),
        Ok(false) => Err(KcanaryError::bad_input(
            path,
            None,
            format!(
                "dynamically linked: the guest has no libraries. Build with `{STATIC_BUILD_HINT}`"
            ),
        )),
        Err(reason) => Err(KcanaryError::bad_input(path, None, reason)),
    }
}

/// Writes the initramfs to `out` and returns the number of modules it holds.
pub fn build(
    out: &Path,
    guest_binary: &Path,
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
