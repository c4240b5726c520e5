//! `kcanary run`: arguments to [`kcanary::run::run_command`], which prints the table and
//! writes the results file; its results to the exit code.

use crate::cli::RunArgs;
use kcanary::error::{Result, exit_code};
use kcanary::report::progress::TerminalProgress;
use kcanary::run::{RunRequest, run_command};
use kcanary::runner::RunHooks;
use kcanary::scenario::overrides::ScenarioOverrides;

pub fn execute(args: RunArgs) -> Result<i32> {
    let request = RunRequest {
        overrides: ScenarioOverrides {
            repetitions: args.repetitions,
            set: args.overrides,
        },
        scenarios: args.scenarios,
        execution_mode: args.execution_mode,
        out: args.out,
        explain: args.explain,
    };
    let progress = TerminalProgress::new();
    let status = |line: &str| eprintln!("kcanary: {line}");
    let hooks = RunHooks {
        progress: &progress,
        status: &status,
    };
    let run = run_command(&request, &hooks, &mut std::io::stdout())?;
    Ok(if request.scenarios.is_empty() {
        // The default suite runs what this kernel can; skips are listed in the results.
        exit_code::OK
    } else {
        super::exit_status_of_named(&run)
    })
}
