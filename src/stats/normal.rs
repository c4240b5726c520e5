//! The standard normal distribution's tail, for the large-sample rank test.

/// P(Z > z) for a standard normal Z. Uses the complementary error function approximation of
/// Numerical Recipes (`erfcc`, fractional error below 1.2e-7), plenty for p-values.
pub fn upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The z with P(Z > z) = `tail` (0 < tail < 1), by bisection on `upper_tail`: 60 halvings of
/// [-10, 10] are far below the tail's own 1.2e-7 error, and it is only called per metric.
pub fn upper_quantile(tail: f64) -> f64 {
    let (mut low, mut high) = (-10.0f64, 10.0f64);
    for _ in 0..60 {
        let mid = (low + high) / 2.0;
        if upper_tail(mid) > tail {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 { value } else { 2.0 - value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tail_values() {
        assert!((upper_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((upper_tail(1.959_964) - 0.025).abs() < 1e-6);
        assert!((upper_tail(-1.959_964) - 0.975).abs() < 1e-6);
        assert!((upper_tail(3.090_232) - 0.001).abs() < 1e-7);
    }

    #[test]
    fn quantiles_invert_the_tail() {
        assert!((upper_quantile(0.025) - 1.959_964).abs() < 1e-5);
        assert!((upper_quantile(0.2) - 0.841_621).abs() < 1e-5);
        assert!(upper_quantile(0.5).abs() < 1e-6);
    }
}
