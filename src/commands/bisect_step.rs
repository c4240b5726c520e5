//! `kcanary bisect-step`: one step of `git bisect run`. The exit code is the verdict:
//! 0 good, 1 bad, 125 skip (this kernel cannot be tested), 128 abort (the bisect itself is
//! set up wrong: git bisect run stops on codes above 127).

use super::gate_output::gate_options;
use super::vm::{compare_kernels, evidence_of, print_runs, session_options};
use crate::cli::BisectStepArgs;
use kcanary::error::{KcanaryError, Result, exit_code};
use kcanary::gate::{GateOptions, load_evidence};
use kcanary::vm::session::{RoundPlan, run_session};
use std::path::Path;

const ABORT: i32 = 128;

pub fn execute(args: BisectStepArgs) -> Result<i32> {
    let gate = match gate_options(&args.gate) {
        Ok(gate) => gate,
        Err(e) => return Ok(abort(&e.to_string())),
    };
    // A JSON file is stored results or a `kcanary baseline` file; anything else a kernel.
    let stored_baseline = if args.baseline.ends_with(".json") {
        match load_evidence(Path::new(&args.baseline)) {
            Ok(results) => Some(results),
            Err(e) => return Ok(abort(&format!("baseline {}: {e}", args.baseline))),
        }
    } else {
        None
    };
    if let Some(baseline) = &stored_baseline {
        let expected_mode = if args.run.deterministic {
            Some("qemu-tcg-icount")
        } else {
            match args.run.accel.as_str() {
                "tcg" => Some("qemu-tcg"),
                "kvm" => Some("qemu-kvm"),
                _ => None,
            }
        };
        let baseline_mode = baseline.environment.execution_mode.as_str();
        if let Some(mode) = expected_mode.filter(|m| *m != baseline_mode) {
            return Ok(abort(&format!(
                "refusing to compare results of different execution modes: the baseline ran as \
                 '{baseline_mode}', this step would run as '{mode}'"
            )));
        }
    }
    // A missing candidate is a build that failed (skip); a missing baseline kernel is a
    // bisect set up wrong (abort).
    if let Some(missing) = args
        .baseline
        .split(',')
        .find(|part| stored_baseline.is_none() && !Path::new(part).exists())
    {
        return Ok(abort(&format!("baseline kernel {missing} does not exist")));
    }
    // Both kernels booted here in alternating rounds: between-boot drift is in the data.
    let interleaved = stored_baseline.is_none() && args.rounds > 1;
    let mut kernels = Vec::new();
    if stored_baseline.is_none() {
        kernels.push(args.baseline.clone());
    }
    kernels.push(args.kernel.clone());
    let options = session_options(kernels, RoundPlan::Fixed(args.rounds), &args.run);
    let mut runs = match run_session(&options, &|line| eprintln!("{line}")) {
        Ok(runs) => runs,
        Err(e @ KcanaryError::Usage(_)) => return Ok(abort(&e.to_string())),
        Err(e) => {
            eprintln!("kcanary: bisect-step: cannot test {}: {e}", args.kernel);
            eprintln!("kcanary: bisect-step: skip (125)");
            return Ok(exit_code::BISECT_SKIP);
        }
    };
    print_runs(&runs);
    let candidate = runs.pop().expect("one run per kernel");
    let baseline =
        stored_baseline.unwrap_or_else(|| evidence_of(&runs.pop().expect("baseline kernel ran")));
    if candidate.results.results.is_empty() {
        eprintln!(
            "kcanary: bisect-step: every scenario was skipped on {}: skip (125)",
            args.kernel
        );
        return Ok(exit_code::BISECT_SKIP);
    }
    let compared = match compare_kernels(
        &baseline,
        &[evidence_of(&candidate)],
        &args.gate,
        &GateOptions {
            interleaved,
            ..gate
        },
    ) {
        Ok(compared) => compared,
        Err(e) => return Ok(abort(&e.to_string())),
    };
    if compared.exit_code == exit_code::INCOMPLETE {
        // Missing evidence is not "good": this commit cannot be judged.
        eprintln!(
            "kcanary: bisect-step: the candidate lacks metrics of the baseline (see above): \
             skip (125)"
        );
        return Ok(exit_code::BISECT_SKIP);
    }
    if compared.exit_code == exit_code::REGRESSION {
        eprintln!("kcanary: bisect-step: regressed: bad (1)");
        Ok(exit_code::REGRESSION)
    } else {
        eprintln!("kcanary: bisect-step: good (0)");
        Ok(exit_code::OK)
    }
}

fn abort(message: &str) -> i32 {
    eprintln!("kcanary: bisect-step: {message}");
    eprintln!("kcanary: bisect-step: aborting the bisect ({ABORT})");
    ABORT
}
