//! Where the renderings of a comparison go: one table on standard output and any files
//! asked for, each format by its exporter. Commands describe what they want (`Outputs`);
//! this is the one place that pairs formats with exporters, so a new format is one exporter
//! file plus one line in `ExportFormat::exporter`.

use super::{
    BencherExporter, ComparisonExporter, JsonExporter, JunitExporter, MarkdownExporter,
    TextExporter,
};
use crate::error::{KcanaryError, Result};
use crate::gate::Comparison;
use crate::results::file::write_bytes_atomic;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Text,
    Markdown,
    Junit,
    /// The full comparison: verdicts, intervals, p-values, reasons.
    Json,
    /// Bencher Metric Format (of the last candidate).
    Bencher,
}

impl ExportFormat {
    fn exporter(self) -> &'static dyn ComparisonExporter {
        match self {
            ExportFormat::Text => &TextExporter,
            ExportFormat::Markdown => &MarkdownExporter,
            ExportFormat::Junit => &JunitExporter,
            ExportFormat::Json => &JsonExporter,
            ExportFormat::Bencher => &BencherExporter,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outputs {
    table: ExportFormat,
    files: Vec<(ExportFormat, PathBuf)>,
}

impl Outputs {
    /// Only the table, in `table`'s format.
    pub fn table(table: ExportFormat) -> Outputs {
        Outputs {
            table,
            files: Vec::new(),
        }
    }

    /// Also writes `format` to `path`; files are written in the order they were added.
    pub fn with_file(mut self, format: ExportFormat, path: PathBuf) -> Outputs {
        self.files.push((format, path));
        self
    }

    /// Prints the table to standard output, then writes the files.
    pub fn write(&self, comparisons: &[Comparison]) -> Result<()> {
        self.write_to(&mut std::io::stdout().lock(), comparisons)
    }

    /// `write`, with the table going to `out`. A failed file write ends the writing: the
    /// table is out first, so the numbers are at least on the terminal.
    pub fn write_to(&self, out: &mut dyn Write, comparisons: &[Comparison]) -> Result<()> {
        out.write_all(self.table.exporter().render(comparisons).as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| KcanaryError::Io(format!("cannot write the table: {e}")))?;
        for (format, path) in &self.files {
            let text = format.exporter().render(comparisons);
            write_bytes_atomic(path, text.as_bytes())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_every_file_get_their_own_exporter() {
        let dir = tempfile::tempdir().unwrap();
        let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("gate.json"));
        let outputs = Outputs::table(ExportFormat::Markdown)
            .with_file(ExportFormat::Junit, junit.clone())
            .with_file(ExportFormat::Json, json.clone());
        let comparisons: [Comparison; 0] = [];
        let mut table = Vec::new();
        outputs.write_to(&mut table, &comparisons).unwrap();
        assert_eq!(
            String::from_utf8(table).unwrap(),
            MarkdownExporter.render(&comparisons)
        );
        let read = |path| std::fs::read_to_string(path).unwrap();
        assert_eq!(read(&junit), JunitExporter.render(&comparisons));
        assert_eq!(read(&json), JsonExporter.render(&comparisons));
    }
}
