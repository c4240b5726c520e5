//! The terminal table: aligned columns, then the notes that explain the verdicts.

use super::ComparisonExporter;
use super::cells::{notes, side_by_side, tally};
use crate::gate::Comparison;
use std::fmt::Write;

pub struct TextExporter;

impl ComparisonExporter for TextExporter {
    fn render(&self, comparisons: &[Comparison]) -> String {
        let mut out = side_by_side(comparisons).aligned();
        for note in notes(comparisons) {
            let _ = writeln!(out, "{note}");
        }
        for c in comparisons {
            let _ = writeln!(out, "{}", tally(c));
        }
        for c in comparisons.iter().filter(|c| !c.attribution.is_empty()) {
            let _ = writeln!(
                out,
                "\nattribution: {} against {}",
                c.candidate.label, c.baseline.label
            );
            for d in &c.attribution {
                out.push_str(&crate::report::explain::render(d));
            }
        }
        out
    }
}
