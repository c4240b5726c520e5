//! `kcanary vm`: boot kernels under QEMU, run scenarios inside, compare two kernels.

use crate::cli::{VmArgs, VmRunArgs};
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::report::table::results_table;
use kcanary::vm::compare::compare_runs;
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
            let comparison = compare_runs(&baseline.results, &candidate.results)?;
            println!("\n{}", comparison.table());
            if comparison.regressed() {
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
