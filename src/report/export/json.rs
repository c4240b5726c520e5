//! The comparisons as JSON, for tools that post-process verdicts (every field of
//! `Comparison`, stable names).

use super::ComparisonExporter;
use crate::gate::Comparison;

pub struct JsonExporter;

impl ComparisonExporter for JsonExporter {
    fn render(&self, comparisons: &[Comparison]) -> String {
        let document = serde_json::json!({ "comparisons": comparisons });
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    }
}
