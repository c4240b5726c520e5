//! One module per subcommand; each returns the process exit code.

mod baseline;
mod bisect_step;
mod check;
mod compare;
mod gate_output;
mod generate;
mod import_criterion;
mod list;
mod plot;
mod replay;
mod run;
mod vm;

use crate::cli::Command;
use kcanary::error::Result;

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
        Command::BisectStep(args) => bisect_step::execute(args),
        Command::GuestInit => vm::guest_init(),
    }
}
