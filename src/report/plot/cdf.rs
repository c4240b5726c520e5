//! The empirical CDF of each run's samples on a log scale: medians and tails of runs that
//! differ by 1000x stay readable on one axis.

use super::series::MetricGroup;
use super::{Plot, font::FAMILY, text};
use crate::report::format;
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct Cdf<'a, 'b>(pub &'a MetricGroup<'b>);

/// At most this many points per line: enough for a smooth curve, small SVG files.
const MAX_POINTS: usize = 1500;

/// (value, fraction of samples <= value), thinned to `MAX_POINTS` but keeping the maximum.
fn cdf_points(samples: &[f64], floor: f64) -> Vec<(f64, f64)> {
    let mut sorted: Vec<f64> = samples.iter().map(|&s| s.max(floor)).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let step = n.div_ceil(MAX_POINTS).max(1);
    let mut points: Vec<(f64, f64)> = (0..n)
        .step_by(step)
        .map(|i| (sorted[i], (i + 1) as f64 / n as f64))
        .collect();
    if n > 0 && points.last().map(|p| p.1) != Some(1.0) {
        points.push((sorted[n - 1], 1.0));
    }
    points
}

impl Plot for Cdf<'_, '_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let group = self.0;
        let all = group
            .series
            .iter()
            .flat_map(|s| s.metric.samples.iter().copied());
        let smallest_positive = all
            .clone()
            .filter(|&v| v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let floor = if smallest_positive.is_finite() {
            smallest_positive
        } else {
            1.0
        };
        let largest = all.fold(floor, f64::max);
        let high = if largest > floor {
            largest
        } else {
            floor * 2.0
        };
        root.fill(&WHITE).map_err(text)?;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: cumulative distribution", group.key),
                (FAMILY, 24),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(log_axis_range(floor, high).log_scale(), 0.0..1.0)
            .map_err(text)?;
        let unit = group.unit.clone();
        chart
            .configure_mesh()
            .x_label_formatter(&|x| format::value(*x, &unit))
            .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
            .x_desc(format!("{} (log scale)", group.unit))
            .y_desc("samples at or below")
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 17))
            .draw()
            .map_err(text)?;
        for (index, series) in group.series.iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    cdf_points(&series.metric.samples, floor),
                    color.stroke_width(2),
                ))
                .map_err(text)?
                .label(series.label.to_string())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FAMILY, 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(text)
    }
}

/// The x range of a log axis from `floor` to `high` with a 10% margin each side. The margin
/// must not overflow: samples near f64::MAX (a damaged or hand-made file) made the upper end
/// infinite, and plotters then looked for axis labels forever.
fn log_axis_range(floor: f64, high: f64) -> std::ops::Range<f64> {
    floor * 0.9..(high * 1.1).min(f64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_end_at_one_and_are_thinned() {
        let samples: Vec<f64> = (1..=10_000).map(f64::from).collect();
        let points = cdf_points(&samples, 1.0);
        assert!(points.len() <= MAX_POINTS + 1);
        assert_eq!(*points.last().unwrap(), (10_000.0, 1.0));
        assert!(
            points
                .windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
        );
    }
}
