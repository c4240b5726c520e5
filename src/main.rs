//! The `kcanary` binary: parses the command line and hands over to `commands/`.

mod cli;
mod commands;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match commands::dispatch(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("kcanary: error: {error}");
            error.exit_code()
        }
    };
    std::process::exit(code);
}
