//! Comparing the kernels of a session with the gate: every candidate against the first
//! kernel, never across execution modes, with the same table, files and status as
//! `kcanary compare`. Also the gate's say in `--rounds auto` (which scenarios are still
//! undecided) and `run_and_compare`, the whole of `kcanary vm`.

use super::bundle::{BundleRequest, write_bundle};
use super::session::{KernelRun, SessionOptions, run_session_until};
use crate::error::{KcanaryError, Result};
use crate::explain::diff::diff_runs;
use crate::explain::overhead;
use crate::gate::mode::ensure_same_execution_mode;
use crate::gate::{Comparison, GateOptions, GateStatus, RunEvidence, Verdict, compare_evidence};
use crate::report::explain::{render, render_attribution};
use crate::report::export::Outputs;
use crate::report::table::results_table;
use crate::results::RunResults;
use crate::results::file::write_json_atomic;
use std::path::Path;

/// Compares each candidate against `baseline` after refusing results of different execution
/// modes, writes `outputs`, and says what the comparisons add up to (and what they are).
pub fn compare_kernels(
    baseline: &RunEvidence,
    candidates: &[RunEvidence],
    options: &GateOptions,
    outputs: &Outputs,
    annotate: &dyn Fn(usize, &mut Comparison),
) -> Result<(GateStatus, Vec<Comparison>)> {
    for candidate in candidates {
        ensure_same_execution_mode(
            &baseline.environment.execution_mode,
            &candidate.environment.execution_mode,
        )?;
    }
    println!();
    crate::check::compare_annotate_and_write(baseline, candidates, options, outputs, annotate)
}

/// A kernel's merged results as the gate's evidence, labelled by the kernel.
pub fn evidence_of(run: &KernelRun) -> RunEvidence {
    RunEvidence::from_results(run.kernel.label.clone(), &run.results)
}

/// What `kcanary vm` found: every kernel's run, and the gate's status when there were
/// kernels to compare.
pub struct VmOutcome {
    pub runs: Vec<KernelRun>,
    pub gate: Option<GateStatus>,
}

/// Boots the session's kernels, prints each kernel's results, and compares every further
/// kernel against the first. Bad gate options are refused before anything boots.
pub fn run_and_compare(
    session: &SessionOptions,
    gate: &GateOptions,
    outputs: &Outputs,
    bundle: Option<&BundleRequest>,
    status: &dyn Fn(&str),
) -> Result<VmOutcome> {
    gate.validate().map_err(KcanaryError::Usage)?;
    let undecided = |runs: &[RunResults]| undecided_scenarios(runs, gate);
    let runs = run_session_until(session, status, &undecided)?;
    print_runs(&runs);
    let Some((baseline_run, candidate_runs)) = runs.split_first().filter(|(_, c)| !c.is_empty())
    else {
        return Ok(VmOutcome { runs, gate: None });
    };
    let candidates: Vec<RunEvidence> = candidate_runs.iter().map(evidence_of).collect();
    // Rounds alternate kernels, so with two or more rounds each side's repetitions span
    // several boots interleaved with the other side's: between-boot drift is in the data.
    let options = GateOptions {
        interleaved: baseline_run.boots.len() > 1,
        ..gate.clone()
    };
    // The attribution goes into each comparison, so every output format carries it.
    let attach = |index: usize, comparison: &mut Comparison| {
        comparison.attribution = diff_runs(
            &baseline_run.attributions,
            &candidate_runs[index].attributions,
            comparison,
        );
    };
    let (status, comparisons) = compare_kernels(
        &evidence_of(baseline_run),
        &candidates,
        &options,
        outputs,
        &attach,
    )?;
    if session.explain {
        explain_candidates(&runs, &comparisons, &session.out_dir)?;
    }
    if let Some(request) = bundle {
        let scenarios = crate::scenario::select(&session.scenarios, &session.overrides)?.scenarios;
        let report = write_bundle(request, &runs, &comparisons, status, &scenarios)?;
        println!("evidence bundle: {}", report.display());
    }
    Ok(VmOutcome {
        gate: Some(status),
        runs,
    })
}

/// Each candidate's attributions against the baseline's, with the tracing overhead, written
/// to `explain.txt` and `explain.json` in the out directory (the table's outputs carry the
/// same diffs; each kernel's raw attributions are in `<label>.attribution.json`).
fn explain_candidates(
    runs: &[KernelRun],
    comparisons: &[Comparison],
    out_dir: &Path,
) -> Result<()> {
    let Some((baseline, candidates)) = runs.split_first() else {
        return Ok(());
    };
    let mut text = String::new();
    let mut overhead_lines = Vec::new();
    let mut all = Vec::new();
    for (candidate, comparison) in candidates.iter().zip(comparisons) {
        let diffs = &comparison.attribution;
        text.push_str(&format!(
            "\nattribution: {} against {}\n",
            candidate.kernel.label, baseline.kernel.label
        ));
        for run in [baseline, candidate] {
            for a in &run.attributions {
                for (metric, ratio) in overhead(a, &run.results) {
                    let line = format!(
                        "  {}: tracing overhead on {}/{metric}: traced median {} of the measured",
                        run.kernel.label,
                        a.scenario,
                        crate::report::format::ratio(ratio)
                    );
                    text.push_str(&line);
                    text.push('\n');
                    overhead_lines.push(line);
                }
            }
        }
        for d in diffs {
            text.push_str(&render(d));
        }
        all.push(serde_json::json!({
            "baseline": baseline.kernel.label,
            "candidate": candidate.kernel.label,
            "diffs": diffs,
        }));
    }
    // The table already showed the diffs: on the terminal only the overhead is new.
    for line in &overhead_lines {
        println!("{line}");
    }
    write_json_atomic(&out_dir.join("explain.json"), &all)?;
    crate::results::file::write_bytes_atomic(&out_dir.join("explain.txt"), text.as_bytes())?;
    println!(
        "attribution written to {}",
        out_dir.join("explain.txt").display()
    );
    Ok(())
}

/// The scenarios of which some metric is still inconclusive in a candidate against the
/// first kernel: what `--rounds auto` boots again.
pub fn undecided_scenarios(runs: &[RunResults], gate: &GateOptions) -> Vec<String> {
    let Some((baseline, candidates)) = runs.split_first() else {
        return Vec::new();
    };
    let label = |run: &RunResults| run.environment.kernel_release.clone();
    let baseline = RunEvidence::from_results(label(baseline), baseline);
    undecided_against(&baseline, candidates, gate)
}

/// The scenarios of which some metric is still inconclusive in a candidate against
/// `baseline` (another kernel of the session, or a stored baseline for `bisect-step`).
pub fn undecided_against(
    baseline: &RunEvidence,
    candidates: &[RunResults],
    gate: &GateOptions,
) -> Vec<String> {
    let options = GateOptions {
        interleaved: true,
        ..gate.clone()
    };
    let mut names: Vec<String> = Vec::new();
    for candidate in candidates {
        let candidate =
            RunEvidence::from_results(candidate.environment.kernel_release.clone(), candidate);
        let comparison = compare_evidence(baseline, &candidate, &options);
        for m in comparison
            .metrics
            .iter()
            .filter(|m| m.verdict == Verdict::Inconclusive)
        {
            if !names.contains(&m.id.scenario) {
                names.push(m.id.scenario.clone());
            }
        }
    }
    names
}

/// Each kernel's results table, where its file is, how long its boots took, and its
/// attributions (with `--explain`; `bisect-step` has no baseline trace to diff against, so
/// these are all it shows).
pub fn print_runs(runs: &[KernelRun]) {
    for run in runs {
        println!("\n{}", results_table(&run.results));
        for a in &run.attributions {
            print!(
                "{}: {}",
                run.kernel.label,
                render_attribution(a, &run.results)
            );
        }
        println!("results: {}", run.results_path.display());
        let boots: Vec<String> = run
            .boots
            .iter()
            .map(|b| match b.to_first_workload {
                Some(t) => format!("{:.1} s", t.as_secs_f64()),
                None => "?".into(),
            })
            .collect();
        let total: f64 = run.boots.iter().map(|b| b.wall.as_secs_f64()).sum();
        println!(
            "boot to first workload (host wall time, per round): {}; all rounds {total:.0} s",
            boots.join(", ")
        );
    }
}
