//! Runs scenarios: warm-up, measured repetitions, and the merge of each repetition's samples
//! into one `MetricResult` per metric. This is the "scenario → workload → samples" step.

use crate::error::{KcanaryError, Result};
use crate::results::{
    Environment, ExecutionMode, MetricResult, RunResults, SCHEMA_VERSION, Skipped, Summary,
};
use crate::scenario::Scenario;
use crate::stats::mann_whitney::{DEFAULT_ALPHA, minimum_repetitions};
use crate::workload::{Measurement, Progress, RepetitionContext};

/// Hooks the command line gives the runner: progress display and status lines.
pub struct RunHooks<'a> {
    pub progress: &'a dyn Progress,
    /// Called with one human-readable line per scenario start/skip (stderr in the CLI).
    pub status: &'a dyn Fn(&str),
}

/// Runs every scenario in order and gathers the results of the whole run. A scenario this
/// kernel cannot run is recorded as skipped with the reason, whether it was named or came
/// with the default suite, so the results of the others are still kept; commands decide
/// what a skip of a named scenario means for their exit code (`RunResults::skipped`).
pub fn run_scenarios(
    scenarios: &[Scenario],
    execution_mode: ExecutionMode,
    hooks: &RunHooks,
) -> Result<RunResults> {
    let mut run = RunResults {
        schema_version: SCHEMA_VERSION,
        environment: Environment::capture(execution_mode),
        results: Vec::new(),
        skipped: Vec::new(),
    };
    let least = minimum_repetitions(DEFAULT_ALPHA);
    for scenario in scenarios {
        if let Err(reason) = scenario.workload.available() {
            (hooks.status)(&format!("{}: skipped: {reason}", scenario.name));
            run.skipped.push(Skipped {
                scenario: scenario.name.clone(),
                reason,
            });
            continue;
        }
        (hooks.status)(&format!(
            "{}: {} ({} warm-up + {} repetitions{})",
            scenario.name,
            scenario.workload.name(),
            scenario.warmup,
            scenario.repetitions,
            if scenario.repetitions < least {
                format!("; too few for a gate verdict, which needs {least}")
            } else {
                String::new()
            }
        ));
        run.results.extend(run_scenario(scenario, hooks.progress)?);
    }
    Ok(run)
}

/// Runs one scenario's warm-up and measured repetitions.
pub fn run_scenario(scenario: &Scenario, progress: &dyn Progress) -> Result<Vec<MetricResult>> {
    let mut merged: Vec<MetricResult> = Vec::new();
    for index in 0..scenario.warmup + scenario.repetitions {
        let warmup = index < scenario.warmup;
        let ctx = RepetitionContext {
            index,
            warmup,
            progress,
        };
        let measurements = scenario.workload.run(&scenario.params, &ctx)?;
        if !warmup {
            merge_repetition(scenario, measurements, &mut merged)?;
            if index == scenario.warmup {
                check_threshold_names(scenario, &merged)?;
            }
        }
    }
    for metric in &mut merged {
        metric.summary = Summary::of(&metric.samples).expect("merge rejects empty measurements");
    }
    Ok(merged)
}

/// A `[thresholds]` entry naming no metric of the workload would be silently ignored; the
/// metric names are known once the first repetition produced them (some depend on the
/// parameters, like a replay's per-command metrics).
fn check_threshold_names(scenario: &Scenario, merged: &[MetricResult]) -> Result<()> {
    for name in scenario.metric_thresholds.keys() {
        if !merged.iter().any(|m| &m.metric == name) {
            let known: Vec<&str> = merged.iter().map(|m| m.metric.as_str()).collect();
            return Err(KcanaryError::bad_input(
                &scenario.source,
                crate::scenario::file::key_line_in_file(&scenario.source, name),
                format!(
                    "[thresholds] names '{name}', which workload {} does not measure (its \
                     metrics: {})",
                    scenario.workload.name(),
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn merge_repetition(
    scenario: &Scenario,
    measurements: Vec<Measurement>,
    merged: &mut Vec<MetricResult>,
) -> Result<()> {
    for m in measurements {
        if m.samples.is_empty() {
            return Err(KcanaryError::Kernel(format!(
                "{}: workload {} produced no samples for {}",
                scenario.name,
                scenario.workload.name(),
                m.metric
            )));
        }
        let position = merged.iter().position(|r| r.metric == m.metric);
        let result = match position {
            Some(i) => &mut merged[i],
            None => {
                merged.push(MetricResult {
                    scenario: scenario.name.clone(),
                    metric: m.metric.to_string(),
                    unit: m.unit.to_string(),
                    better: m.better,
                    sample_kind: m.kind,
                    role: Some(m.role),
                    samples: Vec::new(),
                    repetition_sizes: Vec::new(),
                    // Replaced by the summary of every repetition once the scenario is done.
                    summary: Summary::of(&m.samples).expect("checked non-empty above"),
                    threshold: scenario.threshold_for(m.metric),
                    parameters: scenario.params.to_json(),
                });
                merged.last_mut().expect("just pushed")
            }
        };
        result.repetition_sizes.push(m.samples.len());
        result.samples.extend(m.samples);
    }
    Ok(())
}
