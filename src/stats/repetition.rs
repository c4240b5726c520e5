//! Reduces a metric's samples to one value per repetition: the unit of evidence. Samples
//! inside one repetition share a namespace, a process and a stretch of machine noise, so
//! thousands of them are not thousands of independent trials.

use crate::results::summary::median;
use crate::results::{MetricResult, SampleKind};

/// One value per repetition: the median of the repetition's samples for per-operation
/// metrics (robust against the odd preempted operation), the samples themselves for
/// per-repetition metrics (each already is one repetition's value).
pub fn repetition_values(metric: &MetricResult) -> Vec<f64> {
    match metric.sample_kind {
        SampleKind::PerRepetition => metric.samples.clone(),
        SampleKind::PerOperation => metric.repetitions().filter_map(median).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Better, Summary};

    fn metric(kind: SampleKind, samples: Vec<f64>, sizes: Vec<usize>) -> MetricResult {
        MetricResult {
            scenario: "s".into(),
            metric: "m".into(),
            unit: "ns".into(),
            better: Better::Lower,
            sample_kind: kind,
            role: None,
            summary: Summary::of(&samples).unwrap(),
            samples,
            repetition_sizes: sizes,
            threshold: None,
            parameters: Default::default(),
        }
    }

    #[test]
    fn per_operation_uses_each_repetitions_median() {
        let m = metric(
            SampleKind::PerOperation,
            vec![1.0, 2.0, 100.0, 10.0, 20.0],
            vec![3, 2],
        );
        assert_eq!(repetition_values(&m), vec![2.0, 15.0]);
    }

    #[test]
    fn per_repetition_keeps_values() {
        let m = metric(
            SampleKind::PerRepetition,
            vec![5.0, 6.0, 7.0],
            vec![1, 1, 1],
        );
        assert_eq!(repetition_values(&m), vec![5.0, 6.0, 7.0]);
    }
}
