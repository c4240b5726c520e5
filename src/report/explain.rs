//! Attribution diffs as text: one headline in the style of "swap_ns 20x: ip_set_swap
//! +10.1 ms/op, of which synchronize_rcu +10.1 ms/op (new)", then the largest changes.

use super::format;
use crate::explain::diff::{AttributionDiff, Change};
use crate::explain::{Attribution, overhead};
use crate::results::RunResults;

/// How many call paths, callbacks or counts one kernel's attribution shows.
const SHOWN: usize = 8;

/// One kernel's attribution on its own (`kcanary run --explain`): method, notes, the largest
/// figures per operation, and the tracing overhead against the measured run.
pub fn render_attribution(a: &Attribution, run: &RunResults) -> String {
    let mut out = format!(
        "{}: attribution by {} ({} operations traced)\n",
        a.scenario, a.method, a.operations
    );
    let ops = a.operations.max(1) as f64;
    if let Some(graph) = &a.graph {
        let mut paths: Vec<_> = graph.paths.iter().collect();
        paths.sort_by(|x, y| y.1.inclusive_ns.total_cmp(&x.1.inclusive_ns));
        for (path, t) in paths.into_iter().take(SHOWN) {
            out.push_str(&format!(
                "  {:<48} {:>10}/op inclusive {:>10}/op exclusive  {:.2} calls/op\n",
                path.replace(';', " > "),
                format::value(t.inclusive_ns / ops, "ns"),
                format::value(t.exclusive_ns / ops, "ns"),
                t.calls as f64 / ops
            ));
        }
    }
    let mut counts: Vec<_> = a.function_counts.iter().collect();
    counts.sort_by(|x, y| y.1.cmp(x.1));
    for (name, n) in counts.into_iter().take(SHOWN) {
        out.push_str(&format!("  {name:<48} {:.2} calls/op\n", *n as f64 / ops));
    }
    if let Some(events) = &a.events {
        let mut runs: Vec<(String, &crate::tracefs::events::DurationTotals)> = events
            .timer_callbacks
            .iter()
            .map(|(n, t)| (format!("timer {n}"), t))
            .chain(
                events
                    .softirqs
                    .iter()
                    .map(|(n, t)| (format!("softirq {n}"), t)),
            )
            .collect();
        runs.sort_by(|x, y| y.1.max_ns.total_cmp(&x.1.max_ns));
        for (name, t) in runs.into_iter().take(SHOWN) {
            out.push_str(&format!(
                "  {name:<48} longest {:>10}, {} runs, {} in all\n",
                format::value(t.max_ns, "ns"),
                t.count,
                format::value(t.total_ns, "ns")
            ));
        }
        if let Some(off) = &events.task_off_cpu {
            out.push_str(&format!(
                "  {:<48} {:>10}/op, {:.2} switches/op\n",
                "off-CPU (kcanary's tasks)",
                format::value(off.total_ns / ops, "ns"),
                off.count as f64 / ops
            ));
        }
    }
    for (metric, ratio) in overhead(a, run) {
        out.push_str(&format!(
            "  tracing overhead: {metric} median {} of the measured one\n",
            format::ratio(ratio)
        ));
    }
    for note in &a.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    out
}

/// One line naming the largest change and, for a call path, its largest callee change.
pub fn headline(d: &AttributionDiff) -> String {
    let metric = d.metric.as_ref().map_or(String::new(), |m| {
        let metric = m.key.rsplit('/').next().unwrap_or(&m.key);
        match m.ratio {
            Some(r) => format!("{metric} {}: ", format::ratio(r)),
            None => format!("{metric}: "),
        }
    });
    let Some(top) = d
        .changes
        .iter()
        .find(|c| !c.what.contains(';'))
        .or(d.changes.first())
    else {
        return format!("{metric}no attribution ({})", d.notes.join("; "));
    };
    let mut line = format!("{metric}{}", describe(top));
    let prefix = format!("{};", top.what);
    if let Some(callee) = d
        .changes
        .iter()
        .filter(|c| c.what.starts_with(&prefix) && c.delta.signum() == top.delta.signum())
        .max_by(|x, y| x.delta.abs().total_cmp(&y.delta.abs()))
    {
        line.push_str(", of which ");
        line.push_str(&describe(callee));
    }
    line
}

/// "ip_set_swap +10.10 ms/op (new)", "timer estimation_timer +25.1 ms longest run".
fn describe(c: &Change) -> String {
    let name = c.what.rsplit(';').next().unwrap_or(&c.what);
    let sign = if c.delta < 0.0 { "-" } else { "+" };
    let amount = match (c.unit.as_str(), c.baseline, c.candidate) {
        ("ns max", _, None) => "".to_string(),
        ("ns max", None, Some(after)) => format!("longest run {}", format::value(after, "ns")),
        ("ns max", Some(before), Some(after)) => format!(
            "longest run {} (was {})",
            format::value(after, "ns"),
            format::value(before, "ns")
        ),
        ("ns/op", ..) => format!("{sign}{}/op", format::value(c.delta.abs(), "ns")),
        _ => format!("{sign}{:.2} {}", c.delta.abs(), c.unit),
    };
    let mut text = format!("{name} {amount}");
    if c.is_new() {
        text.push_str(" (new)");
    } else if let (None, Some(before)) = (c.candidate, c.baseline) {
        text = match c.unit.as_str() {
            "ns max" => format!(
                "{name} gone (longest run was {})",
                format::value(before, "ns")
            ),
            _ => format!("{name} {amount} (gone)"),
        };
    }
    text
}

/// The headline, then each change on its own line, then the notes.
pub fn render(d: &AttributionDiff) -> String {
    let mut out = format!(
        "{}: {}\n  method: baseline {}, candidate {}\n",
        d.scenario,
        headline(d),
        d.baseline_method,
        d.candidate_method
    );
    for c in &d.changes {
        let side = |v: Option<f64>| match (v, c.unit.as_str()) {
            (None, _) => "-".to_string(),
            (Some(v), "calls/op") => format!("{v:.2}"),
            (Some(v), _) => format::value(v, "ns"),
        };
        let calls = match (
            c.baseline_calls_per_op,
            c.candidate_calls_per_op,
            c.unit.as_str(),
        ) {
            (b, a, "ns max") => format!(
                "  runs {} -> {}",
                b.map_or("0".into(), |v| format!("{v:.0}")),
                a.map_or("0".into(), |v| format!("{v:.0}"))
            ),
            (None, None, _) => String::new(),
            (b, a, _) => format!(
                "  calls/op {} -> {}",
                b.map_or("-".into(), |v| format!("{v:.2}")),
                a.map_or("-".into(), |v| format!("{v:.2}"))
            ),
        };
        let share = c.share_of_change.map_or(String::new(), |s| {
            format!("  {:.0}% of the change", s * 100.0)
        });
        let unit = match c.unit.as_str() {
            "ns/op" => "per op",
            "ns max" => "longest run",
            other => other,
        };
        out.push_str(&format!(
            "  {:<44} {:>10} -> {:>10} {unit}{calls}{share}\n",
            c.what.replace(';', " > "),
            side(c.baseline),
            side(c.candidate),
        ));
    }
    for note in &d.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    out
}
