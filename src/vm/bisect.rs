//! One step of `git bisect run`: boot the kernel under test (and a baseline kernel, unless
//! the baseline is a stored results or baseline file), compare, and decide. The decision
//! is `git bisect run`'s: good, bad, skip (this commit cannot be tested or judged), or abort
//! (the bisect itself is set up wrong, so every further step would be wrong too).

use super::compare::{
    compare_kernels, evidence_of, print_runs, undecided_against, undecided_scenarios,
};
use super::session::{SessionOptions, run_session_until};
use crate::error::{KcanaryError, exit_code};
use crate::gate::mode::ensure_same_execution_mode;
use crate::gate::{GateOptions, GateStatus, load_evidence};
use crate::report::export::Outputs;
use crate::results::RunResults;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BisectDecision {
    Good,
    /// A metric regressed.
    Bad,
    /// This kernel cannot be tested (it did not boot, ran no scenario) or judged (it lacks
    /// metrics of the baseline).
    Skip(String),
    /// Bad arguments, a baseline that cannot be read or that ran in another execution mode.
    Abort(String),
}

impl BisectDecision {
    /// 0 good, 1 bad, 125 skip, 128 abort.
    pub fn exit_code(&self) -> i32 {
        match self {
            BisectDecision::Good => exit_code::OK,
            BisectDecision::Bad => exit_code::REGRESSION,
            BisectDecision::Skip(_) => exit_code::BISECT_SKIP,
            BisectDecision::Abort(_) => exit_code::BISECT_ABORT,
        }
    }
}

pub struct BisectStep {
    /// The kernel under test (as `vm --kernel` takes it).
    pub kernel: String,
    /// A results or baseline file (`*.json`), or a known-good kernel to boot alongside.
    pub baseline: String,
    /// How to boot; `kernels` is filled in from `kernel` and `baseline`.
    pub session: SessionOptions,
    pub gate: GateOptions,
    pub outputs: Outputs,
}

pub fn bisect_step(step: BisectStep, status: &dyn Fn(&str)) -> BisectDecision {
    match decide(step, status) {
        Ok(decision) | Err(decision) => decision,
    }
}

/// `Err` carries an early decision (always a skip or an abort).
fn decide(step: BisectStep, status: &dyn Fn(&str)) -> Result<BisectDecision, BisectDecision> {
    let abort = |message: String| BisectDecision::Abort(message);
    step.gate.validate().map_err(abort)?;
    // A JSON file is stored results or a `kcanary baseline` file; anything else a kernel.
    let stored_baseline = if step.baseline.ends_with(".json") {
        let loaded = load_evidence(Path::new(&step.baseline))
            .map_err(|e| abort(format!("baseline {}: {e}", step.baseline)))?;
        Some(loaded)
    } else {
        None
    };
    if let (Some(baseline), Some(mode)) = (&stored_baseline, step.session.planned_execution_mode())
    {
        ensure_same_execution_mode(&baseline.environment.execution_mode, &mode)
            .map_err(|e| abort(e.to_string()))?;
    }
    // A missing candidate is a build that failed (skip); a missing baseline kernel is a
    // bisect set up wrong (abort).
    if stored_baseline.is_none()
        && let Some(missing) = step
            .baseline
            .split(',')
            .find(|part| !Path::new(part).exists())
    {
        return Err(abort(format!("baseline kernel {missing} does not exist")));
    }
    let mut session = step.session;
    session.kernels = match stored_baseline {
        Some(_) => vec![step.kernel.clone()],
        None => vec![step.baseline.clone(), step.kernel.clone()],
    };
    // `--rounds auto` boots again while some metric has no verdict against the baseline:
    // the stored one, or the baseline kernel of this session.
    let undecided = |runs: &[RunResults]| match &stored_baseline {
        Some(stored) => undecided_against(stored, runs, &step.gate),
        None => undecided_scenarios(runs, &step.gate),
    };
    let mut runs = match run_session_until(&session, status, &undecided) {
        Ok(runs) => runs,
        Err(e @ KcanaryError::Usage(_)) => return Err(abort(e.to_string())),
        Err(e) => {
            return Err(BisectDecision::Skip(format!(
                "cannot test {}: {e}",
                step.kernel
            )));
        }
    };
    print_runs(&runs);
    // Both kernels booted here in alternating rounds: between-boot drift is in the data.
    let interleaved = runs.len() > 1 && runs[0].boots.len() > 1;
    let candidate = runs.pop().expect("one run per kernel");
    let baseline = match stored_baseline {
        Some(stored) => stored,
        None => evidence_of(&runs.pop().expect("baseline kernel ran")),
    };
    if candidate.results.results.is_empty() {
        return Ok(BisectDecision::Skip(format!(
            "every scenario was skipped on {}",
            step.kernel
        )));
    }
    let options = GateOptions {
        interleaved,
        ..step.gate
    };
    let (status, _) = compare_kernels(
        &baseline,
        &[evidence_of(&candidate)],
        &options,
        &step.outputs,
        // A stored baseline has no trace to diff against: the candidate's attribution
        // (with --explain) is shown on its own by print_runs.
        &|_, _| {},
    )
    .map_err(|e| abort(e.to_string()))?;
    Ok(match status {
        GateStatus::Passed => BisectDecision::Good,
        GateStatus::Regressed => BisectDecision::Bad,
        // Missing evidence is not "good": this commit cannot be judged.
        GateStatus::Incomplete => BisectDecision::Skip(
            "the candidate lacks metrics of the baseline (see above)".to_string(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_git_bisect_run_exit_codes() {
        assert_eq!(BisectDecision::Good.exit_code(), 0);
        assert_eq!(BisectDecision::Bad.exit_code(), 1);
        assert_eq!(BisectDecision::Skip("no boot".into()).exit_code(), 125);
        // git bisect run stops on anything above 127.
        assert_eq!(
            BisectDecision::Abort("bad baseline".into()).exit_code(),
            128
        );
    }
}
