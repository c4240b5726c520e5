//! The knobs of the gate, typed once from the command line (or set by a library caller).

/// The smallest relative change that matters when neither the command line nor the
/// scenario says otherwise.
pub const DEFAULT_THRESHOLD: f64 = 0.10;

#[derive(Debug, Clone, PartialEq)]
pub struct GateOptions {
    /// Threshold for metrics whose results carry none (from the scenario file).
    pub default_threshold: f64,
    /// When set, replaces every metric's threshold (the `--threshold` flag).
    pub threshold_override: Option<f64>,
    /// Two-sided significance level of the rank test.
    pub alpha: f64,
    /// Coverage of the bootstrap interval of the ratio.
    pub confidence: f64,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// Base seed of the bootstrap; mixed with each metric's key.
    pub seed: u64,
}

impl Default for GateOptions {
    fn default() -> Self {
        GateOptions {
            default_threshold: DEFAULT_THRESHOLD,
            threshold_override: None,
            alpha: 0.05,
            confidence: 0.95,
            resamples: 2000,
            seed: 0x6b63_616e_6172_7921,
        }
    }
}

impl GateOptions {
    /// The threshold that applies to a metric whose results say `own` (candidate first,
    /// then baseline, as the caller passes it).
    pub fn threshold_for(&self, own: Option<f64>) -> f64 {
        self.threshold_override
            .or(own)
            .unwrap_or(self.default_threshold)
    }

    /// Checks values that would make every verdict meaningless.
    pub fn validate(&self) -> Result<(), String> {
        let t = self.threshold_override.unwrap_or(self.default_threshold);
        if !(t > 0.0 && t.is_finite()) {
            return Err(format!(
                "threshold must be a positive fraction such as 0.10, found {t}"
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(format!(
                "alpha must be between 0 and 1, found {}",
                self.alpha
            ));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(format!(
                "confidence must be between 0 and 1, found {}",
                self.confidence
            ));
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
