//! One module per subcommand; each returns the process exit code.

mod generate;
mod list;
mod replay;
mod run;

use crate::cli::Command;
use kcanary::error::Result;

pub fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Run(args) => run::execute(args),
        Command::List(args) => list::execute(args),
        Command::Replay(args) => replay::execute(args),
        Command::Generate(args) => generate::execute(args),
    }
}
