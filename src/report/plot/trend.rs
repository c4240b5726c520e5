//! Trend plots of a kernel history: per metric, every repetition value (dots) and the
//! median per kernel (line) against the kernels in version order, with the detected change
//! points marked as vertical lines between two kernels (solid red: beyond the threshold;
//! dashed grey: significant but smaller).

use super::font::FAMILY;
use super::{Plot, text};
use crate::report::format;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What a trend plot shows; filled in by the caller from its own types.
pub struct Trend {
    /// "scenario/metric".
    pub key: String,
    pub unit: String,
    /// Kernel releases in order, one per x position.
    pub kernels: Vec<String>,
    /// Repetition values per kernel.
    pub values: Vec<Vec<f64>>,
    /// Index of the first kernel after each change point beyond the threshold.
    pub change_points: Vec<usize>,
    /// The same for significant shifts within the threshold.
    pub small_shifts: Vec<usize>,
}

pub struct TrendPlot<'a>(pub &'a Trend);

impl Plot for TrendPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let trend = self.0;
        let labels = short_labels(&trend.kernels);
        let all = trend.values.iter().flatten().copied();
        let y_max = all.clone().fold(f64::MIN, f64::max);
        let y_min = all.fold(f64::MAX, f64::min);
        let pad = ((y_max - y_min) * 0.1).max(y_max.abs() * 0.01).max(1e-9);
        let x_range = -0.5..(trend.kernels.len() as f64 - 0.5);
        let y_range = (y_min - pad).max(0.0)..y_max + pad;
        root.fill(&WHITE).map_err(text)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&trend.key, (FAMILY, 22))
            .margin(15)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(x_range, y_range.clone())
            .map_err(text)?;
        let unit = trend.unit.clone();
        let label_of = |x: &f64| {
            let index = x.round();
            if (x - index).abs() < 1e-6 && index >= 0.0 {
                labels.get(index as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(trend.kernels.len())
            .x_label_formatter(&label_of)
            .y_label_formatter(&|y| format::value(*y, &unit))
            .x_desc("kernel (version order)")
            .y_desc(format!("value per repetition ({})", trend.unit))
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16))
            .disable_x_mesh()
            .draw()
            .map_err(text)?;
        let marks = |at: &[usize], style: ShapeStyle| {
            at.iter()
                .map(|&i| {
                    let x = i as f64 - 0.5;
                    PathElement::new(vec![(x, y_range.start), (x, y_range.end)], style)
                })
                .collect::<Vec<_>>()
        };
        chart
            .draw_series(marks(&trend.small_shifts, BLACK.mix(0.3).stroke_width(1)))
            .map_err(text)?;
        chart
            .draw_series(marks(&trend.change_points, RED.stroke_width(3)))
            .map_err(text)?
            .label("change point")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(3)));
        let dots = trend.values.iter().enumerate().flat_map(|(i, values)| {
            values
                .iter()
                .map(move |&v| Circle::new((i as f64, v), 3, BLUE.mix(0.5).filled()))
        });
        chart
            .draw_series(dots)
            .map_err(text)?
            .label("repetition value")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.mix(0.5).filled()));
        let medians: Vec<(f64, f64)> = trend
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| crate::results::summary::median(v).map(|m| (i as f64, m)))
            .collect();
        chart
            .draw_series(LineSeries::new(medians, BLACK.stroke_width(2)))
            .map_err(text)?
            .label("median")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(text)
    }
}

/// Kernel releases without the suffix they all share ("-cloud-amd64"), so eleven of them
/// fit under the axis.
fn short_labels(releases: &[String]) -> Vec<String> {
    let Some(first) = releases.first() else {
        return Vec::new();
    };
    let mut cut = first.len();
    for (start, c) in first.char_indices() {
        if (c == '-' || c == '+')
            && releases
                .iter()
                .all(|r| r.len() > first.len() - start && r.ends_with(&first[start..]))
        {
            cut = start;
            break;
        }
    }
    releases
        .iter()
        .map(|r| r[..r.len() - (first.len() - cut)].to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_suffix_is_dropped() {
        let releases = vec![
            "6.1.0-50-cloud-amd64".to_string(),
            "6.1.0-51-cloud-amd64".to_string(),
        ];
        assert_eq!(short_labels(&releases), vec!["6.1.0-50", "6.1.0-51"]);
    }

    #[test]
    fn nothing_shared_keeps_the_names() {
        let releases = vec!["6.1.0-50-cloud-amd64".to_string(), "6.12.9".to_string()];
        assert_eq!(short_labels(&releases), releases);
    }
}
