//! Synthetic results with the kind of noise a shared machine produces: every repetition
//! has its own slow-down factor (a noisy neighbour, a frequency change), every operation
//! lognormal jitter, and a few operations a heavy Pareto tail (preemption, interrupts).
#![allow(dead_code)]

use kcanary::results::{Better, Environment, MetricResult, RunResults, SampleKind, Summary};
use kcanary::stats::SplitMix64;

pub struct Noise {
    pub rng: SplitMix64,
}

impl Noise {
    pub fn new(seed: u64) -> Noise {
        Noise {
            rng: SplitMix64::new(seed),
        }
    }

    fn standard_normal(&mut self) -> f64 {
        let u1 = self.rng.next_f64().max(1e-300);
        let u2 = self.rng.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    pub fn lognormal(&mut self, sigma: f64) -> f64 {
        (sigma * self.standard_normal()).exp()
    }

    /// Pareto with shape 1.5 (infinite variance), scale 1.
    pub fn pareto(&mut self) -> f64 {
        (1.0 - self.rng.next_f64()).powf(-1.0 / 1.5)
    }

    /// `repetitions` x `per_repetition` operation latencies around `typical_ns`.
    pub fn operation_samples(
        &mut self,
        typical_ns: f64,
        repetitions: usize,
        per_repetition: usize,
    ) -> Vec<f64> {
        let mut samples = Vec::with_capacity(repetitions * per_repetition);
        for _ in 0..repetitions {
            let repetition_factor = self.lognormal(0.03);
            for _ in 0..per_repetition {
                let mut value = typical_ns * repetition_factor * self.lognormal(0.25);
                if self.rng.next_f64() < 0.02 {
                    value *= 1.0 + 10.0 * self.pareto();
                }
                samples.push(value.round().max(1.0));
            }
        }
        samples
    }
}

pub fn metric(name: &str, better: Better, samples: Vec<f64>, repetitions: usize) -> MetricResult {
    let per_repetition = samples.len() / repetitions;
    MetricResult {
        scenario: "synthetic".into(),
        metric: name.into(),
        unit: "ns".into(),
        better,
        sample_kind: SampleKind::PerOperation,
        role: None,
        summary: Summary::of(&samples).unwrap(),
        samples,
        repetition_sizes: vec![per_repetition; repetitions],
        threshold: None,
        parameters: Default::default(),
    }
}

pub fn run(kernel_release: &str, results: Vec<MetricResult>) -> RunResults {
    RunResults {
        schema_version: kcanary::results::SCHEMA_VERSION,
        environment: Environment {
            kernel_release: kernel_release.into(),
            cpu_model: "Synthetic CPU @ 1.00GHz".into(),
            cpus: 2,
            execution_mode: "host".into(),
            kcanary_version: "test".into(),
            ..Default::default()
        },
        results,
        skipped: Vec::new(),
    }
}

/// A baseline and a candidate run of one latency metric, the candidate `shift` times slower.
pub fn shifted_pair(
    seed: u64,
    shift: f64,
    repetitions: usize,
    per_repetition: usize,
) -> (RunResults, RunResults) {
    let mut noise = Noise::new(seed);
    let base = noise.operation_samples(2400.0, repetitions, per_repetition);
    let cand = noise.operation_samples(2400.0 * shift, repetitions, per_repetition);
    (
        run(
            "6.1.0-base",
            vec![metric("swap_ns", Better::Lower, base, repetitions)],
        ),
        run(
            "6.12.0-cand",
            vec![metric("swap_ns", Better::Lower, cand, repetitions)],
        ),
    )
}

/// Runs the built kcanary binary with `args`.
pub fn kcanary(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args(args)
        .output()
        .expect("run kcanary")
}

/// Writes `run` as a results file `dir/name`.
pub fn write(dir: &std::path::Path, name: &str, run: &RunResults) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(run).unwrap()).unwrap();
    path
}

/// A path as a command-line argument.
pub fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// The output of `child`; fails the test (with the child's stderr) if it runs longer than
/// `limit`, killing it first.
pub fn output_within(
    mut child: std::process::Child,
    limit: std::time::Duration,
) -> std::process::Output {
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}
