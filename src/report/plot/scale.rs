//! Cost against scale: when the same metric was measured at several values of one numeric
//! workload parameter (e.g. swap latency with 0, 1,000 and 20,000 other sets), one line per
//! kernel through the medians of the repetition values, with bars from the fastest to the
//! slowest repetition.

use super::series::PlotInput;
use super::{Plot, font::FAMILY, text};
use crate::report::format;
use crate::results::summary::median;
use crate::stats::repetition_values;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct Curve {
    pub metric: String,
    pub unit: String,
    pub parameter: String,
    pub lines: Vec<Line>,
}

/// One kernel's points, sorted by the parameter.
pub struct Line {
    pub label: String,
    /// (parameter value, median, fastest repetition, slowest repetition)
    pub points: Vec<(f64, f64, f64, f64)>,
}

struct Point<'a> {
    kernel: String,
    parameters: &'a BTreeMap<String, Value>,
    values: Vec<f64>,
}

/// Finds, per metric name, unit and set of parameter names (so that `swap_ns` of the
/// swap storm and of the kube-router sync, different workloads, stay apart), the one numeric
/// parameter the measurements differ in. Metrics measured at a single setting, or differing
/// in several parameters, get no curve.
pub fn curves(runs: &[PlotInput]) -> Vec<Curve> {
    let mut by_metric: BTreeMap<(String, String, Vec<String>), Vec<Point>> = BTreeMap::new();
    for input in runs {
        let kernel = match input.run.environment.kernel_release.as_str() {
            "" => input.label.clone(),
            release => release.to_string(),
        };
        for m in &input.run.results {
            by_metric
                .entry((
                    m.metric.clone(),
                    m.unit.clone(),
                    m.parameters.keys().cloned().collect(),
                ))
                .or_default()
                .push(Point {
                    kernel: kernel.clone(),
                    parameters: &m.parameters,
                    values: repetition_values(m),
                });
        }
    }
    by_metric
        .into_iter()
        .filter_map(|((metric, unit, _), points)| curve(metric, unit, &points))
        .collect()
}

fn curve(metric: String, unit: String, points: &[Point]) -> Option<Curve> {
    let names: std::collections::BTreeSet<&String> =
        points.iter().flat_map(|p| p.parameters.keys()).collect();
    let varying: Vec<&String> = names
        .into_iter()
        .filter(|name| {
            points
                .iter()
                .any(|p| p.parameters.get(*name) != points[0].parameters.get(*name))
        })
        .collect();
    let [parameter] = varying.as_slice() else {
        return None;
    };
    let mut lines: Vec<Line> = Vec::new();
    for p in points {
        let x = p.parameters.get(*parameter)?.as_f64()?;
        let y = median(&p.values)?;
        let low = p.values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = p.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        match lines.iter_mut().find(|l| l.label == p.kernel) {
            Some(line) => line.points.push((x, y, low, high)),
            None => lines.push(Line {
                label: p.kernel.clone(),
                points: vec![(x, y, low, high)],
            }),
        }
    }
    let xs: std::collections::BTreeSet<u64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0.to_bits()))
        .collect();
    if xs.len() < 2 {
        return None;
    }
    for line in &mut lines {
        line.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Some(Curve {
        metric,
        unit,
        parameter: parameter.to_string(),
        lines,
    })
}

pub struct ScaleCurve<'a>(pub &'a Curve);

impl Plot for ScaleCurve<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let curve = self.0;
        let all = curve.lines.iter().flat_map(|l| l.points.iter());
        let x_max = all.clone().map(|p| p.0).fold(0.0, f64::max);
        let x_min = all.clone().map(|p| p.0).fold(x_max, f64::min);
        let y_max = all.map(|p| p.3).fold(0.0, f64::max);
        let x_pad = (x_max - x_min).max(1.0) * 0.05;
        root.fill(&WHITE).map_err(text)?;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{} against {}", curve.metric, curve.parameter),
                (FAMILY, 24),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(100)
            .build_cartesian_2d(x_min - x_pad..x_max + x_pad, 0.0..y_max.max(1e-9) * 1.1)
            .map_err(text)?;
        let unit = curve.unit.clone();
        chart
            .configure_mesh()
            .y_label_formatter(&|y| format::value(*y, &unit))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc(curve.parameter.as_str())
            .y_desc(format!("median per repetition ({})", curve.unit))
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 17))
            .draw()
            .map_err(text)?;
        for (index, line) in curve.lines.iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            let medians = line.points.iter().map(|p| (p.0, p.1));
            chart
                .draw_series(LineSeries::new(medians, color.stroke_width(2)))
                .map_err(text)?
                .label(line.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(line.points.iter().map(|&(x, y, low, high)| {
                    ErrorBar::new_vertical(x, low, y, high, color.filled(), 8)
                }))
                .map_err(text)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FAMILY, 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(text)
    }
}
