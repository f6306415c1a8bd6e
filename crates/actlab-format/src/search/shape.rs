//! How Swish-like a candidate is — the Swish paper's search found x·σ(βx); did ours? The best
//! least-squares fit of `a·x·σ(βx) + b` to the candidate on [−4, 4] (constants at their
//! initial values; a network's weights and biases absorb `a` and `b`), over β on a log grid
//! from 0.05 to 50, and the share of the candidate's variance it explains (R²) — and of the
//! part a straight line leaves, since Swish's β → 0 end is the line x/2.
//!
//! Swish spans x/2 (β → 0) to ReLU (β → ∞), so a ReLU-like candidate fits with a large β: the
//! fit says "Swish-like", β says which end.

use serde::Serialize;

use crate::activation::ActivationConfig;

/// The best fit of `a·x·σ(βx) + b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SwishFit {
    /// β.
    pub beta: f64,
    /// a.
    pub scale: f64,
    /// Share of the candidate's variance on [−4, 4] the fit explains.
    pub r2: f64,
    /// Share the best straight line explains: Swish tends to x/2 as β → 0, so a nearly linear
    /// candidate fits a small β well without being Swish-like.
    pub line_r2: f64,
}

impl SwishFit {
    /// Share of what a line leaves unexplained (the candidate's non-linear part) that the
    /// Swish fit explains: 1 − (1 − R²) / (1 − R²ₗᵢₙₑ), or 0 where the fit (β ≥ 0.05) is no
    /// better than the line.
    pub fn nonlinear_r2(&self) -> f64 {
        if self.line_r2 >= 1.0 {
            return 0.0;
        }
        (1.0 - (1.0 - self.r2) / (1.0 - self.line_r2)).max(0.0)
    }

    /// Swish-like: the fit explains at least [`SWISH_LIKE_R2`] of the shape and
    /// [`SWISH_LIKE_NONLINEAR_R2`] of its non-linear part, which is itself at least
    /// [`NONLINEAR_SHARE`] of the shape.
    pub fn swish_like(&self) -> bool {
        self.r2 >= SWISH_LIKE_R2
            && self.nonlinear_r2() >= SWISH_LIKE_NONLINEAR_R2
            && 1.0 - self.line_r2 >= NONLINEAR_SHARE
    }
}

/// R² of the shape at or above this (and of its non-linear part at or above
/// [`SWISH_LIKE_NONLINEAR_R2`]) reads "Swish-like".
pub const SWISH_LIKE_R2: f64 = 0.99;
/// R² of the non-linear part at or above this (with [`SWISH_LIKE_R2`]) reads "Swish-like".
pub const SWISH_LIKE_NONLINEAR_R2: f64 = 0.9;
/// The least share of a shape's variance a line must leave for it to be non-linear enough to
/// call Swish-like (or anything but nearly linear).
pub const NONLINEAR_SHARE: f64 = 0.01;

/// The inputs: [−4, 4] by 0.05.
fn xs() -> Vec<f64> {
    (-80..=80).map(|k| f64::from(k) * 0.05).collect()
}

fn swish(x: f64, beta: f64) -> f64 {
    x / (1.0 + (-beta * x).exp())
}

/// Least squares of `ys` on `g` with an intercept: (a, b, residual sum of squares).
fn fit_line(g: &[f64], ys: &[f64]) -> (f64, f64, f64) {
    let n = g.len() as f64;
    let (mg, my) = (g.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sgy, mut sgg) = (0.0, 0.0);
    for (a, y) in g.iter().zip(ys) {
        sgy += (a - mg) * (y - my);
        sgg += (a - mg) * (a - mg);
    }
    let a = if sgg > 0.0 { sgy / sgg } else { 0.0 };
    let b = my - a * mg;
    let sse = g.iter().zip(ys).map(|(g, y)| (y - a * g - b).powi(2)).sum();
    (a, b, sse)
}

/// The best Swish fit of `f` sampled on [−4, 4]; `None` when `f` is constant there or not
/// finite.
pub fn swish_fit_of(f: impl Fn(f64) -> f64) -> Option<SwishFit> {
    let xs = xs();
    let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
    if ys.iter().any(|y| !y.is_finite()) {
        return None;
    }
    let my = ys.iter().sum::<f64>() / ys.len() as f64;
    let sst: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    if sst <= 1e-12 * (1.0 + my * my) * ys.len() as f64 {
        return None;
    }
    let line_r2 = 1.0 - fit_line(&xs, &ys).2 / sst;
    let betas = (0..=1000).map(|k| 0.05 * 1000f64.powf(f64::from(k) / 1000.0));
    let mut best: Option<SwishFit> = None;
    for beta in betas {
        let g: Vec<f64> = xs.iter().map(|&x| swish(x, beta)).collect();
        let (scale, _, sse) = fit_line(&g, &ys);
        let r2 = 1.0 - sse / sst;
        if best.is_none_or(|b| r2 > b.r2) {
            best = Some(SwishFit {
                beta,
                scale,
                r2,
                line_r2,
            });
        }
    }
    best
}

/// The best Swish fit of a formula activation at its initial constants; `None` for any other
/// kind, or a formula that does not parse.
pub fn swish_fit(activation: &ActivationConfig) -> Option<SwishFit> {
    let ActivationConfig::Expr {
        f,
        params,
        learnable,
        name,
        ..
    } = activation
    else {
        return None;
    };
    let formula =
        crate::expr::Formula::check(f, params, learnable, name.as_deref(), "candidate").ok()?;
    swish_fit_of(|x| formula.expr.eval(x, &formula.values))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A formula, with a learnable `c1` (initially 1) when it uses one.
    fn expr(f: &str) -> ActivationConfig {
        let constants: Vec<String> = if f.contains("c1") {
            vec!["c1".into()]
        } else {
            Vec::new()
        };
        ActivationConfig::Expr {
            f: f.into(),
            params: constants.iter().map(|c| (c.clone(), 1.0)).collect(),
            learnable: constants,
            per_unit: false,
            name: None,
        }
    }

    #[test]
    fn swish_shapes_are_found_with_their_beta_and_others_are_not() {
        // Swish itself, scaled and shifted: β, a recovered, R² = 1.
        let fit = swish_fit(&expr("2*x*sigmoid(0.5*x) + 3")).unwrap();
        assert!((fit.beta - 0.5).abs() < 0.01, "{fit:?}");
        assert!((fit.scale - 2.0).abs() < 0.02, "{fit:?}");
        assert!(fit.r2 > 0.99999, "{fit:?}");
        let fit = swish_fit(&expr("x*sigmoid(c1*2*x)")).unwrap();
        assert!((fit.beta - 2.0).abs() < 0.02 && fit.r2 > 0.99999, "{fit:?}");
        assert!(fit.swish_like() && fit.nonlinear_r2() > 0.9999, "{fit:?}");
        // ReLU is the β → ∞ end; GELU ≈ x·σ(1.702x).
        let fit = swish_fit(&expr("relu(x)")).unwrap();
        assert!(
            fit.swish_like() && fit.r2 > 0.99 && fit.beta > 10.0,
            "{fit:?}"
        );
        let fit = swish_fit(&expr("x*(1 + erf(x/sqrt(2)))/2")).unwrap();
        assert!((fit.beta - 1.702).abs() < 0.05 && fit.r2 > 0.999, "{fit:?}");
        assert!(fit.swish_like(), "{fit:?}");
        // Odd, saturating or oscillating shapes are not Swish-like.
        for f in ["sin(x)", "tanh(x)", "abs(x)", "cos(x) + x"] {
            let fit = swish_fit(&expr(f)).unwrap();
            assert!(!fit.swish_like(), "{f}: {fit:?}");
        }
        // Nor is a nearly linear one, though Swish's β → 0 end (x/2) fits it closely: x plus a
        // small bump. A line explains over 99% of it; Swish explains little of the rest.
        let fit = swish_fit(&expr("x + 0.05*tanh(x^2)")).unwrap();
        assert!(fit.r2 > 0.99 && fit.line_r2 > 0.99, "{fit:?}");
        assert!(!fit.swish_like(), "{fit:?}");
        assert_eq!(swish_fit_of(|_| 2.5), None, "constant");
        assert_eq!(swish_fit(&ActivationConfig::Relu), None, "not a formula");
    }

    /// R² is one minus the residual over the total sum of squares, checked at one β by hand
    /// against the closed-form least-squares line; the line's R² likewise.
    #[test]
    fn r2_is_the_share_of_variance_explained() {
        let fit = swish_fit_of(|x| x * x).unwrap();
        let xs = xs();
        let ys: Vec<f64> = xs.iter().map(|x| x * x).collect();
        let g: Vec<f64> = xs.iter().map(|&x| swish(x, fit.beta)).collect();
        let n = xs.len() as f64;
        let (mg, my) = (g.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let cov: f64 = g.iter().zip(&ys).map(|(a, y)| (a - mg) * (y - my)).sum();
        let var_g: f64 = g.iter().map(|a| (a - mg).powi(2)).sum();
        let var_y: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        // For a line with an intercept, R² is the squared correlation.
        let want = cov * cov / (var_g * var_y);
        assert!((fit.r2 - want).abs() < 1e-9, "{} vs {want}", fit.r2);
        assert!((fit.scale - cov / var_g).abs() < 1e-9);
        // x² on a symmetric grid: no line explains any of it.
        assert!(fit.line_r2.abs() < 1e-12, "{fit:?}");
        assert!((fit.nonlinear_r2() - fit.r2).abs() < 1e-12);
    }
}
