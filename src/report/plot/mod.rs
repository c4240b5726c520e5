//! Plots of results files, each written as SVG and PNG: per metric a log2 latency
//! histogram and a CDF with one series per run, and cost-against-scale curves where runs
//! differ in one numeric workload parameter. The font is embedded (DejaVu Sans), so PNGs
//! render the same on a machine without any font package.

mod cdf;
mod font;
mod histogram;
mod scale;
mod series;
mod trend;

pub use series::{PlotInput, Series};
pub use trend::Trend;

use crate::error::KcanaryError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (960, 600);

/// Draws every plot for `runs` into `out_dir` and returns the files written.
pub fn plot_runs(runs: &[PlotInput], out_dir: &Path) -> Result<Vec<PathBuf>, KcanaryError> {
    font::register()?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", out_dir.display())))?;
    let mut written = Vec::new();
    for group in series::by_metric(runs) {
        let stem = file_stem(&group.key);
        written.extend(both_formats(
            out_dir,
            &format!("{stem}-hist"),
            &histogram::Histogram(&group),
        )?);
        written.extend(both_formats(
            out_dir,
            &format!("{stem}-cdf"),
            &cdf::Cdf(&group),
        )?);
    }
    for curve in scale::curves(runs) {
        let stem = format!(
            "scale-{}-vs-{}",
            file_stem(&curve.metric),
            file_stem(&curve.parameter)
        );
        written.extend(both_formats(out_dir, &stem, &scale::ScaleCurve(&curve))?);
    }
    Ok(written)
}

/// Draws one trend plot per metric of a kernel history (`<metric>-trend.svg/.png`) and
/// returns, per trend, the PNG written.
pub fn plot_trends(trends: &[Trend], out_dir: &Path) -> Result<Vec<PathBuf>, KcanaryError> {
    font::register()?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", out_dir.display())))?;
    let mut pngs = Vec::new();
    for trend in trends {
        let stem = format!("{}-trend", file_stem(&trend.key));
        let written = both_formats(out_dir, &stem, &trend::TrendPlot(trend))?;
        pngs.push(written[1].clone());
    }
    Ok(pngs)
}

/// One plot, drawable on any plotters backend.
trait Plot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws `plot` into `<stem>.svg` and `<stem>.png`.
fn both_formats(
    out_dir: &Path,
    stem: &str,
    plot: &impl Plot,
) -> Result<Vec<PathBuf>, KcanaryError> {
    let svg = out_dir.join(format!("{stem}.svg"));
    let png = out_dir.join(format!("{stem}.png"));
    let failed =
        |path: &Path, e: String| KcanaryError::Io(format!("cannot draw {}: {e}", path.display()));
    {
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        plot.draw(&root).map_err(|e| failed(&svg, e))?;
        root.present().map_err(|e| failed(&svg, e.to_string()))?;
    }
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        plot.draw(&root).map_err(|e| failed(&png, e))?;
        root.present().map_err(|e| failed(&png, e.to_string()))?;
    }
    Ok(vec![svg, png])
}

/// A metric key as a file name: letters, digits, `_`, `-`, `.`; the rest become `-`.
fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Plotters errors carry the backend's error type; reports only need the message.
fn text<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}
