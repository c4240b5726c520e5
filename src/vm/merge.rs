//! Merging the rounds one kernel ran (one boot each) into one results file: every metric's
//! repetitions are appended in round order, so the file looks like one run with more
//! repetitions, and the gate treats each repetition as an independent trial as usual.

use crate::results::{MetricResult, RunResults, Summary};

/// Merges the rounds of one kernel. Refuses rounds of different kernels or execution modes:
/// their samples must never be pooled.
pub fn merge_rounds(rounds: Vec<RunResults>) -> Result<RunResults, String> {
    let mut rounds = rounds.into_iter();
    let mut merged = rounds.next().ok_or("no rounds to merge")?;
    for (index, round) in rounds.enumerate() {
        let (a, b) = (&merged.environment, &round.environment);
        if a.kernel_release != b.kernel_release || a.execution_mode != b.execution_mode {
            return Err(format!(
                "round {} ran {} ({}) but round 0 ran {} ({}): not merged",
                index + 1,
                b.kernel_release,
                b.execution_mode,
                a.kernel_release,
                a.execution_mode
            ));
        }
        for metric in round.results {
            match merged.results.iter_mut().find(|m| m.key() == metric.key()) {
                Some(existing) => append(existing, metric)?,
                None => merged.results.push(metric),
            }
        }
        for skipped in round.skipped {
            if !merged
                .skipped
                .iter()
                .any(|s| s.scenario == skipped.scenario)
            {
                merged.skipped.push(skipped);
            }
        }
    }
    Ok(merged)
}

fn append(existing: &mut MetricResult, more: MetricResult) -> Result<(), String> {
    if existing.unit != more.unit || existing.parameters != more.parameters {
        return Err(format!(
            "{}: unit or parameters differ between rounds",
            existing.key()
        ));
    }
    existing.samples.extend(more.samples);
    existing.repetition_sizes.extend(more.repetition_sizes);
    existing.summary =
        Summary::of(&existing.samples).ok_or_else(|| format!("{}: no samples", existing.key()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Better, Environment, SCHEMA_VERSION, SampleKind, Skipped};

    fn round(mode: &str, samples: &[f64]) -> RunResults {
        RunResults {
            schema_version: SCHEMA_VERSION,
            environment: Environment {
                kernel_release: "6.1".into(),
                execution_mode: mode.into(),
                ..Default::default()
            },
            results: vec![MetricResult {
                scenario: "s".into(),
                metric: "m".into(),
                unit: "ns".into(),
                better: Better::Lower,
                sample_kind: SampleKind::PerOperation,
                role: None,
                samples: samples.to_vec(),
                repetition_sizes: vec![samples.len()],
                summary: Summary::of(samples).unwrap(),
                threshold: None,
                parameters: Default::default(),
            }],
            skipped: vec![Skipped {
                scenario: "ipvs".into(),
                reason: "no IP_VS".into(),
            }],
        }
    }

    #[test]
    fn rounds_append_as_repetitions() {
        let merged = merge_rounds(vec![
            round("qemu-tcg", &[1.0, 2.0]),
            round("qemu-tcg", &[3.0]),
        ])
        .unwrap();
        let metric = &merged.results[0];
        assert_eq!(metric.samples, [1.0, 2.0, 3.0]);
        assert_eq!(metric.repetition_sizes, [2, 1]);
        assert_eq!(metric.summary.n, 3);
        assert_eq!(metric.summary.max, 3.0);
        assert_eq!(merged.skipped.len(), 1);
        metric.validate().unwrap();
    }

    #[test]
    fn different_modes_are_not_pooled() {
        let error = merge_rounds(vec![
            round("qemu-tcg", &[1.0]),
            round("qemu-tcg-icount", &[1.0]),
        ])
        .unwrap_err();
        assert!(error.contains("qemu-tcg-icount"), "{error}");
    }
}
