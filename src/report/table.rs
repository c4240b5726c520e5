//! The plain-text table of a run's results printed at the end of `kcanary run`.

use super::format::{self, Table};
use crate::results::RunResults;
use std::fmt::Write;

/// The results table: one row per metric with n and the main percentiles, then the skips.
pub fn results_table(run: &RunResults) -> String {
    let mut out = String::new();
    let env = &run.environment;
    let _ = writeln!(
        out,
        "kernel {} ({}), {} CPUs, {}",
        env.kernel_release, env.execution_mode, env.cpus, env.cpu_model
    );
    let header = ["scenario/metric", "n", "reps", "p50", "p90", "p99", "max"];
    let rows = run
        .results
        .iter()
        .map(|r| {
            let s = &r.summary;
            vec![
                r.key(),
                s.n.to_string(),
                r.repetition_sizes.len().to_string(),
                format::value(s.p50, &r.unit),
                format::value(s.p90, &r.unit),
                format::value(s.p99, &r.unit),
                format::value(s.max, &r.unit),
            ]
        })
        .collect();
    let table = Table {
        header: header.map(String::from).to_vec(),
        rows,
    };
    out.push_str(&table.aligned());
    for s in &run.skipped {
        let _ = writeln!(out, "{}: skipped: {}", s.scenario, s.reason);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Better, Environment, MetricResult, SampleKind, Skipped, Summary};

    fn metric(name: &str, unit: &str, samples: &[f64], repetitions: usize) -> MetricResult {
        MetricResult {
            scenario: "swap".into(),
            metric: name.into(),
            unit: unit.into(),
            better: Better::Lower,
            sample_kind: SampleKind::PerOperation,
            role: None,
            summary: Summary::of(samples).unwrap(),
            repetition_sizes: vec![samples.len() / repetitions; repetitions],
            samples: samples.to_vec(),
            threshold: None,
            parameters: Default::default(),
        }
    }

    /// Pins the table byte for byte: names left-aligned, numbers right-aligned (widths in
    /// characters, so "µs" lines up), skips after the table.
    #[test]
    fn the_run_table_aligns_names_left_and_numbers_right() {
        let latencies: Vec<f64> = (1..=100).map(|i| f64::from(i) * 950.0).collect();
        let run = RunResults {
            schema_version: 1,
            environment: Environment {
                kernel_release: "6.12.1".into(),
                execution_mode: "host".into(),
                cpus: 4,
                cpu_model: "Test CPU".into(),
                ..Default::default()
            },
            results: vec![
                metric("swap_ns", "ns", &latencies, 4),
                metric("total_ns", "ns", &[2.5e9, 3.0e9], 2),
                metric("dying_cgroups", "cgroups", &[12.0, 7.0], 2),
                metric("reads_per_s", "reads/s", &[1234.5678], 1),
            ],
            skipped: vec![Skipped {
                scenario: "ipvs-services".into(),
                reason: "no IP_VS in this kernel".into(),
            }],
        };
        let expected = "\
kernel 6.12.1 (host), 4 CPUs, Test CPU
scenario/metric       n  reps               p50               p90               p99               max
swap/swap_ns        100     4          47.98 µs          85.60 µs          94.06 µs          95.00 µs
swap/total_ns         2     2           2.750 s           2.950 s           2.995 s           3.000 s
swap/dying_cgroups    2     2     9.500 cgroups    11.500 cgroups    11.950 cgroups        12 cgroups
swap/reads_per_s      1     1  1234.568 reads/s  1234.568 reads/s  1234.568 reads/s  1234.568 reads/s
ipvs-services: skipped: no IP_VS in this kernel
";
        assert_eq!(results_table(&run), expected);
    }
}
