//! `kcanary run` as one library call: choose the scenarios, make sure the results can be
//! written, get the privileges the workloads need, run, show the table and write the results
//! file. (`replay_file::replay_file` is `kcanary replay`'s counterpart.)
//!
//! The order is the contract: `--out` is checked before anything is measured (an hour of
//! measurements must not end in "cannot write"); the user namespace is entered before the
//! signal thread starts (`unshare(CLONE_NEWUSER)` needs a single-threaded process); the
//! table is shown before the file is written, so a failed write still leaves the numbers on
//! the terminal.

use crate::error::{KcanaryError, Result};
use crate::isolate::{privileges, signals};
use crate::report::table::results_table;
use crate::results::file::{check_writable, write_json_atomic};
use crate::results::{ExecutionMode, RunResults};
use crate::runner::{RunHooks, run_scenarios};
use crate::scenario::{self, overrides::ScenarioOverrides};
use std::io::Write;
use std::path::PathBuf;

/// What `kcanary run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Scenario words (names, files, `all`); empty means the default suite.
    pub scenarios: Vec<String>,
    /// `--repetitions` and `--set`, applied to every chosen scenario.
    pub overrides: ScenarioOverrides,
    /// Recorded in the results' environment.
    pub execution_mode: ExecutionMode,
    /// The results file.
    pub out: PathBuf,
    /// After the measured repetitions, trace one more repetition of each scenario and write
    /// the attributions next to the results (`crate::explain`).
    pub explain: bool,
}

/// Runs the scenarios `request` chooses, writes the results table to `table`, then the
/// results to `request.out`, and returns the results (skipped scenarios included: what a
/// skip means for the exit code is the command's decision). Status lines (privileges,
/// leftovers, each scenario, where the results went) go to `hooks.status`.
pub fn run_command(
    request: &RunRequest,
    hooks: &RunHooks,
    table: &mut dyn Write,
) -> Result<RunResults> {
    let scenarios = scenario::select(&request.scenarios, &request.overrides)?.scenarios;
    check_writable(&request.out)?;
    enter_user_namespace_unless_root(hooks.status)?;
    signals::handle_termination_signals()?;
    note_memcg_leftovers(hooks.status);
    let run = run_scenarios(&scenarios, request.execution_mode.clone(), hooks)?;
    table
        .write_all(results_table(&run).as_bytes())
        .and_then(|()| table.flush())
        .map_err(|e| KcanaryError::Io(format!("cannot write the table: {e}")))?;
    write_json_atomic(&request.out, &run)?;
    (hooks.status)(&format!("results written to {}", request.out.display()));
    if request.explain {
        explain(&scenarios, &run, request, hooks, table)?;
    }
    Ok(run)
}

/// The traced repetitions, after the measured ones; their attributions are printed and
/// written to `<results>.attribution.json`.
fn explain(
    scenarios: &[crate::scenario::Scenario],
    run: &RunResults,
    request: &RunRequest,
    hooks: &RunHooks,
    table: &mut dyn Write,
) -> Result<()> {
    let attributions =
        crate::explain::explain_scenarios(scenarios, run, &std::env::temp_dir(), hooks.status);
    for attribution in &attributions {
        let text = crate::report::explain::render_attribution(attribution, run);
        table
            .write_all(format!("\n{text}").as_bytes())
            .map_err(|e| KcanaryError::Io(format!("cannot write the attribution: {e}")))?;
    }
    let path = crate::explain::attribution_path(&request.out);
    write_json_atomic(&path, &attributions)?;
    (hooks.status)(&format!("attribution written to {}", path.display()));
    Ok(())
}

/// Netlink workloads need CAP_NET_ADMIN in a namespace of their own. Without root, enter a
/// user namespace (like `unshare -Ur`) so ipset scenarios still run; cgroup scenarios report
/// themselves skipped.
fn enter_user_namespace_unless_root(status: &dyn Fn(&str)) -> Result<()> {
    if privileges::is_root() {
        return Ok(());
    }
    privileges::enter_user_namespace()?;
    status(
        "not root: running in an unprivileged user namespace (ipset workloads work; cgroup \
         and IPVS workloads need root)",
    );
    Ok(())
}

/// Leftovers of killed memcg runs are removed only by the next memcg run, under the hierarchy
/// lock (removing cgroups frees kernel memory in the background, which another run would
/// measure): any other run says they are there.
pub fn note_memcg_leftovers(status: &dyn Fn(&str)) {
    let Ok(hierarchy) = crate::memcg::MemoryHierarchy::detect() else {
        return;
    };
    for leftover in crate::memcg::leftovers::find_leftovers(&hierarchy) {
        status(&format!(
            "note: {leftover}; the next memcg run (e.g. `kcanary run memcg-dying-1k`) removes \
             them"
        ));
    }
}
