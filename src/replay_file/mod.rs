//! `kcanary replay FILE`: read the file once, detect its format, parse it (an ipvsadm file's
//! bad line is reported before anything runs; an ipset file runs up to its first bad line, as
//! `ipset restore` does) and replay it through the runner, so repetitions and the
//! results file work as for `kcanary run`.
//!
//! It sits above `replay/` (the engine) and the formats in `ipset/` and `ipvs/`, which use the
//! engine: inside `replay/` it made a circle (replay → ipset/ipvs → replay).

mod detect;

pub use detect::FileFormat;

use crate::error::{KcanaryError, Result};
use crate::ipset::replay::IpsetRestore;
use crate::ipvs::replay::IpvsadmSave;
use crate::isolate::privileges;
use crate::replay::{ReplayFormat, ReplayWorkload, default_params, load};
use crate::results::RunResults;
use crate::runner::{RunHooks, run_scenarios};
use crate::scenario::Scenario;
use crate::workload::params::ParamValue;
use std::path::PathBuf;
use std::sync::Arc;

/// What `kcanary replay` was asked to do.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    /// The file; `-` is standard input.
    pub file: PathBuf,
    /// Every line as if `-exist` were given (ipset files only).
    pub exist: bool,
    /// Send in as few datagrams as fit; report only the total.
    pub batch: bool,
    /// Replays, each in a fresh namespace.
    pub repetitions: usize,
}

/// Replays `request.file` in whichever format it is in and returns the run's results (a
/// scenario that could not run here is in `skipped`). The parsed file is freed with the
/// scenario when the run is done.
pub fn replay_file(request: &ReplayRequest, hooks: &RunHooks) -> Result<RunResults> {
    crate::scenario::check_repetitions("--repetitions", request.repetitions)
        .map_err(KcanaryError::Usage)?;
    // Read once: a pipe, a FIFO or stdin gives its bytes only once, and detection and parsing
    // both need them.
    let text = crate::text_input::read_text_once(&request.file)?;
    match FileFormat::detect(&text) {
        FileFormat::IpsetRestore => replay_as::<IpsetRestore>(request, &text, hooks),
        FileFormat::IpvsadmSave if request.exist => Err(KcanaryError::Usage(
            "--exist is an ipset option; this is an ipvsadm -S file".into(),
        )),
        FileFormat::IpvsadmSave => replay_as::<IpvsadmSave>(request, &text, hooks),
    }
}

fn replay_as<F: ReplayFormat>(
    request: &ReplayRequest,
    text: &str,
    hooks: &RunHooks,
) -> Result<RunResults> {
    let mut params = default_params::<F>();
    params.set("file", ParamValue::Text(request.file.display().to_string()));
    params.set("batch", ParamValue::Boolean(request.batch));
    if request.exist {
        params.set("exist", ParamValue::Boolean(true));
    }
    let lines = load::<F>(&request.file, text, &params)?;
    if F::WORKS_UNPRIVILEGED && !privileges::is_root() {
        privileges::enter_user_namespace()?;
    }
    // After the user-namespace step (which needs a single-threaded process), before anything
    // is created: a signal from here on removes what the replay made.
    crate::isolate::signals::handle_termination_signals()?;
    let workload = Arc::new(ReplayWorkload::<F>::loaded(request.file.clone(), lines));
    let scenario = Scenario {
        name: format!("replay:{}", request.file.display()),
        description: String::new(),
        workload: workload.into(),
        params,
        repetitions: request.repetitions,
        warmup: 0,
        threshold: None,
        metric_thresholds: Default::default(),
        tags: Vec::new(),
        source: request.file.clone(),
    };
    run_scenarios(&[scenario], crate::results::ExecutionMode::Host, hooks)
}
