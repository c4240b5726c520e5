//! `kcanary vm`: boot kernels under QEMU, run scenarios inside, compare two kernels.

use super::args::{gate_options, outputs, round_plan, session_options};
use super::exit_status_of_named;
use crate::cli::VmArgs;
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::gate::GateStatus;
use kcanary::vm::bundle::BundleRequest;
use kcanary::vm::compare::run_and_compare;

pub fn execute(args: VmArgs) -> Result<i32> {
    let bundle = args.bundle.map(|dir| BundleRequest {
        dir,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
    });
    let outcome = run_and_compare(
        &session_options(args.kernels, round_plan(&args.rounds), &args.run),
        &gate_options(&args.gate),
        &outputs(&args.gate),
        bundle.as_ref(),
        &|line| eprintln!("{line}"),
    )?;
    // Scenarios named on the command line that a kernel skipped: no pass on that run.
    let named_status = if args.run.scenarios.is_empty() {
        exit_code::OK
    } else {
        outcome
            .runs
            .iter()
            .map(|run| exit_status_of_named(&run.results))
            .max()
            .unwrap_or(exit_code::OK)
    };
    Ok(match outcome.gate {
        None | Some(GateStatus::Passed) => named_status,
        Some(status) => status.exit_code(),
    })
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
