//! The `kcanary` binary: parses the command line and hands over to `commands/`.

mod cli;
mod commands;

use clap::Parser;
use kcanary::isolate::signals;

fn main() {
    let cli = cli::Cli::parse();
    // `run` and `replay` may first enter a user namespace, which needs a single-threaded
    // process: they start the signal thread themselves. `guest-init` is pid 1 in the VM guest,
    // where the kernel delivers no signal the init has not asked for.
    let outcome = if matches!(
        cli.command,
        cli::Command::Run(_) | cli::Command::Replay(_) | cli::Command::GuestInit
    ) {
        Ok(())
    } else {
        signals::handle_termination_signals()
    }
    .and_then(|()| commands::dispatch(cli.command));
    // A signal's cleanup may be running: then stop here and let it exit with its own code.
    let _exiting = signals::critical_section();
    let code = match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("kcanary: error: {error}");
            error.exit_code()
        }
    };
    std::process::exit(code);
}
