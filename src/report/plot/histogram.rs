//! The log2 latency histogram, like bpftrace's `hist()`: one bar per power-of-two bucket and
//! run, height = share of that run's samples, so runs with different sample counts compare.

use super::series::MetricGroup;
use super::{Plot, font::FAMILY, text};
use crate::report::table::format_value;
use crate::stats::Log2Histogram;
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct Histogram<'a, 'b>(pub &'a MetricGroup<'b>);

/// log2 of a bucket's lower bound; the [0, 1) bucket sits just below the [1, 2) one.
fn bucket_position(lower: f64) -> i32 {
    if lower < 1.0 {
        -1
    } else {
        lower.log2().round() as i32
    }
}

impl Plot for Histogram<'_, '_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let group = self.0;
        let histograms: Vec<Log2Histogram> = group
            .series
            .iter()
            .map(|s| Log2Histogram::of(&s.metric.samples))
            .collect();
        let positions = histograms
            .iter()
            .flat_map(|h| h.buckets.iter().map(|b| bucket_position(b.lower)));
        let (first, last) =
            positions.fold((i32::MAX, i32::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
        let mut top: f64 = 0.0;
        for h in &histograms {
            for b in &h.buckets {
                top = top.max(100.0 * b.count as f64 / h.total() as f64);
            }
        }
        root.fill(&WHITE).map_err(text)?;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: distribution (log2 buckets)", group.key),
                (FAMILY, 24),
            )
            .margin(15)
            .margin_right(40)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(f64::from(first)..f64::from(last + 1), 0.0..top * 1.1)
            .map_err(text)?;
        let unit = group.unit.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels((last - first + 2) as usize)
            .x_label_formatter(&|x| format_value(2f64.powf(x.round()), &unit))
            .x_desc(format!("{} (bucket lower bound)", group.unit))
            .y_desc("% of samples")
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 17))
            .draw()
            .map_err(text)?;
        let width = 0.9 / histograms.len() as f64;
        for (index, (series, histogram)) in group.series.iter().zip(&histograms).enumerate() {
            let color = Palette99::pick(index).to_rgba();
            let offset = 0.05 + index as f64 * width;
            let total = histogram.total() as f64;
            let bars = histogram.buckets.iter().map(|b| {
                let x = f64::from(bucket_position(b.lower)) + offset;
                Rectangle::new(
                    [(x, 0.0), (x + width, 100.0 * b.count as f64 / total)],
                    color.filled(),
                )
            });
            chart
                .draw_series(bars)
                .map_err(text)?
                .label(series.label.to_string())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .label_font((FAMILY, 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(text)
    }
}
