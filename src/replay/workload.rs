//! A format replayed through the runner: `ipset.replay` and `ipvs.replay` are
//! [`ReplayWorkload`]s of their format; `kcanary replay` uses one on lines parsed once.

use super::ReplayFormat;
use super::engine::{ReplayMode, replay_in_session};
use crate::error::{KcanaryError, Result};
use crate::isolate::netns::in_fresh_netns;
use crate::workload::{EntryPoint, Measurement, ParamSpec, Params, RepetitionContext, Workload};
use std::path::{Path, PathBuf};

/// Parses `text` in format `F` and refuses a file without a single command (it would replay
/// nothing and look like a success).
pub fn load<F: ReplayFormat>(path: &Path, text: &str, params: &Params) -> Result<Vec<F::Line>> {
    let lines = F::parse(path, text, params)?;
    if lines.is_empty() {
        return Err(KcanaryError::bad_input(
            path,
            None,
            format!("no {} commands in the file", F::TOOL),
        ));
    }
    Ok(lines)
}

/// Reads `path` once, parses it with `F`'s default parameters and replays it once in a fresh
/// network namespace: the replay as a plain function, outside the runner.
pub fn replay_once<F: ReplayFormat>(path: &Path, mode: ReplayMode) -> Result<Vec<Measurement>> {
    let lines = load_file::<F>(path, &default_params::<F>())?;
    replay_in_fresh_netns::<F>(path, &lines, mode)
}

/// [`load`] on the text of `path`, read once (files, pipes, FIFOs, `-`).
fn load_file<F: ReplayFormat>(path: &Path, params: &Params) -> Result<Vec<F::Line>> {
    load::<F>(path, &crate::text_input::read_text_once(path)?, params)
}

/// `F`'s parameters with their defaults.
pub fn default_params<F: ReplayFormat>() -> Params {
    Params::resolve(F::PARAMS, &toml::Table::new()).expect("a format's defaults are valid")
}

/// One repetition: a fresh namespace, a session, the replay. Metrics: `<kind>_ns` per command
/// kind (per-command mode), `replay_total_ns`, and what the format adds.
fn replay_in_fresh_netns<F: ReplayFormat>(
    path: &Path,
    lines: &[F::Line],
    mode: ReplayMode,
) -> Result<Vec<Measurement>> {
    in_fresh_netns(|| {
        let mut session = F::open_session()?;
        let timings = replay_in_session::<F>(&mut session, path, lines, mode)?;
        let mut out = timings.measurements("replay_total_ns");
        out.extend(F::extra_measurements(&timings));
        Ok(out)
    })
}

/// The parameters every replay workload has, read once.
struct ReplayConfig {
    /// Empty by default: a scenario must name one (checked when it runs).
    file: PathBuf,
    batch: bool,
}

impl ReplayConfig {
    fn from_params<F: ReplayFormat>(params: &Params) -> std::result::Result<ReplayConfig, String> {
        F::check_options(params)?;
        Ok(ReplayConfig {
            file: PathBuf::from(params.text("file")?),
            batch: params.boolean("batch")?,
        })
    }
}

fn run_repetition<F: ReplayFormat>(
    path: &Path,
    lines: &[F::Line],
    mode: ReplayMode,
    ctx: &RepetitionContext,
) -> Result<Vec<Measurement>> {
    ctx.progress.start("replaying", lines.len() as u64);
    let result = replay_in_fresh_netns::<F>(path, lines, mode);
    ctx.progress.finish();
    result
}

/// Replays a file in format `F`: the one the `file` parameter names, read and parsed every
/// repetition (`ipset.replay` and `ipvs.replay` in scenarios), or lines the caller parsed once
/// ([`ReplayWorkload::loaded`]: `kcanary replay` on a pipe, a FIFO or stdin, which cannot be
/// read twice; `file` and the parsing options were applied when parsing).
pub struct ReplayWorkload<F: ReplayFormat> {
    preloaded: Option<(PathBuf, Vec<F::Line>)>,
}

impl<F: ReplayFormat> ReplayWorkload<F> {
    /// `const`, so a family's `static` workload list can hold one.
    pub const fn new() -> ReplayWorkload<F> {
        ReplayWorkload { preloaded: None }
    }

    /// The replay of `lines`, parsed from `path` by the caller.
    pub fn loaded(path: PathBuf, lines: Vec<F::Line>) -> ReplayWorkload<F> {
        ReplayWorkload {
            preloaded: Some((path, lines)),
        }
    }
}

impl<F: ReplayFormat> Default for ReplayWorkload<F> {
    fn default() -> ReplayWorkload<F> {
        ReplayWorkload::new()
    }
}

impl<F: ReplayFormat> Workload for ReplayWorkload<F> {
    fn name(&self) -> &'static str {
        F::WORKLOAD
    }

    fn summary(&self) -> &'static str {
        F::SUMMARY
    }

    fn params(&self) -> &'static [ParamSpec] {
        F::PARAMS
    }

    fn available(&self) -> std::result::Result<(), String> {
        F::available()
    }

    fn check(&self, params: &Params) -> std::result::Result<(), String> {
        ReplayConfig::from_params::<F>(params).map(drop)
    }

    fn kernel_modules(&self) -> &'static [&'static str] {
        F::KERNEL_MODULES
    }

    fn entry_points(&self) -> &'static [EntryPoint] {
        F::ENTRY_POINTS
    }

    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
        let config = ReplayConfig::from_params::<F>(params).map_err(KcanaryError::Usage)?;
        let mode = ReplayMode::batched_if(config.batch);
        if let Some((path, lines)) = &self.preloaded {
            return run_repetition::<F>(path, lines, mode, ctx);
        }
        if config.file.as_os_str().is_empty() {
            return Err(KcanaryError::Usage(format!(
                "{} needs the parameter file = \"PATH\"",
                F::WORKLOAD
            )));
        }
        let lines = load_file::<F>(&config.file, params)?;
        run_repetition::<F>(&config.file, &lines, mode, ctx)
    }
}
