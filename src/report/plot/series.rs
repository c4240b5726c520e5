//! Turns results files into what the plots draw: per metric key, one series of samples per
//! run, labelled by file and kernel.

use crate::results::{MetricResult, RunResults};

/// One results file to plot, with the label its series get in legends.
pub struct PlotInput {
    pub label: String,
    pub run: RunResults,
}

/// One run's samples of one metric.
pub struct Series<'a> {
    pub label: &'a str,
    pub metric: &'a MetricResult,
}

/// All runs' series of one metric key.
pub struct MetricGroup<'a> {
    pub key: String,
    pub unit: String,
    pub series: Vec<Series<'a>>,
}

/// Groups metrics by "scenario/metric" in the order they first appear.
pub fn by_metric(runs: &[PlotInput]) -> Vec<MetricGroup<'_>> {
    let mut groups: Vec<MetricGroup> = Vec::new();
    for input in runs {
        for metric in &input.run.results {
            let key = metric.key();
            let series = Series {
                label: &input.label,
                metric,
            };
            match groups.iter_mut().find(|g| g.key == key) {
                Some(group) => group.series.push(series),
                None => groups.push(MetricGroup {
                    key,
                    unit: metric.unit.clone(),
                    series: vec![series],
                }),
            }
        }
    }
    groups
}
