//! The terminal table: aligned columns, then the notes that explain the verdicts.

use super::ComparisonExporter;
use super::cells::{notes, side_by_side};
use crate::gate::Comparison;
use std::fmt::Write;

pub struct TextExporter;

impl ComparisonExporter for TextExporter {
    fn render(&self, comparisons: &[Comparison]) -> String {
        let table = side_by_side(comparisons);
        let mut widths: Vec<usize> = table.header.iter().map(|h| h.chars().count()).collect();
        for row in &table.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&table.header).chain(&table.rows) {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &w))| {
                    let pad = " ".repeat(w - cell.chars().count());
                    if i == 0 {
                        format!("{cell}{pad}")
                    } else {
                        format!("{pad}{cell}")
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", line.join("  ").trim_end());
        }
        for note in notes(comparisons) {
            let _ = writeln!(out, "{note}");
        }
        out
    }
}
