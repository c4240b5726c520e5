//! `kcanary run`: run scenarios, print the table, write the results file.

use crate::cli::RunArgs;
use kcanary::error::Result;
use kcanary::isolate::privileges;
use kcanary::report::progress::TerminalProgress;
use kcanary::report::table::results_table;
use kcanary::results::file::write_json_atomic;
use kcanary::runner::{RunHooks, WhenUnavailable, run_scenarios};
use kcanary::scenario::{
    self,
    overrides::{ScenarioOverrides, apply_overrides},
};

pub fn execute(args: RunArgs) -> Result<i32> {
    let mut scenarios = scenario::resolve(&args.scenarios)?;
    let overrides = ScenarioOverrides {
        repetitions: args.repetitions,
        set: args.overrides.clone(),
    };
    apply_overrides(&mut scenarios, &overrides)?;
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
