//! `kcanary bisect-step`: one step of `git bisect run`. The exit code is the decision
//! (`vm::bisect`): 0 good, 1 bad, 125 skip, 128 abort.

use super::args::{gate_options, outputs, round_plan, session_options};
use crate::cli::BisectStepArgs;
use kcanary::error::Result;
use kcanary::vm::bisect::{BisectDecision, BisectStep, bisect_step};

pub fn execute(args: BisectStepArgs) -> Result<i32> {
    let step = BisectStep {
        session: session_options(Vec::new(), round_plan(&args.rounds), &args.run),
        gate: gate_options(&args.gate),
        outputs: outputs(&args.gate),
        kernel: args.kernel,
        baseline: args.baseline,
    };
    let decision = bisect_step(step, &|line| eprintln!("{line}"));
    let code = decision.exit_code();
    let say = |line: &str| eprintln!("kcanary: bisect-step: {line}");
    match &decision {
        BisectDecision::Good => say(&format!("good ({code})")),
        BisectDecision::Bad => say(&format!("regressed: bad ({code})")),
        BisectDecision::Skip(reason) => {
            say(reason);
            say(&format!("skip ({code})"));
        }
        BisectDecision::Abort(reason) => {
            say(reason);
            say(&format!("aborting the bisect ({code})"));
        }
    }
    Ok(code)
}
