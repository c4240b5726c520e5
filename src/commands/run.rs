//! `kcanary run`: run scenarios, print the table, write the results file.

use crate::cli::RunArgs;
use kcanary::error::{Result, exit_code};
use kcanary::isolate::privileges;
use kcanary::report::progress::TerminalProgress;
use kcanary::report::table::results_table;
use kcanary::results::file::{check_writable, write_json_atomic};
use kcanary::runner::{RunHooks, run_scenarios};
use kcanary::scenario::{self, overrides::ScenarioOverrides};

pub fn execute(args: RunArgs) -> Result<i32> {
    let overrides = ScenarioOverrides {
        repetitions: args.repetitions,
        set: args.overrides.clone(),
    };
    let scenarios = scenario::select(&args.scenarios, &overrides)?.scenarios;
    check_writable(&args.out)?;
    ensure_privileges()?;
    kcanary::isolate::signals::handle_termination_signals()?;
    super::note_memcg_leftovers();
    let progress = TerminalProgress::new();
    let status = |line: &str| eprintln!("kcanary: {line}");
    let hooks = RunHooks {
        progress: &progress,
        status: &status,
    };
    let run = run_scenarios(&scenarios, args.execution_mode, &hooks)?;
    // The table first: if the write still fails, the numbers are at least on the terminal.
    print!("{}", results_table(&run));
    write_json_atomic(&args.out, &run)?;
    eprintln!("kcanary: results written to {}", args.out.display());
    Ok(if args.scenarios.is_empty() {
        // The default suite runs what this kernel can; skips are listed in the results.
        exit_code::OK
    } else {
        super::exit_status_of_named(&run)
    })
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
