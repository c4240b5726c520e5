//! Verdicts on synthetic, heavy-tailed samples with known shifts, many seeds each: the gate
//! must find real regressions and must not cry wolf.

mod common;

use common::shifted_pair;
use kcanary::gate::{GateOptions, Verdict, compare_runs};
use std::collections::BTreeMap;

const SEEDS: u64 = 20;

fn verdicts(shift: f64, repetitions: usize, options: &GateOptions) -> BTreeMap<Verdict, usize> {
    let mut counts = BTreeMap::new();
    for seed in 0..SEEDS {
        let (base, cand) = shifted_pair(seed, shift, repetitions, 200);
        let comparison = compare_runs(&base, &cand, options);
        assert_eq!(comparison.metrics.len(), 1);
        *counts.entry(comparison.metrics[0].verdict).or_default() += 1;
    }
    counts
}

fn count(counts: &BTreeMap<Verdict, usize>, verdict: Verdict) -> usize {
    counts.get(&verdict).copied().unwrap_or(0)
}

#[test]
fn no_shift_never_regresses() {
    let counts = verdicts(1.0, 5, &GateOptions::default());
    assert_eq!(count(&counts, Verdict::Regressed), 0, "{counts:?}");
    assert_eq!(count(&counts, Verdict::Improved), 0, "{counts:?}");
    // Per-repetition noise of ~3% is well inside ±10%: most runs are shown unchanged.
    assert!(count(&counts, Verdict::Unchanged) >= 15, "{counts:?}");
}

#[test]
fn double_and_thousandfold_regress() {
    for shift in [2.0, 1000.0] {
        let counts = verdicts(shift, 5, &GateOptions::default());
        assert_eq!(
            count(&counts, Verdict::Regressed),
            SEEDS as usize,
            "shift {shift}: {counts:?}"
        );
    }
}

#[test]
fn halving_improves() {
    let counts = verdicts(0.5, 5, &GateOptions::default());
    assert_eq!(
        count(&counts, Verdict::Improved),
        SEEDS as usize,
        "{counts:?}"
    );
}

#[test]
fn ten_percent_is_decided_by_the_threshold() {
    // A true 1.1x change against a 5% threshold, 10 repetitions: always a regression.
    let strict = GateOptions {
        default_threshold: Some(0.05),
        ..GateOptions::default()
    };
    let counts = verdicts(1.1, 10, &strict);
    assert_eq!(
        count(&counts, Verdict::Regressed),
        SEEDS as usize,
        "{counts:?}"
    );
    // Against a 25% threshold it is too small to matter: never a regression, mostly unchanged.
    let lenient = GateOptions {
        default_threshold: Some(0.25),
        ..GateOptions::default()
    };
    let counts = verdicts(1.1, 10, &lenient);
    assert_eq!(count(&counts, Verdict::Regressed), 0, "{counts:?}");
    assert!(count(&counts, Verdict::Unchanged) >= 15, "{counts:?}");
    // Exactly at the 10% threshold the point estimate falls on either side: about half
    // regressed, half inconclusive (500 seeds: 250 / 240, and 10 unchanged when the
    // interval happens to end just below 1.10). Never improved.
    let counts = verdicts(1.1, 10, &GateOptions::default());
    eprintln!("1.1x against a 10% threshold, 10 repetitions each: {counts:?}");
    assert_eq!(count(&counts, Verdict::Improved), 0, "{counts:?}");
    assert!(count(&counts, Verdict::Regressed) > 0, "{counts:?}");
}

#[test]
fn three_repetitions_each_are_inconclusive_even_at_fifty_times() {
    let counts = verdicts(50.0, 3, &GateOptions::default());
    assert_eq!(
        count(&counts, Verdict::Inconclusive),
        SEEDS as usize,
        "{counts:?}"
    );
}

#[test]
fn thousands_of_samples_from_one_repetition_are_not_evidence() {
    // One repetition each: 5,000 samples per side, a clear 2x shift, but no replication.
    let (base, cand) = shifted_pair(1, 2.0, 1, 5000);
    let comparison = compare_runs(&base, &cand, &GateOptions::default());
    assert_eq!(comparison.metrics[0].verdict, Verdict::Inconclusive);
}

#[test]
fn higher_is_better_flips_the_direction() {
    let (mut base, mut cand) = shifted_pair(3, 2.0, 5, 100);
    for run in [&mut base, &mut cand] {
        run.results[0].better = kcanary::results::Better::Higher;
    }
    let comparison = compare_runs(&base, &cand, &GateOptions::default());
    assert_eq!(comparison.metrics[0].verdict, Verdict::Improved);
}

#[test]
fn metrics_on_one_side_are_reported() {
    let (base, mut cand) = shifted_pair(4, 1.0, 5, 50);
    cand.results[0].metric = "renamed_ns".into();
    let comparison = compare_runs(&base, &cand, &GateOptions::default());
    assert!(comparison.metrics.is_empty());
    assert_eq!(comparison.only_in_baseline[0].key, "synthetic/swap_ns");
    assert_eq!(comparison.only_in_candidate[0].key, "synthetic/renamed_ns");
}

#[test]
fn environment_differences_are_warned_about() {
    let (base, mut cand) = shifted_pair(5, 1.0, 5, 50);
    cand.environment.cpus = 8;
    let comparison = compare_runs(&base, &cand, &GateOptions::default());
    assert!(
        comparison.warnings.iter().any(|w| w.contains("CPU count")),
        "{:?}",
        comparison.warnings
    );
}

/// Error rates over many seeds, for docs/gate.md:
/// `cargo test --release --test gate_verdicts calibration -- --ignored --nocapture`.
#[test]
#[ignore]
fn calibration() {
    let options = GateOptions::default();
    for (shift, repetitions) in [
        (1.0, 3),
        (1.0, 5),
        (1.0, 10),
        (1.05, 10),
        (1.1, 5),
        (1.1, 10),
        (1.2, 5),
        (1.2, 10),
        (2.0, 3),
        (2.0, 4),
        (2.0, 5),
    ] {
        let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
        let seeds = 500;
        for seed in 0..seeds {
            let (base, cand) = shifted_pair(10_000 + seed, shift, repetitions, 200);
            *counts
                .entry(compare_runs(&base, &cand, &options).metrics[0].verdict)
                .or_default() += 1;
        }
        eprintln!("shift {shift:>4} reps {repetitions:>2}: {counts:?} of {seeds}");
    }
}
