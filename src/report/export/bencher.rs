//! Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format/): the
//! last candidate's metrics, so Bencher can track them over time. The value is the median
//! of the repetition values; lower/upper are the smallest and largest repetition value.

use super::ComparisonExporter;
use crate::gate::{Comparison, GroupSummary};
use serde_json::{Map, Value, json};

pub struct BencherExporter;

impl ComparisonExporter for BencherExporter {
    fn render(&self, comparisons: &[Comparison]) -> String {
        let mut benchmarks = Map::new();
        if let Some(c) = comparisons.last() {
            let compared = c.metrics.iter().map(|m| (&m.key, &m.unit, &m.candidate));
            let new = c
                .only_in_candidate
                .iter()
                .map(|m| (&m.key, &m.unit, &m.summary));
            for (key, unit, summary) in compared.chain(new) {
                let mut measures = Map::new();
                measures.insert(measure_slug(unit), metric(summary));
                benchmarks.insert(key.clone(), Value::Object(measures));
            }
        }
        let mut text = serde_json::to_string_pretty(&Value::Object(benchmarks)).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Bencher's built-in "latency" measure is in nanoseconds; other units get their own.
pub fn measure_slug(unit: &str) -> String {
    match unit {
        "ns" => "latency".to_string(),
        other => other
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect(),
    }
}

fn metric(summary: &GroupSummary) -> Value {
    json!({ "value": summary.median, "lower_value": summary.min, "upper_value": summary.max })
}
