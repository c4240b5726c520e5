//! One module per subcommand; each returns the process exit code.

mod args;
mod baseline;
mod bisect_step;
mod check;
mod compare;
mod generate;
mod history;
mod import_criterion;
mod list;
mod plot;
mod replay;
mod run;
mod vm;

use crate::cli::Command;
use kcanary::error::{Result, exit_code};
use kcanary::results::RunResults;

pub fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Run(args) => run::execute(args),
        Command::List(args) => list::execute(args),
        Command::Replay(args) => replay::execute(args),
        Command::Generate(args) => generate::execute(args),
        Command::Check(args) => check::execute(args),
        Command::Compare(args) => compare::execute(args),
        Command::Baseline(args) => baseline::execute(args),
        Command::Plot(args) => plot::execute(args),
        Command::ImportCriterion(args) => import_criterion::execute(args),
        Command::Vm(args) => vm::execute(args),
        Command::History(args) => history::execute(args),
        Command::BisectStep(args) => bisect_step::execute(args),
        Command::GuestInit => vm::guest_init(),
    }
}

/// Scenarios named on the command line that this kernel could not run: the results of the
/// others are written, and the exit code (4) says the run is not the evidence asked for.
pub fn exit_status_of_named(run: &RunResults) -> i32 {
    for skipped in &run.skipped {
        eprintln!(
            "kcanary: {} was asked for but could not run here: {}",
            skipped.scenario, skipped.reason
        );
    }
    if run.skipped.is_empty() {
        exit_code::OK
    } else {
        exit_code::INCOMPLETE
    }
}
