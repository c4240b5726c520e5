//! `kcanary run`: run scenarios, print the table, write the results file.

use crate::cli::RunArgs;
use kcanary::error::{KcanaryError, Result};
use kcanary::isolate::privileges;
use kcanary::report::progress::TerminalProgress;
use kcanary::report::table::results_table;
use kcanary::results::file::write_json_atomic;
use kcanary::runner::{RunHooks, WhenUnavailable, run_scenarios};
use kcanary::scenario::{self, Scenario};

pub fn execute(args: RunArgs) -> Result<i32> {
    let mut scenarios = scenario::resolve(&args.scenarios)?;
    apply_overrides(&mut scenarios, &args)?;
    ensure_privileges()?;
    let when_unavailable = if args.scenarios.is_empty() {
        WhenUnavailable::Skip
    } else {
        WhenUnavailable::Fail
    };
    let progress = TerminalProgress::new();
    let status = |line: &str| eprintln!("kcanary: {line}");
    let hooks = RunHooks {
        progress: &progress,
        status: &status,
    };
    let run = run_scenarios(&scenarios, &args.execution_mode, when_unavailable, &hooks)?;
    write_json_atomic(&args.out, &run)?;
    print!("{}", results_table(&run));
    eprintln!("kcanary: results written to {}", args.out.display());
    Ok(0)
}

/// `--repetitions` and `--set NAME=VALUE` apply to every scenario that has the parameter; a
/// `--set` that no chosen scenario has is an error (a typo would otherwise go unnoticed).
fn apply_overrides(scenarios: &mut [Scenario], args: &RunArgs) -> Result<()> {
    for s in scenarios.iter_mut() {
        if let Some(repetitions) = args.repetitions {
            if repetitions == 0 {
                return Err(KcanaryError::Usage(
                    "--repetitions must be at least 1".into(),
                ));
            }
            s.repetitions = repetitions;
        }
    }
    for assignment in &args.overrides {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            KcanaryError::Usage(format!("--set expects NAME=VALUE, got '{assignment}'"))
        })?;
        let mut used = false;
        for s in scenarios.iter_mut() {
            used |= s
                .params
                .override_from_text(s.workload.params(), name, value)
                .map_err(|e| KcanaryError::Usage(format!("--set {assignment}: {e}")))?;
        }
        if !used {
            return Err(KcanaryError::Usage(format!(
                "--set {assignment}: no chosen scenario has a parameter '{name}'"
            )));
        }
    }
    Ok(())
}

/// Netlink workloads need CAP_NET_ADMIN in a namespace of their own. Without root, enter a
/// user namespace (like `unshare -Ur`) so ipset scenarios still run; cgroup scenarios report
/// themselves skipped.
fn ensure_privileges() -> Result<()> {
    if privileges::is_root() {
        return Ok(());
    }
    privileges::enter_user_namespace()?;
    eprintln!(
        "kcanary: not root: running in an unprivileged user namespace (ipset workloads work; \
         cgroup and IPVS workloads need root)"
    );
    Ok(())
}
