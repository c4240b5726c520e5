//! Reading and writing results files. Writes are atomic (temporary file + rename in the same
//! directory), so a run killed while saving never leaves a truncated file behind.

use super::{RunResults, SCHEMA_VERSION};
use crate::error::KcanaryError;
use crate::isolate::signals;
use std::io::Write;
use std::path::Path;

/// Serialises `value` as pretty JSON and atomically replaces `path` with it.
pub fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), KcanaryError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| KcanaryError::Io(format!("cannot serialise {}: {e}", path.display())))?;
    write_bytes_atomic(path, &bytes)
}

/// Atomically replaces `path` with `bytes` (fsync before rename, so a crash leaves either the
/// old file or the new one). On any error, and on SIGINT/SIGTERM/SIGHUP, the temporary file is
/// removed: a full disk or a stopped run must not also leave a half-written `.NAME.tmp-PID`.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<(), KcanaryError> {
    let io_err =
        |e: std::io::Error| KcanaryError::Io(format!("cannot write {}: {e}", path.display()));
    // /dev/null, /dev/stdout, a FIFO: write in place; renaming over them would replace them.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::write(path, bytes).map_err(io_err);
    }
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(io_err)?;
    let tmp = temporary_path(&dir, path, "tmp");
    // A signal while the file exists removes it too. The section keeps the signal's cleanup
    // from looking before the file is created; the long write runs outside it.
    let section = signals::critical_section();
    let removed_on_signal = signals::on_signal({
        let tmp = tmp.clone();
        move || {
            let _ = std::fs::remove_file(&tmp);
        }
    });
    let created = std::fs::File::create(&tmp);
    drop(section);
    let written = created.and_then(|file| write_and_rename(file, &tmp, path, bytes));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    drop(removed_on_signal);
    written.map_err(io_err)
}

fn write_and_rename(
    mut file: std::fs::File,
    tmp: &Path,
    path: &Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, path)
}

/// Checks, before any measuring, that [`write_bytes_atomic`] could write `path`: hours of
/// measurements must not be lost to a typo in `--out`. Creates and removes a probe file in
/// the nearest existing directory on the way (missing directories would be created by the
/// write). A failure is bad input naming the path.
pub fn check_writable(path: &Path) -> Result<(), KcanaryError> {
    let refuse = |why: String| {
        KcanaryError::Usage(format!("cannot write results to {}: {why}", path.display()))
    };
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(refuse("it is a directory".into()));
    }
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        // A device or FIFO is written in place.
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map(drop)
            .map_err(|e| refuse(e.to_string()));
    }
    let mut dir = parent_dir(path);
    while !dir.exists() {
        match dir.parent() {
            Some(up) if !up.as_os_str().is_empty() => dir = up.to_path_buf(),
            _ => dir = std::path::PathBuf::from("."),
        }
    }
    if !dir.is_dir() {
        return Err(refuse(format!("{} is not a directory", dir.display())));
    }
    let probe = temporary_path(&dir, path, "probe");
    std::fs::File::create(&probe).map_err(|e| refuse(format!("{}: {e}", dir.display())))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn parent_dir(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// `.NAME.KIND-PID` in `dir`: hidden, and unique per process.
fn temporary_path(dir: &Path, path: &Path, kind: &str) -> std::path::PathBuf {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{file_name}.{kind}-{}", std::process::id()))
}

/// Reads and validates a results file; any problem is a bad-input error naming the file.
pub fn read_results(path: &Path) -> Result<RunResults, KcanaryError> {
    let text = crate::text_input::read_document_once(path)?;
    parse_results(path, &text)
}

/// Parses results JSON (the path is only used in error messages).
pub fn parse_results(path: &Path, text: &str) -> Result<RunResults, KcanaryError> {
    let version: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        KcanaryError::bad_input(path, Some(e.line()), format!("not valid JSON: {e}"))
    })?;
    match version.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(KcanaryError::bad_input(
                path,
                None,
                format!(
                    "schema_version {v} is not supported (this kcanary reads {SCHEMA_VERSION})"
                ),
            ));
        }
        None => {
            let message = match version.get("schema_version") {
                None => "no schema_version: this is not a kcanary results file".to_string(),
                Some(other) => {
                    format!("schema_version must be the number {SCHEMA_VERSION}, found {other}")
                }
            };
            return Err(KcanaryError::bad_input(path, None, message));
        }
    }
    let results: RunResults = serde_json::from_value(version).map_err(|e| {
        KcanaryError::bad_input(path, None, format!("not a kcanary results file: {e}"))
    })?;
    for metric in &results.results {
        metric
            .validate()
            .map_err(|reason| KcanaryError::bad_input(path, None, reason))?;
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_files_but_not_devices() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_bytes_atomic(&path, b"one").unwrap();
        write_bytes_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        write_bytes_atomic(Path::new("/dev/null"), b"x").unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn results_files_are_checked() {
        let p = Path::new("r.json");
        assert!(
            parse_results(p, "{")
                .unwrap_err()
                .to_string()
                .starts_with("r.json:1:")
        );
        assert!(
            parse_results(p, "{\"schema_version\": 99}")
                .unwrap_err()
                .to_string()
                .contains("99")
        );
        assert!(
            parse_results(p, "{}")
                .unwrap_err()
                .to_string()
                .contains("schema_version")
        );
    }

    #[test]
    fn a_schema_version_written_as_text_is_named_as_such() {
        let error = parse_results(Path::new("r.json"), "{\"schema_version\": \"1\"}")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("must be the number 1, found \"1\""),
            "{error}"
        );
    }
}
