//! Renderings of gate comparisons, one module per output format behind one trait. Every
//! exporter reads the same `[Comparison]`: the first run is the baseline of all of them
//! (`kcanary compare A B C` compares B and C against A).

mod bencher;
mod cells;
mod json;
mod junit;
mod markdown;
mod outputs;
#[cfg(test)]
mod tests;
mod text;

pub use bencher::{BencherExporter, measure_slug as bencher_measure};
pub use json::JsonExporter;
pub use junit::JunitExporter;
pub use markdown::MarkdownExporter;
pub use outputs::{ExportFormat, Outputs};
pub use text::TextExporter;

use crate::gate::Comparison;

pub trait ComparisonExporter {
    /// The whole document for these comparisons (all against the same baseline).
    fn render(&self, comparisons: &[Comparison]) -> String;
}
