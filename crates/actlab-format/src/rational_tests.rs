//! Tests of the rational fit against exact and independent computations.

use super::*;

#[test]
fn a_rational_function_is_recovered_exactly() {
    // R(x) = (1 + 2x − 0.5x²) / (1 + |0.3x + 0.1x²|): a [2, 2] fit finds it (error ≈ 0).
    let (num, den) = ([1.0, 2.0, -0.5], [0.3, 0.1]);
    let fitted = fit(&|x| value(&num, &den, x), 2, 2).unwrap();
    assert!(fitted.max_error < 1e-9, "{fitted:?}");
    for (a, b) in fitted.numerator.iter().zip(&num) {
        assert!((a - b).abs() < 1e-7, "{fitted:?}");
    }
}

#[test]
fn a_polynomial_is_fitted_with_a_zero_denominator() {
    let fitted = fit(&|x| 0.5 - x + 0.25 * x * x * x, 3, 2).unwrap();
    assert!(fitted.max_error < 1e-9, "{fitted:?}");
}

#[test]
fn the_max_error_is_the_true_maximum_on_the_interval() {
    let relu = |x: f64| x.max(0.0);
    let fitted = fit(&relu, 5, 4).unwrap();
    // An independent scan on a different grid (spacing ≈ 3e-5) never exceeds the reported
    // maximum by more than the grid's resolution allows, and comes close to it.
    let mut worst: f64 = 0.0;
    for i in 0..=200_003 {
        let x = -3.0 + 6.0 * f64::from(i) / 200_003.0;
        worst = worst.max((fitted.value(x) - relu(x)).abs());
    }
    assert!(
        worst <= fitted.max_error * 1.001 + 1e-6,
        "{worst} vs {fitted:?}"
    );
    assert!(worst >= fitted.max_error * 0.999, "{worst} vs {fitted:?}");
    assert!(fitted.max_error < 0.05, "{fitted:?}");
    assert!((fitted.value(fitted.worst_x) - relu(fitted.worst_x)).abs() == fitted.max_error);
}

#[test]
fn a_higher_degree_never_fits_worse() {
    // Root-mean-square error on an independent grid: each degree pair contains the one
    // below it (zero leading coefficients), so the fit must not get worse.
    let gelu = |x: f64| 0.5 * x * (1.0 + crate::expr::erf(x / std::f64::consts::SQRT_2));
    let rms = |fitted: &RationalFit| {
        let sse: f64 = (0..=1000)
            .map(|i| -3.0 + 0.006 * f64::from(i))
            .map(|x| (fitted.value(x) - gelu(x)).powi(2))
            .sum();
        (sse / 1001.0).sqrt()
    };
    let errors: Vec<f64> = [(2, 1), (3, 2), (4, 3), (5, 4), (6, 5)]
        .iter()
        .map(|&(m, n)| rms(&fit(&gelu, m, n).unwrap()))
        .collect();
    for pair in errors.windows(2) {
        assert!(pair[1] <= pair[0] * 1.01, "{errors:?}");
    }
    assert!(errors[4] < 1e-4 && errors[0] > 1e-2, "{errors:?}");
}

#[test]
fn a_non_finite_target_is_an_error_naming_x() {
    let err = fit(&|x: f64| 1.0 / x, 3, 2).unwrap_err().to_string();
    assert!(err.contains("x = 0"), "{err}");
}

#[test]
fn horner_matches_powers() {
    let c = [0.5, -1.0, 2.0, 0.25];
    let x: f64 = -1.7;
    let direct: f64 = c
        .iter()
        .enumerate()
        .map(|(k, c)| c * x.powi(k as i32))
        .sum();
    assert!((horner(&c, x) - direct).abs() < 1e-12);
}
