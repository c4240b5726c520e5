//! The side-by-side table shared by the text and Markdown formats: one row per metric key,
//! the baseline's median, then median, ratio, interval and verdict of every candidate.

use crate::gate::{Comparison, MetricComparison};
use crate::report::table::format_value;

pub struct SideBySide {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Builds the table. Keys appear in the order the runs list them; a metric one run lacks
/// shows "missing".
pub fn side_by_side(comparisons: &[Comparison]) -> SideBySide {
    let Some(first) = comparisons.first() else {
        return SideBySide {
            header: Vec::new(),
            rows: Vec::new(),
        };
    };
    let mut header = vec!["metric".to_string(), first.baseline.label.clone()];
    for c in comparisons {
        header.push(c.candidate.label.clone());
        header.push("ratio".to_string());
        header.push("95% interval".to_string());
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
    SideBySide { header, rows }
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
            return format_value(m.baseline.median, &m.unit);
        }
        if let Some(m) = c.only_in_baseline.iter().find(|m| m.key == key) {
            return format_value(m.summary.median, &m.unit);
        }
    }
    "missing".to_string()
}

fn candidate_cells(c: &Comparison, key: &str) -> [String; 4] {
    if let Some(m) = c.metrics.iter().find(|m| m.key == key) {
        return [
            format_value(m.candidate.median, &m.unit),
            ratio_cell(m),
            interval_cell(m),
            m.verdict.to_string(),
        ];
    }
    if let Some(m) = c.only_in_candidate.iter().find(|m| m.key == key) {
        return [
            format_value(m.summary.median, &m.unit),
            "-".into(),
            "-".into(),
            "no baseline".into(),
        ];
    }
    ["missing".into(), "-".into(), "-".into(), "missing".into()]
}

pub fn ratio_cell(m: &MetricComparison) -> String {
    m.ratio.map(format_ratio).unwrap_or_else(|| "-".into())
}

pub fn interval_cell(m: &MetricComparison) -> String {
    m.interval
        .map(|i| format!("[{}, {}]", format_ratio(i.lower), format_ratio(i.upper)))
        .unwrap_or_else(|| "-".into())
}

/// Ratios near 1 need decimals; a 1000x regression does not.
pub fn format_ratio(ratio: f64) -> String {
    if ratio >= 100.0 {
        format!("{ratio:.0}x")
    } else if ratio >= 10.0 {
        format!("{ratio:.1}x")
    } else {
        format!("{ratio:.3}x")
    }
}

/// Lines worth reading under the table: why each non-"unchanged" verdict was given,
/// warnings, skipped scenarios.
pub fn notes(comparisons: &[Comparison]) -> Vec<String> {
    let mut notes = Vec::new();
    let several = comparisons.len() > 1;
    for c in comparisons {
        let prefix = if several {
            format!("{}: ", c.candidate.label)
        } else {
            String::new()
        };
        for w in &c.warnings {
            notes.push(format!("{prefix}warning: {w}"));
        }
        for m in c
            .metrics
            .iter()
            .filter(|m| m.verdict != crate::gate::Verdict::Unchanged)
        {
            notes.push(format!("{prefix}{} {}: {}", m.key, m.verdict, m.reason));
        }
        for m in &c.only_in_baseline {
            notes.push(format!(
                "{prefix}{}: only in the baseline ({})",
                m.key, c.baseline.label
            ));
        }
        for m in &c.only_in_candidate {
            notes.push(format!("{prefix}{}: no baseline to compare with", m.key));
        }
        for s in &c.candidate_skipped {
            notes.push(format!("{prefix}skipped: {s}"));
        }
    }
    notes
}
