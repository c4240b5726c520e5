//! Files of a history report: one trend plot per tested metric (SVG + PNG), `summary.md`
//! (only metrics with change points, with their plots), and on request one Bencher Metric
//! Format file per kernel, so the same series can live in a continuous-benchmarking server.

use super::collection::History;
use super::detect::MetricHistory;
use super::report::markdown_summary;
use crate::error::{KcanaryError, Result};
use crate::report::export::bencher_measure;
use crate::report::plot::{Trend, plot_trends};
use crate::results::file::write_bytes_atomic;
use crate::results::summary::median;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// Writes the plots and `summary.md` into `dir`; returns the summary's path.
pub fn write_report(history: &History, metrics: &[MetricHistory], dir: &Path) -> Result<PathBuf> {
    let tested: Vec<&MetricHistory> = metrics.iter().filter(|m| m.not_tested.is_none()).collect();
    let trends: Vec<Trend> = tested.iter().map(|m| trend_of(m)).collect();
    let pngs = plot_trends(&trends, dir)?;
    let plot_of = |key: &str| {
        tested
            .iter()
            .zip(&pngs)
            .find(|(m, _)| m.series.key == key)
            .and_then(|(_, png)| png.file_name())
            .map(|n| n.to_string_lossy().into_owned())
    };
    let summary = dir.join("summary.md");
    write_bytes_atomic(
        &summary,
        markdown_summary(history, metrics, &plot_of).as_bytes(),
    )?;
    Ok(summary)
}

fn trend_of(metric: &MetricHistory) -> Trend {
    let points = &metric.series.points;
    Trend {
        key: metric.series.key.clone(),
        unit: metric.series.unit.clone(),
        kernels: points.iter().map(|p| p.release.clone()).collect(),
        values: points.iter().map(|p| p.values.clone()).collect(),
        change_points: metric.change_points().map(|s| s.at).collect(),
        small_shifts: metric
            .steps
            .iter()
            .filter(|s| !s.matters)
            .map(|s| s.at)
            .collect(),
    }
}

/// One Bencher Metric Format file per kernel (`<dir>/<release>.json`): per metric the
/// median of the repetition values, with the smallest and largest as bounds.
pub fn write_bencher(history: &History, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let mut written = Vec::new();
    for kernel in &history.kernels {
        let mut benchmarks = Map::new();
        for metric in &kernel.metrics {
            let values = &metric.repetition_values;
            let Some(middle) = median(values) else {
                continue;
            };
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut measures = Map::new();
            measures.insert(
                bencher_measure(&metric.unit),
                json!({ "value": middle, "lower_value": low, "upper_value": high }),
            );
            benchmarks.insert(metric.key(), Value::Object(measures));
        }
        let path = dir.join(format!("{}.json", kernel.release));
        let mut text = serde_json::to_string_pretty(&Value::Object(benchmarks))
            .map_err(|e| KcanaryError::Io(format!("cannot encode {}: {e}", path.display())))?;
        text.push('\n');
        write_bytes_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
