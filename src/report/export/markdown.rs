//! GitHub-flavoured Markdown for CI step summaries: the table, verdicts in bold when they
//! need attention, notes as a list.

use super::ComparisonExporter;
use super::cells::{notes, side_by_side};
use crate::gate::Comparison;
use std::fmt::Write;

pub struct MarkdownExporter;

impl ComparisonExporter for MarkdownExporter {
    fn render(&self, comparisons: &[Comparison]) -> String {
        let table = side_by_side(comparisons);
        let mut out = String::new();
        let regressions: usize = comparisons.iter().map(|c| c.regressed().count()).sum();
        let _ = writeln!(
            out,
            "### kcanary: {}\n",
            match regressions {
                0 if comparisons.iter().any(|c| !c.is_complete()) => {
                    "incomplete evidence, no verdict".to_string()
                }
                0 => "no regression".to_string(),
                1 => "1 metric regressed".to_string(),
                n => format!("{n} metrics regressed"),
            }
        );
        let row = |cells: &[String]| {
            let escaped: Vec<String> = cells
                .iter()
                .map(|c| emphasise(&c.replace('|', "\\|")))
                .collect();
            format!("| {} |", escaped.join(" | "))
        };
        let _ = writeln!(out, "{}", row(&table.header));
        let align: Vec<&str> = (0..table.header.len())
            .map(|i| if i == 0 { ":--" } else { "--:" })
            .collect();
        let _ = writeln!(out, "| {} |", align.join(" | "));
        for cells in &table.rows {
            let _ = writeln!(out, "{}", row(cells));
        }
        let notes = notes(comparisons);
        if !notes.is_empty() {
            out.push('\n');
            for note in notes {
                let _ = writeln!(out, "- {}", note.replace('|', "\\|"));
            }
        }
        for c in comparisons.iter().filter(|c| !c.attribution.is_empty()) {
            let _ = writeln!(
                out,
                "\n#### Attribution: {} against {}\n",
                c.candidate.label, c.baseline.label
            );
            for d in &c.attribution {
                let _ = writeln!(
                    out,
                    "- **{}**: {}",
                    d.scenario,
                    crate::report::explain::headline(d)
                );
            }
            out.push_str("\n```text\n");
            for d in &c.attribution {
                out.push_str(&crate::report::explain::render(d));
            }
            out.push_str("```\n");
        }
        out
    }
}

fn emphasise(cell: &str) -> String {
    match cell {
        "regressed" | "improved" | "MISSING" => format!("**{cell}**"),
        _ => cell.to_string(),
    }
}
