//! Candidate against baseline: which call paths (or timer callbacks, softirqs, off-CPU time)
//! grew per operation, which are new, whose call counts changed, and what share of the
//! metric's own change each accounts for.

use super::{Attribution, Method};
use crate::tracefs::events::DurationTotals;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many changes a diff keeps (largest first).
const MAX_CHANGES: usize = 12;

/// The measured change of the metric being explained (from the gate's comparison).
#[derive(Debug, Clone, Serialize)]
pub struct MetricChange {
    /// "scenario/metric".
    pub key: String,
    pub ratio: Option<f64>,
    /// Candidate median minus baseline median of the measured repetitions, per operation,
    /// nanoseconds.
    pub change_ns: f64,
    /// The same difference between the two traced repetitions, when both measured the
    /// metric: the traced times carry the tracing overhead, so shares are taken of this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traced_change_ns: Option<f64>,
}

/// One thing that changed between the two traces.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// A call path ("ip_set_swap;synchronize_rcu"), "timer estimation_timer",
    /// "softirq TIMER" or "off-CPU".
    pub what: String,
    /// What the values measure: "ns/op" (inclusive time per operation), "ns max" (longest
    /// single run), "calls/op".
    pub unit: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// candidate - baseline (a missing side counts as 0).
    pub delta: f64,
    /// Calls per operation on each side, where the method counts calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_calls_per_op: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_calls_per_op: Option<f64>,
    /// delta / the metric's change, for per-operation times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of_change: Option<f64>,
}

impl Change {
    /// Present in the candidate's trace and not in the baseline's.
    pub fn is_new(&self) -> bool {
        self.baseline.is_none() && self.candidate.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributionDiff {
    pub scenario: String,
    pub baseline_method: Method,
    pub candidate_method: Method,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricChange>,
    /// Largest first.
    pub changes: Vec<Change>,
    /// Why the diff is partial or empty (methods differ, nothing traced, lost events).
    pub notes: Vec<String>,
}

pub fn diff(
    baseline: &Attribution,
    candidate: &Attribution,
    metric: Option<MetricChange>,
) -> AttributionDiff {
    let mut notes = Vec::new();
    if baseline.method != candidate.method {
        notes.push(format!(
            "the kernels were traced differently (baseline: {}, candidate: {}): only what \
             both traces have is compared",
            baseline.method, candidate.method
        ));
    }
    for (side, a) in [("baseline", baseline), ("candidate", candidate)] {
        if a.method == Method::None {
            notes.push(format!("{side}: not traced: {}", a.notes.join("; ")));
        }
        if a.lost_events > 0 {
            notes.push(format!("{side}: {} trace events lost", a.lost_events));
        }
    }
    let mut changes = Vec::new();
    if let (Some(b), Some(c)) = (&baseline.graph, &candidate.graph) {
        let per_op = |a: &Attribution, totals: Option<&crate::tracefs::graph::PathTotals>| {
            totals.map(|t| {
                let ops = a.operations.max(1) as f64;
                (t.inclusive_ns / ops, t.calls as f64 / ops)
            })
        };
        let paths: BTreeSet<&String> = b.paths.keys().chain(c.paths.keys()).collect();
        for path in paths {
            let before = per_op(baseline, b.paths.get(path));
            let after = per_op(candidate, c.paths.get(path));
            changes.push(Change {
                what: path.clone(),
                unit: "ns/op".into(),
                baseline: before.map(|v| v.0),
                candidate: after.map(|v| v.0),
                delta: after.map_or(0.0, |v| v.0) - before.map_or(0.0, |v| v.0),
                baseline_calls_per_op: before.map(|v| v.1),
                candidate_calls_per_op: after.map(|v| v.1),
                share_of_change: None,
            });
        }
    }
    if !baseline.function_counts.is_empty() || !candidate.function_counts.is_empty() {
        let per_op = |a: &Attribution, f: &str| {
            a.function_counts
                .get(f)
                .map(|&n| n as f64 / a.operations.max(1) as f64)
        };
        let names: BTreeSet<&String> = baseline
            .function_counts
            .keys()
            .chain(candidate.function_counts.keys())
            .collect();
        for name in names {
            let (before, after) = (per_op(baseline, name), per_op(candidate, name));
            changes.push(Change {
                what: name.clone(),
                unit: "calls/op".into(),
                baseline: before,
                candidate: after,
                delta: after.unwrap_or(0.0) - before.unwrap_or(0.0),
                baseline_calls_per_op: None,
                candidate_calls_per_op: None,
                share_of_change: None,
            });
        }
    }
    if let (Some(b), Some(c)) = (&baseline.events, &candidate.events) {
        longest_runs(
            &mut changes,
            "timer",
            &b.timer_callbacks,
            &c.timer_callbacks,
        );
        longest_runs(&mut changes, "softirq", &b.softirqs, &c.softirqs);
        if let (Some(b_off), Some(c_off)) = (&b.task_off_cpu, &c.task_off_cpu) {
            let per_op = |a: &Attribution, t: &DurationTotals| {
                (
                    t.total_ns / a.operations.max(1) as f64,
                    t.count as f64 / a.operations.max(1) as f64,
                )
            };
            let (before, after) = (per_op(baseline, b_off), per_op(candidate, c_off));
            changes.push(Change {
                what: "off-CPU (kcanary's tasks)".into(),
                unit: "ns/op".into(),
                baseline: Some(before.0),
                candidate: Some(after.0),
                delta: after.0 - before.0,
                baseline_calls_per_op: Some(before.1),
                candidate_calls_per_op: Some(after.1),
                share_of_change: None,
            });
        }
    }
    let metric = metric.map(|m| MetricChange {
        traced_change_ns: traced_change(&m.key, baseline, candidate),
        ..m
    });
    if let Some(m) = &metric {
        let change = m.traced_change_ns.unwrap_or(m.change_ns);
        if change != 0.0 {
            for c in changes.iter_mut().filter(|c| c.unit == "ns/op") {
                c.share_of_change = Some(c.delta / change);
            }
        }
    }
    changes.sort_by(|x, y| y.delta.abs().total_cmp(&x.delta.abs()));
    changes.truncate(MAX_CHANGES);
    AttributionDiff {
        scenario: candidate.scenario.clone(),
        baseline_method: baseline.method,
        candidate_method: candidate.method,
        metric,
        changes,
        notes,
    }
}

/// Candidate minus baseline median of `key`'s metric in the traced repetitions.
fn traced_change(key: &str, baseline: &Attribution, candidate: &Attribution) -> Option<f64> {
    let metric = key.rsplit('/').next()?;
    Some(candidate.traced_medians.get(metric)? - baseline.traced_medians.get(metric)?)
}

/// Timer callbacks or softirqs compared by their longest single run: what a latency probe
/// waits behind is one long run, not the sum.
fn longest_runs(
    changes: &mut Vec<Change>,
    kind: &str,
    baseline: &BTreeMap<String, DurationTotals>,
    candidate: &BTreeMap<String, DurationTotals>,
) {
    let names: BTreeSet<&String> = baseline.keys().chain(candidate.keys()).collect();
    for name in names {
        let (before, after) = (baseline.get(name), candidate.get(name));
        changes.push(Change {
            what: format!("{kind} {name}"),
            unit: "ns max".into(),
            baseline: before.map(|t| t.max_ns),
            candidate: after.map(|t| t.max_ns),
            delta: after.map_or(0.0, |t| t.max_ns) - before.map_or(0.0, |t| t.max_ns),
            baseline_calls_per_op: before.map(|t| t.count as f64),
            candidate_calls_per_op: after.map(|t| t.count as f64),
            share_of_change: None,
        });
    }
}

/// The metric an attribution explains: the scenario's regressed per-operation time metric
/// with the largest ratio, else its time metric with the largest ratio.
pub fn metric_to_explain(
    scenario: &str,
    comparison: &crate::gate::Comparison,
) -> Option<MetricChange> {
    use crate::gate::Verdict;
    let mut candidates: Vec<&crate::gate::compare::MetricComparison> = comparison
        .metrics
        .iter()
        .filter(|m| m.id.scenario == scenario && m.unit == "ns" && m.ratio.is_some())
        .collect();
    candidates.sort_by(|x, y| {
        let regressed =
            |m: &crate::gate::compare::MetricComparison| m.verdict == Verdict::Regressed;
        regressed(y)
            .cmp(&regressed(x))
            .then(y.ratio.unwrap_or(1.0).total_cmp(&x.ratio.unwrap_or(1.0)))
    });
    candidates.first().map(|m| MetricChange {
        key: m.key.clone(),
        ratio: m.ratio,
        change_ns: m.candidate.median - m.baseline.median,
        traced_change_ns: None,
    })
}

/// Every scenario both kernels traced, candidate against baseline.
pub fn diff_runs(
    baseline: &[Attribution],
    candidate: &[Attribution],
    comparison: &crate::gate::Comparison,
) -> Vec<AttributionDiff> {
    candidate
        .iter()
        .filter_map(|c| {
            let b = baseline.iter().find(|b| b.scenario == c.scenario)?;
            Some(diff(b, c, metric_to_explain(&c.scenario, comparison)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracefs::graph;

    fn traced(scenario: &str, trace: &str) -> Attribution {
        let profile = graph::aggregate(trace);
        Attribution {
            method: Method::FunctionGraph,
            operations: profile.root_calls.values().sum(),
            graph: Some(profile),
            ..Attribution::new(scenario)
        }
    }

    #[test]
    fn a_new_callee_is_found_with_its_share_of_the_change() {
        let baseline = traced(
            "swap",
            " 0)  t-1 |               |  ip_set_swap() {
 0)  t-1 |   1.000 us    |    mutex_lock();
 0)  t-1 |   2.000 us    |  } /* ip_set_swap */
 0)  t-1 |   2.000 us    |  ip_set_swap();
",
        );
        let candidate = traced(
            "swap",
            " 0)  t-1 |               |  ip_set_swap() {
 0)  t-1 |   1.000 us    |    mutex_lock();
 0)  t-1 | ! 10001.00 us |    synchronize_rcu();
 0)  t-1 | ! 10003.00 us |  } /* ip_set_swap */
 0)  t-1 |               |  ip_set_swap() {
 0)  t-1 | ! 10001.00 us |    synchronize_rcu();
 0)  t-1 | ! 10001.00 us |  } /* ip_set_swap */
",
        );
        let metric = MetricChange {
            key: "swap/swap_ns".into(),
            ratio: Some(5000.0),
            change_ns: 10_000_000.0,
            traced_change_ns: None,
        };
        let d = diff(&baseline, &candidate, Some(metric));
        // ip_set_swap: 2 µs/op → 10.002 ms/op; synchronize_rcu: new at 10.001 ms/op, the
        // largest change.
        assert_eq!(d.changes[0].what, "ip_set_swap;synchronize_rcu");
        let swap = d.changes.iter().find(|c| c.what == "ip_set_swap").unwrap();
        assert!((swap.delta - 10_000_000.0).abs() < 1.0);
        assert_eq!(
            crate::report::explain::headline(&d),
            "swap_ns 5000x: ip_set_swap +10.00 ms/op, of which synchronize_rcu +10.00 ms/op (new)"
        );
        let rcu = d
            .changes
            .iter()
            .find(|c| c.what == "ip_set_swap;synchronize_rcu")
            .unwrap();
        assert!(rcu.is_new());
        assert!((rcu.share_of_change.unwrap() - 1.0001).abs() < 1e-6);
        assert_eq!(rcu.candidate_calls_per_op, Some(1.0));
        // mutex_lock went from once per swap to once in two swaps.
        let lock = d
            .changes
            .iter()
            .find(|c| c.what == "ip_set_swap;mutex_lock")
            .unwrap();
        assert_eq!(lock.baseline_calls_per_op, Some(0.5));
        assert!(d.notes.is_empty());
    }

    #[test]
    fn different_methods_are_said_and_nothing_is_invented() {
        let baseline = traced("swap", " 0)  t-1 |   2.000 us    |  ip_set_swap();\n");
        let candidate = Attribution {
            notes: vec!["no function_graph tracer on this kernel".into()],
            ..Attribution::new("swap")
        };
        let d = diff(&baseline, &candidate, None);
        assert!(d.changes.is_empty());
        assert!(d.notes[0].contains("traced differently"));
        assert!(d.notes[1].contains("no function_graph"));
    }
}
