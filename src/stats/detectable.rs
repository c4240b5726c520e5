//! What a comparison could have seen: the minimum detectable effect (MDE) of a metric at its
//! repetition count and spread, and the between-run drift that widens an interval when two
//! separate runs are compared.
//!
//! Both work on a symmetric normal approximation of the effect's estimate: a standard error
//! `se` read off the bootstrap interval's width. The MDE is the true effect that the verdict
//! rule would flag with probability `power` (80% by default): `(z(α/2) + z(1-power)) · se`,
//! the textbook two-sample formula. It is a guide to what a run can see, not a verdict.

use super::normal::upper_quantile;

/// The standard error implied by a central `confidence` interval of width `width`.
pub fn standard_error(width: f64, confidence: f64) -> f64 {
    width / (2.0 * upper_quantile((1.0 - confidence) / 2.0))
}

/// The smallest true effect (in the estimate's own scale: log-ratio or difference) that a
/// test at two-sided level `alpha` detects with probability `power`, given `se`.
pub fn minimum_detectable_effect(se: f64, alpha: f64, power: f64) -> f64 {
    (upper_quantile(alpha / 2.0) + upper_quantile(1.0 - power)) * se
}

/// Widens an interval `[lower, upper]` around `estimate` (all in an additive scale: log-ratio
/// or difference) by an independent error of standard deviation `drift_sd` (between-run
/// drift), adding the two in quadrature on each side.
pub fn widen(estimate: f64, lower: f64, upper: f64, drift_sd: f64, confidence: f64) -> (f64, f64) {
    let z = upper_quantile((1.0 - confidence) / 2.0);
    let extra = z * drift_sd;
    let below = (estimate - lower).max(0.0);
    let above = (upper - estimate).max(0.0);
    (estimate - below.hypot(extra), estimate + above.hypot(extra))
}

/// Sample standard deviation of `values` (n - 1 denominator); `None` below two values.
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    Some((squares / (n - 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mde_of_a_known_standard_error() {
        // se = 1 at α = 0.05, power 0.8: 1.96 + 0.84 = 2.80.
        let mde = minimum_detectable_effect(1.0, 0.05, 0.8);
        assert!((mde - 2.8016).abs() < 1e-3, "{mde}");
        let se = standard_error(2.0 * 1.959_964, 0.95);
        assert!((se - 1.0).abs() < 1e-5, "{se}");
    }

    #[test]
    fn widening_adds_in_quadrature_and_never_narrows() {
        let (low, high) = widen(0.0, -0.3, 0.4, 0.0, 0.95);
        assert_eq!((low, high), (-0.3, 0.4));
        let z = 1.959_964;
        let (low, high) = widen(0.0, -0.3, 0.4, 0.2, 0.95);
        assert!((low + (0.09f64 + (z * 0.2f64).powi(2)).sqrt()).abs() < 1e-5);
        assert!((high - (0.16f64 + (z * 0.2f64).powi(2)).sqrt()).abs() < 1e-5);
    }

    #[test]
    fn sd_needs_two_values() {
        assert_eq!(sample_sd(&[1.0]), None);
        assert!((sample_sd(&[1.0, 3.0]).unwrap() - 2f64.sqrt()).abs() < 1e-12);
    }
}
