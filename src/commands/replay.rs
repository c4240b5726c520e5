//! `kcanary replay`: arguments to [`kcanary::replay_file::replay_file`], its results to the
//! terminal, the results file and the exit code.

use crate::cli::ReplayArgs;
use kcanary::error::Result;
use kcanary::replay_file::{ReplayRequest, replay_file};
use kcanary::report::progress::TerminalProgress;
use kcanary::report::table::results_table;
use kcanary::results::file::{check_writable, write_json_atomic};
use kcanary::runner::RunHooks;

pub fn execute(args: ReplayArgs) -> Result<i32> {
    if let Some(out) = &args.out {
        check_writable(out)?;
    }
    let request = ReplayRequest {
        file: args.file,
        exist: args.exist,
        batch: args.batch,
        repetitions: args.repetitions,
    };
    let progress = TerminalProgress::new();
    let status = |line: &str| eprintln!("kcanary: {line}");
    let hooks = RunHooks {
        progress: &progress,
        status: &status,
    };
    kcanary::run::note_memcg_leftovers(&status);
    let run = replay_file(&request, &hooks)?;
    // The table first: if the write still fails, the numbers are at least on the terminal.
    print!("{}", results_table(&run));
    if let Some(out) = &args.out {
        write_json_atomic(out, &run)?;
    }
    Ok(super::exit_status_of_named(&run))
}
