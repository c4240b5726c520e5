//! Filling a history directory: boot the kernels that lack results for the scenarios asked
//! for (all in one session, so their rounds interleave and host drift hits every kernel
//! alike), then add each kernel's merged results as a new file. Files already there are
//! never rewritten: a CI job adds one kernel per run and the history grows.

use super::collection::{KernelEvidence, load_history, result_files};
use crate::error::{KcanaryError, Result};
use crate::gate::mode::ensure_same_execution_mode;
use crate::results::file::write_json_atomic;
use crate::scenario;
use crate::vm::kernel;
use crate::vm::session::{KernelRun, SessionOptions, run_session};
use std::path::{Path, PathBuf};

/// What filling the directory did.
pub struct Collected {
    /// Kernels booted in this session, with the file added for each.
    pub added: Vec<(KernelRun, PathBuf)>,
    /// Kernels left alone because the history already has every scenario asked for.
    pub already_there: Vec<String>,
}

/// Boots what `dir` lacks of `session.kernels` × the session's scenarios and adds the
/// results to `dir`.
pub fn collect_missing(
    session: &SessionOptions,
    dir: &Path,
    status: &dyn Fn(&str),
) -> Result<Collected> {
    std::fs::create_dir_all(dir)
        .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let wanted: Vec<String> = scenario::select(&session.scenarios, &session.overrides)?
        .scenarios
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let known: Vec<KernelEvidence> = if result_files(dir)?.is_empty() {
        Vec::new()
    } else {
        let history = load_history(dir)?;
        // Checked before booting: files of another mode would make the directory unreadable
        // as one history after minutes of boots.
        if let Some(planned) = session.planned_execution_mode() {
            ensure_same_execution_mode(&history.execution_mode, &planned).map_err(|e| {
                KcanaryError::Usage(format!(
                    "{} holds {} results; this session would add {planned} results: {e}",
                    dir.display(),
                    history.execution_mode
                ))
            })?;
        }
        history.kernels
    };
    let mut missing = Vec::new();
    let mut already_there = Vec::new();
    for input in &session.kernels {
        // Unpacking is cached under the session's out directory, so the boot reuses it.
        let release = kernel::prepare(input, &session.out_dir)?.label;
        let has_all = known.iter().any(|k| {
            k.release == release && wanted.iter().all(|w| k.scenarios().contains(&w.as_str()))
        });
        if has_all {
            status(&format!(
                "history: {release} already has {} in {}: not booted",
                wanted.join(", "),
                dir.display()
            ));
            already_there.push(release);
        } else {
            missing.push(input.clone());
        }
    }
    if missing.is_empty() {
        return Ok(Collected {
            added: Vec::new(),
            already_there,
        });
    }
    let runs = run_session(
        &SessionOptions {
            kernels: missing,
            ..session.clone()
        },
        status,
    )?;
    let stamp = utc_stamp();
    let mut added = Vec::new();
    for run in runs {
        let path = new_file(dir, &run.kernel.label, &stamp)?;
        write_json_atomic(&path, &run.results)?;
        status(&format!("history: added {}", path.display()));
        added.push((run, path));
    }
    Ok(Collected {
        added,
        already_there,
    })
}

/// `<dir>/<release>@<stamp>.json`, refusing to replace a file (append-only).
fn new_file(dir: &Path, release: &str, stamp: &str) -> Result<PathBuf> {
    let path = dir.join(format!("{release}@{stamp}.json"));
    if path.exists() {
        return Err(KcanaryError::Io(format!(
            "{} exists already; a history directory is append-only",
            path.display()
        )));
    }
    Ok(path)
}

/// The session's end as `YYYYMMDDTHHMMSSZ`, so file names sort by time.
fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_424), (2025, 12, 2));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
