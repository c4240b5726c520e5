//! `kcanary vm`: boot kernels under QEMU, run scenarios inside, compare two kernels.

use super::gate_output::{finish, gate_options};
use crate::cli::{GateArgs, Rounds, VmArgs, VmRunArgs};
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::gate::{GateOptions, RunEvidence, Verdict, compare_evidence, compare_runs};
use kcanary::report::table::results_table;
use kcanary::results::RunResults;
use kcanary::vm::compare::ensure_same_execution_mode;
use kcanary::vm::protocol::ScenarioOverrides;
use kcanary::vm::session::{AccelChoice, KernelRun, RoundPlan, SessionOptions, run_session_until};
use std::time::Duration;

pub fn execute(args: VmArgs) -> Result<i32> {
    // Bad gate flags are rejected before anything boots.
    let gate = gate_options(&args.gate)?;
    let plan = match args.rounds {
        Rounds::Fixed(n) => RoundPlan::Fixed(n),
        Rounds::Auto => RoundPlan::UntilConclusive {
            budget: args.budget,
            max_rounds: args.max_rounds.max(1),
        },
    };
    let options = session_options(args.kernels, plan, &args.run);
    let undecided = |runs: &[RunResults]| undecided_scenarios(runs, &gate);
    let runs = run_session_until(&options, &|line| eprintln!("{line}"), &undecided)?;
    print_runs(&runs);
    // Scenarios named on the command line that a kernel skipped: no pass on that run.
    let named_status = if args.run.scenarios.is_empty() {
        exit_code::OK
    } else {
        runs.iter()
            .map(|run| super::run::exit_status_of_named(&run.results))
            .max()
            .unwrap_or(exit_code::OK)
    };
    let Some((baseline, candidates)) = runs.split_first().filter(|(_, c)| !c.is_empty()) else {
        return Ok(named_status);
    };
    let candidates: Vec<RunEvidence> = candidates.iter().map(evidence_of).collect();
    // Rounds alternate kernels, so with two or more rounds each side's repetitions span
    // several boots interleaved with the other side's: between-boot drift is in the data.
    let interleaved = runs[0].boots.len() > 1;
    let options = GateOptions {
        interleaved,
        ..gate
    };
    let gate_status =
        compare_kernels(&evidence_of(baseline), &candidates, &args.gate, &options)?.exit_code;
    Ok(if gate_status == exit_code::OK {
        named_status
    } else {
        gate_status
    })
}

/// The scenarios of which some metric is still inconclusive in a candidate against the
/// first kernel: what `--rounds auto` boots again.
fn undecided_scenarios(runs: &[RunResults], gate: &GateOptions) -> Vec<String> {
    let Some((baseline, candidates)) = runs.split_first() else {
        return Vec::new();
    };
    let options = GateOptions {
        interleaved: true,
        ..gate.clone()
    };
    let mut names: Vec<String> = Vec::new();
    for candidate in candidates {
        let comparison = compare_runs(baseline, candidate, &options);
        for m in comparison
            .metrics
            .iter()
            .filter(|m| m.verdict == Verdict::Inconclusive)
        {
            let scenario = m.key.split('/').next().unwrap_or_default().to_string();
            if !names.contains(&scenario) {
                names.push(scenario);
            }
        }
    }
    names
}

pub fn session_options(kernels: Vec<String>, rounds: RoundPlan, run: &VmRunArgs) -> SessionOptions {
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
        hide_user_namespaces: run.guest_without_user_namespaces,
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
        let boots: Vec<String> = run
            .boots
            .iter()
            .map(|b| match b.to_first_workload {
                Some(t) => format!("{:.1} s", t.as_secs_f64()),
                None => "?".into(),
            })
            .collect();
        let total: f64 = run.boots.iter().map(|b| b.wall.as_secs_f64()).sum();
        println!(
            "boot to first workload (host wall time, per round): {}; all rounds {total:.0} s",
            boots.join(", ")
        );
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

/// What comparing kernels found.
pub struct KernelComparison {
    /// The gate's exit code: 0, 1 when a candidate regressed, 4 when evidence is missing.
    pub exit_code: i32,
}

/// How `vm` and `bisect-step` compare kernels: the gate's comparison, with the same table,
/// files (--junit, --json, --bencher) and exit code as `kcanary compare`, after refusing
/// results of different execution modes.
pub fn compare_kernels(
    baseline: &RunEvidence,
    candidates: &[RunEvidence],
    gate: &GateArgs,
    options: &GateOptions,
) -> Result<KernelComparison> {
    for candidate in candidates {
        ensure_same_execution_mode(&baseline.environment, &candidate.environment)?;
    }
    let comparisons: Vec<_> = candidates
        .iter()
        .map(|candidate| compare_evidence(baseline, candidate, options))
        .collect();
    println!();
    let exit_code = finish(gate, &comparisons)?;
    Ok(KernelComparison { exit_code })
}

/// A kernel's merged results as the gate's evidence, labelled by the kernel.
pub fn evidence_of(run: &KernelRun) -> RunEvidence {
    RunEvidence::from_results(run.kernel.label.clone(), &run.results)
}
