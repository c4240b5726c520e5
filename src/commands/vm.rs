//! `kcanary vm`: boot kernels under QEMU, run scenarios inside, compare two kernels.

use crate::cli::{VmArgs, VmRunArgs};
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::report::table::results_table;
use kcanary::results::RunResults;
use kcanary::vm::compare::{compare_runs, ensure_same_execution_mode};
use kcanary::vm::protocol::ScenarioOverrides;
use kcanary::vm::session::{AccelChoice, KernelRun, SessionOptions, run_session};
use std::time::Duration;

pub fn execute(args: VmArgs) -> Result<i32> {
    let options = session_options(args.kernels, args.rounds, &args.run);
    let runs = run_session(&options, &|line| eprintln!("{line}"))?;
    print_runs(&runs);
    let mut code = exit_code::OK;
    if let Some((baseline, candidates)) = runs.split_first() {
        for candidate in candidates {
            if compare_kernels(&baseline.results, &candidate.results)? == Compared::Regressed {
                code = exit_code::REGRESSION;
            }
        }
    }
    Ok(code)
}

pub fn session_options(kernels: Vec<String>, rounds: usize, run: &VmRunArgs) -> SessionOptions {
    SessionOptions {
        kernels,
        scenarios: run.scenarios.clone(),
        rounds,
        out_dir: run.out.clone(),
        deterministic: run.deterministic,
        accel: match run.accel.as_str() {
            "kvm" => AccelChoice::Kvm,
            "tcg" => AccelChoice::Tcg,
            _ => AccelChoice::Auto,
        },
        timeout: Duration::from_secs(run.timeout),
        cpus: run.cpus.max(1),
        memory_mib: run.memory,
        guest_binary: run.guest_binary.clone(),
        overrides: ScenarioOverrides {
            repetitions: run.repetitions,
            set: run.overrides.clone(),
        },
    }
}

pub fn print_runs(runs: &[KernelRun]) {
    for run in runs {
        println!("\n{}", results_table(&run.results));
        println!("results: {}", run.results_path.display());
    }
}

/// The hidden `guest-init` subcommand: only meaningful as pid 1 of the initramfs.
pub fn guest_init() -> Result<i32> {
    if std::process::id() != 1 {
        return Err(KcanaryError::Usage(
            "guest-init is the init of kcanary's VM guest and only runs as pid 1 there".into(),
        ));
    }
    kcanary::vm::guest::run_as_init()
}

/// What comparing two kernels' results found.
#[derive(Debug, PartialEq, Eq)]
pub enum Compared {
    Regressed,
    NoRegression,
    /// The two runs share no metric (e.g. every scenario skipped on one side).
    NothingInCommon,
}

/// THE place where `vm` and `bisect-step` compare kernels: prints the table and returns the
/// finding. Interim median comparison (`kcanary::vm::compare`) until the gate is on main;
/// swap the body for the gate's compare_runs + report when it lands.
pub fn compare_kernels(baseline: &RunResults, candidate: &RunResults) -> Result<Compared> {
    ensure_same_execution_mode(baseline, candidate)?;
    let comparison = compare_runs(baseline, candidate);
    println!("\n{}", comparison.table());
    Ok(if comparison.metrics.is_empty() {
        Compared::NothingInCommon
    } else if comparison.has_regression() {
        Compared::Regressed
    } else {
        Compared::NoRegression
    })
}
