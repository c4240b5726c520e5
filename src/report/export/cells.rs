//! The side-by-side table shared by the text and Markdown formats: one row per metric key,
//! the baseline's median, then median, change (ratio, or difference for event counts),
//! interval, repetitions and verdict of every candidate.

use crate::gate::{Comparison, EffectScale, MetricComparison, Verdict};
use crate::report::format::{self, Table};

/// Builds the table. Keys appear in the order the runs list them; a metric one run lacks
/// shows "missing".
pub fn side_by_side(comparisons: &[Comparison]) -> Table {
    let Some(first) = comparisons.first() else {
        return Table::default();
    };
    let mut header = vec!["metric".to_string(), first.baseline.label.clone()];
    for c in comparisons {
        header.push(c.candidate.label.clone());
        header.push("change".to_string());
        header.push("95% interval".to_string());
        header.push("reps".to_string());
        header.push("verdict".to_string());
    }
    let rows = all_keys(comparisons)
        .into_iter()
        .map(|key| {
            let mut row = vec![key.clone(), baseline_median(comparisons, &key)];
            for c in comparisons {
                row.extend(candidate_cells(c, &key));
            }
            row
        })
        .collect();
    Table { header, rows }
}

fn all_keys(comparisons: &[Comparison]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |key: &str| {
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    };
    for c in comparisons {
        c.metrics.iter().for_each(|m| add(&m.key));
        c.only_in_baseline.iter().for_each(|m| add(&m.key));
        c.only_in_candidate.iter().for_each(|m| add(&m.key));
    }
    keys
}

fn baseline_median(comparisons: &[Comparison], key: &str) -> String {
    for c in comparisons {
        if let Some(m) = c.metrics.iter().find(|m| m.key == key) {
            return format::value(m.baseline.median, &m.unit);
        }
        if let Some(m) = c.only_in_baseline.iter().find(|m| m.key == key) {
            return format::value(m.summary.median, &m.unit);
        }
    }
    "missing".to_string()
}

fn candidate_cells(c: &Comparison, key: &str) -> [String; 5] {
    if let Some(m) = c.metrics.iter().find(|m| m.key == key) {
        return [
            format::value(m.candidate.median, &m.unit),
            change_cell(m),
            interval_cell(m),
            format!("{}/{}", m.baseline.repetitions, m.candidate.repetitions),
            m.verdict.to_string(),
        ];
    }
    if let Some(m) = c.only_in_candidate.iter().find(|m| m.key == key) {
        return [
            format::value(m.summary.median, &m.unit),
            "-".into(),
            "-".into(),
            format!("-/{}", m.summary.repetitions),
            "no baseline".into(),
        ];
    }
    let reps = c
        .only_in_baseline
        .iter()
        .find(|m| m.key == key)
        .map(|m| format!("{}/-", m.summary.repetitions))
        .unwrap_or_else(|| "-".into());
    [
        "missing".into(),
        "-".into(),
        "-".into(),
        reps,
        "MISSING".into(),
    ]
}

/// The effect on the metric's scale: "1.234x" for ratios, "+3" events for counts.
pub fn change_cell(m: &MetricComparison) -> String {
    let effect = match m.scale {
        EffectScale::Ratio => m.ratio,
        EffectScale::Difference => m.difference,
    };
    effect
        .map(|e| format_effect(m.scale, e))
        .unwrap_or_else(|| "-".into())
}

pub fn interval_cell(m: &MetricComparison) -> String {
    m.interval
        .map(|i| {
            format!(
                "[{}, {}]",
                format_effect(m.scale, i.lower),
                format_effect(m.scale, i.upper)
            )
        })
        .unwrap_or_else(|| "-".into())
}

fn format_effect(scale: EffectScale, effect: f64) -> String {
    match scale {
        EffectScale::Ratio => format::ratio(effect),
        EffectScale::Difference => format::difference(effect),
    }
}

/// "5 events" or "35%": the smallest change a comparison could see, on its scale.
pub fn format_detectable(m: &MetricComparison, change: f64) -> String {
    match m.scale {
        EffectScale::Ratio => crate::gate::verdict::percent(change),
        EffectScale::Difference => format!(
            "{} {}",
            format::difference(change).trim_start_matches('+'),
            m.unit
        ),
    }
}

/// Lines worth reading under the table: why the comparison is incomplete, why each
/// non-"unchanged" verdict was given, what the run could not see, warnings, missing and
/// skipped scenarios.
pub fn notes(comparisons: &[Comparison]) -> Vec<String> {
    let mut notes = Vec::new();
    let several = comparisons.len() > 1;
    for c in comparisons {
        let prefix = if several {
            format!("{}: ", c.candidate.label)
        } else {
            String::new()
        };
        for why in &c.incomplete {
            notes.push(format!("{prefix}INCOMPLETE: {why}"));
        }
        for w in &c.warnings {
            notes.push(format!("{prefix}warning: {w}"));
        }
        for m in c.metrics.iter().filter(|m| m.verdict != Verdict::Unchanged) {
            notes.push(format!("{prefix}{} {}: {}", m.key, m.verdict, m.reason));
        }
        // A verdict of any kind shows the run saw enough; only the undecided need the note.
        for m in c
            .metrics
            .iter()
            .filter(|m| m.verdict == Verdict::Inconclusive)
        {
            if let Some(note) = blind_spot(m) {
                notes.push(format!("{prefix}{note}"));
            }
        }
        for m in &c.only_in_baseline {
            notes.push(format!(
                "{prefix}{}: missing in the candidate ({})",
                m.key,
                m.reason.as_deref().unwrap_or("not measured")
            ));
        }
        for m in &c.only_in_candidate {
            notes.push(format!("{prefix}{}: no baseline to compare with", m.key));
        }
        for s in &c.candidate_skipped {
            notes.push(format!("{prefix}skipped: {s}"));
        }
        for s in &c.ignored_scenarios {
            notes.push(format!("{prefix}ignored on request: {s}"));
        }
    }
    notes
}

/// "this run cannot see 10% changes in X; it can see 35%", when the repetitions' spread and
/// count leave the threshold below what the comparison could detect.
pub fn blind_spot(m: &MetricComparison) -> Option<String> {
    if !m.blind_to_threshold() {
        return None;
    }
    let threshold = format_detectable(m, m.smallest_change_that_matters());
    Some(match m.detectable_change {
        Some(d) => format!(
            "{}: this run cannot see {threshold} changes; it can see {} ({}/{} repetitions)",
            m.key,
            format_detectable(m, d),
            m.baseline.repetitions,
            m.candidate.repetitions
        ),
        None => format!(
            "{}: this run cannot see any change: {}/{} repetitions are too few for a verdict",
            m.key, m.baseline.repetitions, m.candidate.repetitions
        ),
    })
}

/// "1 regressed, 0 improved, 3 unchanged, 1 inconclusive" for one comparison, plus the
/// metrics found on one side only and whether the comparison is complete.
pub fn tally(c: &Comparison) -> String {
    let count = |v: Verdict| c.metrics.iter().filter(|m| m.verdict == v).count();
    let mut text = format!(
        "{} vs {}: {} regressed, {} improved, {} unchanged, {} inconclusive",
        c.candidate.label,
        c.baseline.label,
        count(Verdict::Regressed),
        count(Verdict::Improved),
        count(Verdict::Unchanged),
        count(Verdict::Inconclusive)
    );
    if !c.only_in_baseline.is_empty() {
        text.push_str(&format!(", {} missing", c.only_in_baseline.len()));
    }
    if !c.only_in_candidate.is_empty() {
        text.push_str(&format!(", {} new", c.only_in_candidate.len()));
    }
    if !c.is_complete() {
        text.push_str(" (INCOMPLETE: no pass)");
    }
    text
}
