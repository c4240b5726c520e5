//! Raw arguments to the library's typed options, once, for every command that needs them:
//! gate options, the outputs of a comparison, and how a VM session boots.

use crate::cli::{Accelerator, GateArgs, Rounds, RoundsArgs, TableFormat, VmRunArgs};
use kcanary::gate::GateOptions;
use kcanary::report::export::{ExportFormat, Outputs};
use kcanary::scenario::overrides::ScenarioOverrides;
use kcanary::vm::session::{AccelChoice, RoundPlan, SessionOptions};
use std::time::Duration;

/// The gate's options as given; the library validates them before it compares.
pub fn gate_options(args: &GateArgs) -> GateOptions {
    GateOptions {
        default_threshold: args.default_threshold,
        threshold_override: args.threshold,
        allow_missing: args.allow_missing,
        ignore_scenarios: args.ignore_scenarios.clone(),
        fail_on_inconclusive: args.fail_on_inconclusive,
        ..GateOptions::default()
    }
}

/// The table format and the files `--junit`, `--json` and `--bencher` ask for.
pub fn outputs(args: &GateArgs) -> Outputs {
    let table = match args.format {
        TableFormat::Text => ExportFormat::Text,
        TableFormat::Markdown => ExportFormat::Markdown,
    };
    let mut outputs = Outputs::table(table);
    for (format, path) in [
        (ExportFormat::Junit, &args.junit),
        (ExportFormat::Json, &args.json),
        (ExportFormat::Bencher, &args.bencher),
    ] {
        if let Some(path) = path {
            outputs = outputs.with_file(format, path.clone());
        }
    }
    outputs
}

/// `--rounds N|auto` with its budget, as the session plans them.
pub fn round_plan(args: &RoundsArgs) -> RoundPlan {
    match args.rounds {
        Rounds::Fixed(n) => RoundPlan::Fixed(n),
        Rounds::Auto => RoundPlan::UntilConclusive {
            budget: args.budget,
            max_rounds: args.max_rounds.max(1),
        },
    }
}

pub fn session_options(kernels: Vec<String>, rounds: RoundPlan, run: &VmRunArgs) -> SessionOptions {
    SessionOptions {
        kernels,
        scenarios: run.scenarios.clone(),
        rounds,
        out_dir: run.out.clone(),
        deterministic: run.deterministic,
        accel: match run.accel {
            Accelerator::Auto => AccelChoice::Auto,
            Accelerator::Kvm => AccelChoice::Kvm,
            Accelerator::Tcg => AccelChoice::Tcg,
        },
        timeout: Duration::from_secs(run.timeout),
        cpus: run.cpus.max(1),
        memory_mib: run.memory,
        guest_binary: run.guest_binary.clone(),
        hide_user_namespaces: run.guest_without_user_namespaces,
        explain: run.explain,
        overrides: ScenarioOverrides {
            repetitions: run.repetitions,
            set: run.overrides.clone(),
        },
        jobs: guests_at_once(run),
    }
}

/// `--jobs`: only deterministic mode boots guests side by side; elsewhere a second guest
/// would compete for the host's CPUs and change the timings.
fn guests_at_once(run: &VmRunArgs) -> usize {
    if run.deterministic {
        run.jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1)
    } else {
        if run.jobs.is_some_and(|n| n > 1) {
            eprintln!(
                "notice: --jobs applies to --deterministic only; wall-clock modes boot one guest at a time"
            );
        }
        1
    }
}
