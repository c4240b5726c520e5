//! The history as text: one sentence per metric ("step up 1.92x [1.71x, 2.10x] between A
//! and B; flat elsewhere"), for a terminal or as Markdown. The Markdown summary lists only
//! metrics with change points; the text report lists every metric, so "nothing changed" is
//! visible as such.

use super::collection::History;
use super::detect::{MetricHistory, Step, StepSize};
use crate::report::format;

/// "step up 1.920x [1.710x, 2.100x] between 6.1.0-50-cloud-amd64 and 6.1.0-51-cloud-amd64
/// (worse, p=0.0001)".
pub fn describe_step(metric: &MetricHistory, step: &Step) -> String {
    let points = &metric.series.points;
    let (before, after) = (&points[step.at - 1].release, &points[step.at].release);
    let size = match step.size {
        StepSize::Ratio { ratio, interval } => format!(
            "step {} {}",
            if ratio >= 1.0 { "up" } else { "down" },
            step_ratios([ratio, interval.lower, interval.upper])
        ),
        StepSize::Difference {
            difference,
            interval,
        } => format!(
            "step {} {} {} per repetition [{}, {}]",
            if difference >= 0.0 { "up" } else { "down" },
            format::difference(difference),
            metric.series.unit,
            format::difference(interval.lower),
            format::difference(interval.upper)
        ),
    };
    let direction = if step.worse { "worse" } else { "better" };
    format!(
        "{size} between {before} and {after} ({direction}, p={})",
        p_value(step.p_value)
    )
}

/// A step and its interval, "1.92x [1.71x, 2.10x]", all three in one form: small steps,
/// which deterministic mode resolves, as signed percentages ("+0.013% [+0.013%, +0.019%]"),
/// where "1.000x" would hide them; factors as soon as one of the three is beyond ±10%.
fn step_ratios([ratio, lower, upper]: [f64; 3]) -> String {
    let small = [ratio, lower, upper]
        .iter()
        .all(|r| (0.9..=1.1).contains(r));
    let decimals = if (ratio - 1.0).abs() < 0.001 { 3 } else { 2 };
    let one = |r: f64| {
        if small {
            format!("{:+.*}%", decimals, (r - 1.0) * 100.0)
        } else {
            format::ratio(r)
        }
    };
    format!("{} [{}, {}]", one(ratio), one(lower), one(upper))
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// One line for a metric: its change points, or why it has none.
pub fn metric_line(metric: &MetricHistory) -> String {
    let key = &metric.series.key;
    if let Some(reason) = &metric.not_tested {
        return format!("{key}: not tested ({reason})");
    }
    let change_points: Vec<String> = metric
        .change_points()
        .map(|s| describe_step(metric, s))
        .collect();
    let small: Vec<String> = metric
        .steps
        .iter()
        .filter(|s| !s.matters)
        .map(|s| describe_step(metric, s))
        .collect();
    let threshold = format!("{:.0}%", metric.series.threshold * 100.0);
    let mut line = if change_points.is_empty() {
        format!("{key}: no change point beyond the {threshold} threshold")
    } else {
        format!("{key}: {}; flat elsewhere", change_points.join("; "))
    };
    if !small.is_empty() {
        line.push_str(&format!(
            " (also significant but within ±{threshold}: {})",
            small.join("; ")
        ));
    }
    line
}

/// The terminal report: the kernels in order, then every metric.
pub fn text_report(history: &History, metrics: &[MetricHistory], alpha: f64) -> String {
    let mut out = kernels_line(history);
    out.push_str(&format!(
        "change points: binary segmentation, permutation rank test, family-wise alpha {alpha} over {} metrics\n\n",
        tested(metrics)
    ));
    for metric in metrics {
        out.push_str(&metric_line(metric));
        out.push('\n');
    }
    let found = metrics
        .iter()
        .filter(|m| m.change_points().next().is_some())
        .count();
    out.push_str(&format!(
        "\n{found} of {} metrics have change points\n",
        tested(metrics)
    ));
    out
}

fn tested(metrics: &[MetricHistory]) -> usize {
    metrics.iter().filter(|m| m.not_tested.is_none()).count()
}

fn kernels_line(history: &History) -> String {
    let names: Vec<&str> = history.kernels.iter().map(|k| k.release.as_str()).collect();
    format!(
        "{} kernels ({}): {}\n",
        names.len(),
        history.execution_mode,
        names.join(", ")
    )
}

/// The Markdown summary: only metrics with change points, each with its plot when one
/// was drawn (`plot_of` gives the path relative to the summary).
pub fn markdown_summary(
    history: &History,
    metrics: &[MetricHistory],
    plot_of: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::from("## Kernel history\n\n");
    out.push_str(&kernels_line(history));
    let with_changes: Vec<&MetricHistory> = metrics
        .iter()
        .filter(|m| m.change_points().next().is_some())
        .collect();
    out.push_str(&format!(
        "\n{} of {} metrics have change points.\n",
        with_changes.len(),
        tested(metrics)
    ));
    for metric in with_changes {
        out.push_str(&format!("\n### `{}`\n\n", metric.series.key));
        for step in metric.change_points() {
            out.push_str(&format!("- {}\n", describe_step(metric, step)));
        }
        if let Some(plot) = plot_of(&metric.series.key) {
            out.push_str(&format!("\n![{}]({plot})\n", metric.series.key));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::step_ratios;

    #[test]
    fn a_step_and_its_interval_share_one_form() {
        assert_eq!(
            step_ratios([1.00013, 1.00013, 1.00019]),
            "+0.013% [+0.013%, +0.019%]"
        );
        assert_eq!(step_ratios([0.97, 0.96, 0.98]), "-3.00% [-4.00%, -2.00%]");
        assert_eq!(
            step_ratios([0.893, 0.686, 0.942]),
            "0.893x [0.686x, 0.942x]"
        );
    }
}
