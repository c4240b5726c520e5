//! The knobs of the gate, typed once from the command line (or set by a library caller).

use crate::results::{ExecutionMode, check_threshold};

/// The smallest relative change that matters when neither the command line nor the
/// scenario says otherwise, for wall-clock modes (host, QEMU with TCG or KVM).
pub const DEFAULT_THRESHOLD: f64 = 0.10;

/// The same in deterministic mode (`qemu-tcg-icount`): two boots of one kernel agree to
/// ~0.01% there and a +1 µs-per-swap change shows as 1.192x [1.191x, 1.193x] (NOTES.md), so a
/// 10% default would hide real changes. 2% stays far above that mode's noise.
pub const DETERMINISTIC_DEFAULT_THRESHOLD: f64 = 0.02;

/// The default threshold of a run measured in `execution_mode`.
pub fn mode_default_threshold(execution_mode: &ExecutionMode) -> f64 {
    if execution_mode.is_deterministic() {
        DETERMINISTIC_DEFAULT_THRESHOLD
    } else {
        DEFAULT_THRESHOLD
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GateOptions {
    /// Threshold for metrics whose results carry none (from the scenario file); `None`:
    /// the execution mode's default (`mode_default_threshold`).
    pub default_threshold: Option<f64>,
    /// When set, replaces every metric's threshold (the `--threshold` flag).
    pub threshold_override: Option<f64>,
    /// Two-sided significance level of the rank test.
    pub alpha: f64,
    /// Coverage of the bootstrap interval of the ratio.
    pub confidence: f64,
    /// Probability of detecting a change of the reported minimum detectable size.
    pub power: f64,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// Base seed of the bootstrap; mixed with each metric's key.
    pub seed: u64,
    /// Metrics of the baseline that the candidate lacks are listed but do not make the
    /// comparison incomplete (`--allow-missing`).
    pub allow_missing: bool,
    /// Scenarios left out of the comparison on purpose (`--ignore-scenario`).
    pub ignore_scenarios: Vec<String>,
    /// Both sides were measured in one session with their repetitions interleaved (the VM
    /// runner's alternating rounds), so between-run drift is already in the data.
    pub interleaved: bool,
    /// An inconclusive metric fails the gate like a regression (`--fail-on-inconclusive`).
    pub fail_on_inconclusive: bool,
}

impl Default for GateOptions {
    fn default() -> Self {
        GateOptions {
            default_threshold: None,
            threshold_override: None,
            alpha: crate::stats::mann_whitney::DEFAULT_ALPHA,
            confidence: 0.95,
            power: 0.8,
            resamples: 2000,
            seed: 0x6b63_616e_6172_7921,
            allow_missing: false,
            ignore_scenarios: Vec::new(),
            interleaved: false,
            fail_on_inconclusive: false,
        }
    }
}

impl GateOptions {
    /// The threshold that applies to a metric whose results say `own` (candidate first,
    /// then baseline, as the caller passes it), measured in `execution_mode`.
    pub fn threshold_for(&self, own: Option<f64>, execution_mode: &ExecutionMode) -> f64 {
        self.threshold_override
            .or(own)
            .or(self.default_threshold)
            .unwrap_or_else(|| mode_default_threshold(execution_mode))
    }

    pub fn ignores(&self, scenario: &str) -> bool {
        self.ignore_scenarios.iter().any(|s| s == scenario)
    }

    /// Checks values that would make every verdict meaningless.
    pub fn validate(&self) -> Result<(), String> {
        for (flag, value) in [
            ("--threshold", self.threshold_override),
            ("--default-threshold", self.default_threshold),
        ] {
            if let Some(t) = value {
                check_threshold(t).map_err(|e| format!("{flag}: {e}"))?;
            }
        }
        for (name, value) in [
            ("alpha", self.alpha),
            ("confidence", self.confidence),
            ("power", self.power),
        ] {
            if !(value > 0.0 && value < 1.0) {
                return Err(format!("{name} must be between 0 and 1, found {value}"));
            }
        }
        if self.resamples < 100 {
            return Err(format!(
                "at least 100 bootstrap resamples are needed, found {}",
                self.resamples
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_out_of_range_are_refused() {
        for bad in [0.0, -0.1, 1e9, f64::NAN, f64::INFINITY] {
            let options = GateOptions {
                threshold_override: Some(bad),
                ..GateOptions::default()
            };
            assert!(options.validate().is_err(), "{bad}");
        }
        let options = GateOptions {
            threshold_override: Some(10.0),
            ..GateOptions::default()
        };
        options.validate().unwrap();
    }

    #[test]
    fn deterministic_mode_has_a_finer_default() {
        let options = GateOptions::default();
        let icount = ExecutionMode::QemuTcgIcount;
        assert_eq!(options.threshold_for(None, &icount), 0.02);
        assert_eq!(options.threshold_for(None, &ExecutionMode::Host), 0.10);
        assert_eq!(options.threshold_for(Some(0.25), &icount), 0.25);
        let fixed = GateOptions {
            default_threshold: Some(0.05),
            ..GateOptions::default()
        };
        assert_eq!(fixed.threshold_for(None, &icount), 0.05);
    }
}
