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
                    threshold: scenario.threshold_for(&m.metric),
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

/// The runner with a fake workload in place of the kernel, as hyperfine tests its scheduler
/// with a mock executor: each repetition returns samples derived from its index, so a test
/// can tell which repetitions were recorded and in what order.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Better, MetricRole, SampleKind};
    use crate::workload::{
        Accepts, NoProgress, ParamKind, ParamSpec, Params, Workload, WorkloadRef,
    };
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    const PARAMS: &[ParamSpec] = &[ParamSpec {
        name: "size",
        kind: ParamKind::Integer,
        accepts: Accepts::Any,
        default: "3",
        help: "samples of op_ns in repetition 0",
    }];

    /// Repetition `i` measures `op_ns` with `size + i` samples (i*100, i*100+1, ...) and
    /// `total_ns` once (i*1000), so repetitions differ in size and in values.
    #[derive(Default)]
    struct FakeWorkload {
        unavailable: Option<&'static str>,
        fails_at: Option<usize>,
        no_samples_at: Option<usize>,
        /// (index, warm-up) of every repetition run, in order.
        runs: Mutex<Vec<(usize, bool)>>,
    }

    impl FakeWorkload {
        /// Shared: the scenario holds one reference, the test keeps one to read `runs`.
        fn shared(self) -> Arc<FakeWorkload> {
            Arc::new(self)
        }

        fn runs(&self) -> Vec<(usize, bool)> {
            self.runs.lock().unwrap().clone()
        }
    }

    impl Workload for FakeWorkload {
        fn name(&self) -> &'static str {
            "fake.workload"
        }
        fn summary(&self) -> &'static str {
            "a stand-in for a kernel workload"
        }
        fn params(&self) -> &'static [ParamSpec] {
            PARAMS
        }
        fn available(&self) -> std::result::Result<(), String> {
            self.unavailable.map_or(Ok(()), |reason| Err(reason.into()))
        }
        fn check(&self, params: &Params) -> std::result::Result<(), String> {
            params.usize("size").map(drop)
        }
        fn kernel_modules(&self) -> &'static [&'static str] {
            &[]
        }
        fn entry_points(&self) -> &'static [crate::workload::EntryPoint] {
            &[]
        }
        fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>> {
            self.runs.lock().unwrap().push((ctx.index, ctx.warmup));
            if self.fails_at == Some(ctx.index) {
                return Err(KcanaryError::Kernel("the fake kernel said no".into()));
            }
            let count = if self.no_samples_at == Some(ctx.index) {
                0
            } else {
                params.usize("size").map_err(KcanaryError::Usage)? + ctx.index
            };
            let base = (ctx.index * 100) as f64;
            let op_ns = (0..count).map(|k| base + k as f64).collect();
            Ok(vec![
                Measurement::latency_ns("op_ns", op_ns),
                Measurement::total_ns("total_ns", (ctx.index * 1000) as f64),
            ])
        }
    }

    fn scenario(name: &str, workload: &Arc<FakeWorkload>, warmup: usize, reps: usize) -> Scenario {
        Scenario {
            name: name.into(),
            description: String::new(),
            workload: WorkloadRef::from(Arc::clone(workload)),
            params: Params::resolve(workload.params(), &toml::Table::new()).unwrap(),
            repetitions: reps,
            warmup,
            threshold: Some(0.1),
            metric_thresholds: BTreeMap::new(),
            tags: Vec::new(),
            source: PathBuf::from("builtin:fake.toml"),
        }
    }

    fn metric<'a>(results: &'a [MetricResult], name: &str) -> &'a MetricResult {
        results.iter().find(|m| m.metric == name).unwrap()
    }

    /// Runs `scenarios` and returns the results and the status lines.
    fn run_all(scenarios: &[Scenario]) -> (Result<RunResults>, Vec<String>) {
        let lines = RefCell::new(Vec::new());
        let status = |line: &str| lines.borrow_mut().push(line.to_string());
        let hooks = RunHooks {
            progress: &NoProgress,
            status: &status,
        };
        let run = run_scenarios(scenarios, ExecutionMode::QemuKvm, &hooks);
        (run, lines.into_inner())
    }

    #[test]
    fn warmup_repetitions_run_first_and_are_not_recorded() {
        let workload = FakeWorkload::default().shared();
        let results = run_scenario(&scenario("s", &workload, 2, 3), &NoProgress).unwrap();
        assert_eq!(
            workload.runs(),
            [(0, true), (1, true), (2, false), (3, false), (4, false)]
        );
        let total = metric(&results, "total_ns");
        assert_eq!(total.samples, [2000.0, 3000.0, 4000.0]);
        assert!(
            metric(&results, "op_ns")
                .samples
                .iter()
                .all(|&s| s >= 200.0)
        );
    }

    #[test]
    fn repetitions_merge_into_one_result_per_metric_with_their_sizes() {
        let workload = FakeWorkload::default().shared();
        let mut scenario = scenario("s", &workload, 0, 3);
        scenario.metric_thresholds.insert("total_ns".into(), 0.5);
        let results = run_scenario(&scenario, &NoProgress).unwrap();
        let names: Vec<&str> = results.iter().map(|m| m.metric.as_str()).collect();
        assert_eq!(names, ["op_ns", "total_ns"], "in the workload's order");

        let op = metric(&results, "op_ns");
        assert_eq!(op.repetition_sizes, [3, 4, 5]);
        let expected: Vec<f64> = [(0.0, 3), (100.0, 4), (200.0, 5)]
            .iter()
            .flat_map(|&(base, n)| (0..n).map(move |k| base + f64::from(k)))
            .collect();
        assert_eq!(op.samples, expected);
        let per_repetition: Vec<&[f64]> = op.repetitions().collect();
        assert_eq!(per_repetition[1], [100.0, 101.0, 102.0, 103.0]);
        // The summary covers every repetition, not the first one it was created from.
        assert_eq!(op.summary, Summary::of(&expected).unwrap());
        assert_eq!(op.summary.n, 12);

        assert_eq!((op.scenario.as_str(), op.unit.as_str()), ("s", "ns"));
        assert_eq!(op.better, Better::Lower);
        assert_eq!(op.sample_kind, SampleKind::PerOperation);
        assert_eq!(op.role, Some(MetricRole::Performance));
        assert_eq!(op.threshold, Some(0.1), "the scenario's threshold");
        assert_eq!(op.parameters["size"], serde_json::json!(3));

        let total = metric(&results, "total_ns");
        assert_eq!(total.repetition_sizes, [1, 1, 1]);
        assert_eq!(total.sample_kind, SampleKind::PerRepetition);
        assert_eq!(total.threshold, Some(0.5), "the per-metric override");
    }

    #[test]
    fn an_unavailable_workload_is_skipped_with_its_reason_and_the_others_still_run() {
        let missing = FakeWorkload {
            unavailable: Some("no IP_VS in this kernel"),
            ..Default::default()
        }
        .shared();
        let present = FakeWorkload::default().shared();
        let (run, lines) = run_all(&[
            scenario("first", &present, 0, 4),
            scenario("ipvs", &missing, 1, 4),
            scenario("last", &present, 0, 4),
        ]);
        let run = run.unwrap();
        assert!(missing.runs().is_empty(), "a skipped workload never runs");
        assert_eq!(run.skipped.len(), 1);
        assert_eq!(run.skipped[0].scenario, "ipvs");
        assert_eq!(run.skipped[0].reason, "no IP_VS in this kernel");
        let scenarios: Vec<&str> = run.results.iter().map(|m| m.scenario.as_str()).collect();
        assert_eq!(scenarios, ["first", "first", "last", "last"], "in order");
        assert_eq!(run.environment.execution_mode, ExecutionMode::QemuKvm);
        assert_eq!(
            lines,
            [
                "first: fake.workload (0 warm-up + 4 repetitions)",
                "ipvs: skipped: no IP_VS in this kernel",
                "last: fake.workload (0 warm-up + 4 repetitions)",
            ]
        );
    }

    #[test]
    fn the_status_line_says_when_repetitions_are_too_few_for_a_verdict() {
        let least = minimum_repetitions(DEFAULT_ALPHA);
        let workload = FakeWorkload::default().shared();
        let (run, lines) = run_all(&[scenario("few", &workload, 1, least - 1)]);
        run.unwrap();
        assert_eq!(
            lines,
            [format!(
                "few: fake.workload (1 warm-up + {} repetitions; too few for a gate verdict, \
                 which needs {least})",
                least - 1
            )]
        );
    }

    #[test]
    fn a_workload_error_stops_the_run_and_propagates() {
        let workload = FakeWorkload {
            fails_at: Some(2),
            ..Default::default()
        }
        .shared();
        let (run, _) = run_all(&[scenario("s", &workload, 1, 4)]);
        let error = run.expect_err("the workload failed");
        assert!(matches!(error, KcanaryError::Kernel(_)), "{error:?}");
        assert_eq!(error.to_string(), "the fake kernel said no");
        assert_eq!(workload.runs().len(), 3, "no repetition after the failure");
    }

    #[test]
    fn a_repetition_without_samples_is_an_error_naming_the_metric() {
        let workload = FakeWorkload {
            no_samples_at: Some(1),
            ..Default::default()
        }
        .shared();
        let error = run_scenario(&scenario("s", &workload, 0, 3), &NoProgress).unwrap_err();
        assert_eq!(
            error.to_string(),
            "s: workload fake.workload produced no samples for op_ns"
        );
    }

    #[test]
    fn a_threshold_for_an_unknown_metric_fails_after_the_first_measured_repetition() {
        let workload = FakeWorkload::default().shared();
        let mut scenario = scenario("s", &workload, 1, 3);
        scenario.metric_thresholds.insert("op_typo_ns".into(), 0.2);
        let error = run_scenario(&scenario, &NoProgress).unwrap_err();
        assert!(matches!(error, KcanaryError::BadInput { .. }), "{error:?}");
        assert!(
            error.to_string().contains(
                "names 'op_typo_ns', which workload fake.workload does not measure \
                           (its metrics: op_ns, total_ns)"
            ),
            "{error}"
        );
        assert_eq!(workload.runs(), [(0, true), (1, false)]);
    }
}
