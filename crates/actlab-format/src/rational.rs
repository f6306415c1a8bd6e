//! Safe rational activations (Padé Activation Units, Molina et al., ICLR 2020):
//! `R(x) = (a0 + a1 x + … + am x^m) / (1 + |b1 x + … + bn x^n|)` — the absolute value keeps the
//! denominator ≥ 1, so there are no poles — and the least-squares fit of their coefficients to
//! another activation on [−3, 3]. Pure f64, no I/O; `actlab-model` builds the learnable layer
//! from a [`RationalFit`].
//!
//! The fit works in `t = x/3` (monomials on [−1, 1] keep the small systems well conditioned):
//! a linear least-squares start (`P(t) ≈ f·(1 + Q(t))`, the classic linearised Padé fit), then
//! Levenberg–Marquardt on the true residual `P/(1 + |Q|) − f`, also from the best polynomial
//! (`Q = 0`) and from the best `[m−1, n−1]` fit; the best of the three is kept. Its maximum error is then measured on a grid of
//! spacing 1e−4 over [−3, 3], in the coefficients' original (`x`) form.

use crate::activation::ActivationConfig;
use crate::error::ModelError;
use crate::expr::Formula;

/// The fit's interval is [−FIT_RANGE, FIT_RANGE].
pub const FIT_RANGE: f64 = 3.0;
/// The largest degree of either polynomial: `x^8` at the check grid's `x = 1e4` is 1e32, so
/// the f32 forward pass cannot overflow at initialisation.
pub const MAX_DEGREE: usize = 8;
/// Sample points of the least-squares fit (spacing 0.01).
const FIT_POINTS: usize = 601;
/// Points where the maximum error is measured (spacing 1e−4).
const ERROR_POINTS: usize = 60_001;
/// Levenberg–Marquardt iterations at most (each start).
const MAX_ITERATIONS: usize = 500;

/// Fitted coefficients of a safe rational function, and how well they fit.
#[derive(Debug, Clone, PartialEq)]
pub struct RationalFit {
    /// `a0, a1, …, am`.
    pub numerator: Vec<f64>,
    /// `b1, …, bn` (the constant term of the denominator is the fixed 1).
    pub denominator: Vec<f64>,
    /// `max |R(x) − f(x)|` over [−3, 3] (grid of spacing 1e−4).
    pub max_error: f64,
    /// Where that maximum is.
    pub worst_x: f64,
}

/// `c0 + c1 x + … + ck x^k` by Horner's scheme.
pub fn horner(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// `R(x)` in f64: `numerator = [a0, …, am]`, `denominator = [b1, …, bn]`.
pub fn value(numerator: &[f64], denominator: &[f64], x: f64) -> f64 {
    let q = x * horner(denominator, x);
    horner(numerator, x) / (1.0 + q.abs())
}

impl RationalFit {
    /// `R(x)` with these coefficients.
    pub fn value(&self, x: f64) -> f64 {
        value(&self.numerator, &self.denominator, x)
    }
}

/// Why a rational function cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The function to fit is not finite somewhere on [−3, 3].
    #[error("the activation to fit is {y} at x = {x}, not a finite number")]
    TargetNotFinite {
        /// Where.
        x: f64,
        /// Its value there.
        y: f64,
    },
    /// No start of the least-squares fit converged to finite coefficients.
    #[error("the least-squares fit has no finite solution")]
    NoSolution,
    /// The fitted function is not finite somewhere on [−3, 3].
    #[error("the fitted function is not finite at x = {x}")]
    FitNotFinite {
        /// Where.
        x: f64,
    },
}

/// Fits `R` of degrees `m` (numerator) and `n` (denominator) to `f` on [−3, 3]. Fails (with the
/// reason) when `f` is not finite there or the fit is not a finite function.
pub fn fit(f: &dyn Fn(f64) -> f64, m: usize, n: usize) -> Result<RationalFit, FitError> {
    let ts: Vec<f64> = (0..FIT_POINTS)
        .map(|i| -1.0 + 2.0 * i as f64 / (FIT_POINTS - 1) as f64)
        .collect();
    let ys: Vec<f64> = ts.iter().map(|t| f(FIT_RANGE * t)).collect();
    if let Some((t, y)) = ts.iter().zip(&ys).find(|(_, y)| !y.is_finite()) {
        return Err(FitError::TargetNotFinite {
            x: FIT_RANGE * t,
            y: *y,
        });
    }
    let best = Problem { ts, ys, m, n }.solve()?;
    // Back from t = x/3 to x: a_k = α_k / 3^k, b_k = β_k / 3^k.
    let scale = |k: usize| FIT_RANGE.powi(k as i32);
    let numerator: Vec<f64> = (0..=m).map(|k| best[k] / scale(k)).collect();
    let denominator: Vec<f64> = (1..=n).map(|k| best[m + k] / scale(k)).collect();
    let mut fitted = RationalFit {
        numerator,
        denominator,
        max_error: 0.0,
        worst_x: 0.0,
    };
    for i in 0..ERROR_POINTS {
        let x = FIT_RANGE * (-1.0 + 2.0 * i as f64 / (ERROR_POINTS - 1) as f64);
        let error = (fitted.value(x) - f(x)).abs();
        if !error.is_finite() {
            return Err(FitError::FitNotFinite { x });
        }
        if error > fitted.max_error {
            fitted.max_error = error;
            fitted.worst_x = x;
        }
    }
    Ok(fitted)
}

/// The least-squares problem in `t = x/3`: unknowns `[α0, …, αm, β1, …, βn]`.
#[derive(Clone)]
struct Problem {
    ts: Vec<f64>,
    ys: Vec<f64>,
    m: usize,
    n: usize,
}

impl Problem {
    /// The best coefficients found from three starts: the linearised fit, the best polynomial,
    /// and the best `[m−1, n−1]` rational padded with zeros (so a higher degree never fits
    /// worse than the one below it).
    fn solve(&self) -> Result<Vec<f64>, FitError> {
        let (m, n) = (self.m, self.n);
        let mut starts = vec![self.linearised()];
        let mut poly = Problem {
            n: 0,
            ..self.clone()
        }
        .linearised();
        poly.resize(m + 1 + n, 0.0);
        starts.push(poly);
        if m > 1 && n > 0 {
            let lower = Problem {
                m: m - 1,
                n: n - 1,
                ..self.clone()
            };
            if let Ok(theta) = lower.solve() {
                let (num, den) = theta.split_at(m);
                starts.push([num, &[0.0], den, &[0.0]].concat());
            }
        }
        starts
            .into_iter()
            .map(|start| self.levenberg_marquardt(start))
            .filter(|theta| theta.iter().all(|v| v.is_finite()))
            .min_by(|a, b| self.sse(a).total_cmp(&self.sse(b)))
            .ok_or(FitError::NoSolution)
    }

    fn unknowns(&self) -> usize {
        self.m + 1 + self.n
    }

    fn split<'a>(&self, theta: &'a [f64]) -> (&'a [f64], &'a [f64]) {
        theta.split_at(self.m + 1)
    }

    fn sse(&self, theta: &[f64]) -> f64 {
        let (num, den) = self.split(theta);
        let sse = self
            .ts
            .iter()
            .zip(&self.ys)
            .map(|(&t, &y)| (value(num, den, t) - y).powi(2))
            .sum::<f64>();
        if sse.is_finite() { sse } else { f64::INFINITY }
    }

    /// A row of the design matrix at `t`: `numerator·t^j` for `α_j` (j = 0..m), then
    /// `denominator·t^j` for `β_j` (j = 1..n) — both fits' derivatives have this form.
    fn fill_row(&self, row: &mut [f64], t: f64, numerator: f64, denominator: f64) {
        let mut power = 1.0;
        for slot in row.iter_mut().take(self.m + 1) {
            *slot = numerator * power;
            power *= t;
        }
        let mut power = t;
        for slot in row.iter_mut().skip(self.m + 1) {
            *slot = denominator * power;
            power *= t;
        }
    }

    /// Minimises `Σ (P(t) − f·Q(t) − f)²`, linear in the unknowns.
    fn linearised(&self) -> Vec<f64> {
        let k = self.unknowns();
        let mut normal = vec![0.0; k * k];
        let mut rhs = vec![0.0; k];
        let mut row = vec![0.0; k];
        for (&t, &y) in self.ts.iter().zip(&self.ys) {
            self.fill_row(&mut row, t, 1.0, -y);
            accumulate(&mut normal, &mut rhs, &row, y);
        }
        solve(&mut normal, &mut rhs, 1e-12).unwrap_or_else(|| vec![0.0; k])
    }

    /// Levenberg–Marquardt on `r = P/(1 + |Q|) − f` from `theta`; the sign of `Q = 0` is taken
    /// as +1 so that a zero denominator can start moving.
    fn levenberg_marquardt(&self, mut theta: Vec<f64>) -> Vec<f64> {
        let k = self.unknowns();
        let mut sse = self.sse(&theta);
        let mut lambda = 1e-3;
        let mut row = vec![0.0; k];
        for _ in 0..MAX_ITERATIONS {
            let mut normal = vec![0.0; k * k];
            let mut gradient = vec![0.0; k];
            let (num, den) = self.split(&theta);
            for (&t, &y) in self.ts.iter().zip(&self.ys) {
                let q = t * horner(den, t);
                let d = 1.0 + q.abs();
                let p = horner(num, t);
                let sign = if q >= 0.0 { 1.0 } else { -1.0 };
                self.fill_row(&mut row, t, 1.0 / d, -p * sign / (d * d));
                // Solving J δ ≈ −r: accumulate JᵀJ and −Jᵀr.
                accumulate(&mut normal, &mut gradient, &row, y - p / d);
            }
            let mut accepted = None;
            while lambda < 1e12 {
                let mut damped = normal.clone();
                for i in 0..k {
                    damped[i * k + i] += lambda * normal[i * k + i].max(1e-12);
                }
                let mut step = gradient.clone();
                if let Some(delta) = solve(&mut damped, &mut step, 0.0) {
                    let candidate: Vec<f64> =
                        theta.iter().zip(&delta).map(|(a, d)| a + d).collect();
                    let new = self.sse(&candidate);
                    if new < sse {
                        accepted = Some((candidate, new));
                        lambda = (lambda / 3.0).max(1e-12);
                        break;
                    }
                }
                lambda *= 4.0;
            }
            let Some((candidate, new)) = accepted else {
                break;
            };
            let gain = (sse - new) / sse.max(f64::MIN_POSITIVE);
            theta = candidate;
            sse = new;
            if gain < 1e-12 {
                break;
            }
        }
        theta
    }
}

/// Adds `row·rowᵀ` to `normal` and `row·target` to `rhs`.
fn accumulate(normal: &mut [f64], rhs: &mut [f64], row: &[f64], target: f64) {
    let k = row.len();
    for i in 0..k {
        rhs[i] += row[i] * target;
        for j in 0..k {
            normal[i * k + j] += row[i] * row[j];
        }
    }
}

/// Solves `(a + ridge·trace/k·I) x = b` by Gaussian elimination with partial pivoting (`a` is
/// `k × k`, row-major; both are overwritten). `None` when it is singular.
fn solve(a: &mut [f64], b: &mut [f64], ridge: f64) -> Option<Vec<f64>> {
    let k = b.len();
    let trace: f64 = (0..k).map(|i| a[i * k + i]).sum();
    for i in 0..k {
        a[i * k + i] += ridge * trace / k as f64;
    }
    for col in 0..k {
        let pivot =
            (col..k).max_by(|&i, &j| a[i * k + col].abs().total_cmp(&a[j * k + col].abs()))?;
        if a[pivot * k + col].abs() < 1e-300 || !a[pivot * k + col].is_finite() {
            return None;
        }
        if pivot != col {
            for j in 0..k {
                a.swap(pivot * k + j, col * k + j);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..k {
            let factor = a[row * k + col] / a[col * k + col];
            for j in col..k {
                a[row * k + j] -= factor * a[col * k + j];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; k];
    for row in (0..k).rev() {
        let tail: f64 = (row + 1..k).map(|j| a[row * k + j] * x[j]).sum();
        x[row] = (b[row] - tail) / a[row * k + row];
    }
    Some(x)
}

impl ActivationConfig {
    /// A built-in element-wise activation written as a formula (`leaky_relu` →
    /// `where(x, x, 0.01 * x)`), evaluated by [`crate::expr`]; `None` for softmax, formulas and
    /// rational activations.
    pub fn as_formula(&self) -> Option<String> {
        // Debug prints 0.01 as `0.01` and 1e-30 as `1e-30`: both parse.
        let n = |v: f64| {
            if v < 0.0 {
                format!("({v:?})")
            } else {
                format!("{v:?}")
            }
        };
        Some(match *self {
            Self::Identity => "x".into(),
            Self::Sigmoid => "sigmoid(x)".into(),
            Self::Tanh => "tanh(x)".into(),
            Self::Relu => "relu(x)".into(),
            Self::LeakyRelu { slope } | Self::Prelu { slope, .. } => {
                format!("where(x, x, {} * x)", n(slope))
            }
            Self::Swish { beta, .. } => format!("x * sigmoid({} * x)", n(beta)),
            Self::Silu => "x * sigmoid(x)".into(),
            Self::Gelu { approximate: false } => "0.5 * x * (1 + erf(x / sqrt(2)))".into(),
            Self::Gelu { approximate: true } => {
                "0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x^3)))".into()
            }
            Self::Elu { alpha } => format!("where(x, x, {} * (exp(x) - 1))", n(alpha)),
            Self::Selu => {
                "1.0507009873554805 * where(x, x, 1.6732632423543772 * (exp(x) - 1))".into()
            }
            Self::Softplus { beta } => format!("softplus({b} * x) / {b}", b = n(beta)),
            Self::Mish => "x * tanh(softplus(x))".into(),
            Self::Expr { .. } | Self::Rational { .. } | Self::Softmax { .. } => return None,
        })
    }

    /// This element-wise activation as an f64 function (a formula with its initial parameter
    /// values; a built-in through [`ActivationConfig::as_formula`]).
    pub fn function(&self, field: &str) -> Result<impl Fn(f64) -> f64 + use<>, ModelError> {
        let formula = match self.as_formula() {
            Some(text) => Formula::check(&text, &Default::default(), &[], None, field)?,
            None => self.formula(field)?,
        };
        Ok(move |x| formula.expr.eval(x, &formula.values))
    }

    /// A rational activation's initial coefficients: its `init` fitted on [−3, 3]. Every check
    /// of a `kind = "rational"` config, with `field` (`model.activation`) in the errors: degrees
    /// in range, an element-wise `init` that is itself valid, a fit that is finite in f32 over
    /// the whole check grid [−1e4, 1e4].
    pub fn rational_fit(&self, field: &str) -> Result<RationalFit, ModelError> {
        let Self::Rational {
            degrees: [m, n],
            init,
            name,
            ..
        } = self
        else {
            return Err(self.not_a(field, "a rational activation (kind = \"rational\")"));
        };
        let (m, n) = (*m, *n);
        crate::expr::check_label(name.as_deref(), field)?;
        if !(1..=MAX_DEGREE).contains(&m) || n > MAX_DEGREE {
            return Err(ModelError::InvalidParameter {
                field: format!("{field}.degrees"),
                value: format!("[{m}, {n}]"),
                expected: format!(
                    "[m, n]: the numerator's degree m in 1..={MAX_DEGREE}, the denominator's n \
                     in 0..={MAX_DEGREE}"
                ),
            });
        }
        let init_field = format!("{field}.init");
        if matches!(**init, Self::Rational { .. } | Self::Softmax { .. }) {
            return Err(ModelError::InvalidParameter {
                field: init_field,
                value: init.label(),
                expected: "an element-wise activation to fit: a built-in other than softmax, or \
                           a formula"
                    .into(),
            });
        }
        init.validate(&init_field)?;
        let target = init.function(&init_field)?;
        let key = format!("{m}/{n}/{init:?}");
        let fitted =
            cached_fit(&key, || fit(&target, m, n)).map_err(|message| ModelError::Rational {
                field: init_field.clone(),
                message: format!(
                    "cannot fit {} by a [{m}, {n}] rational: {message}",
                    init.label()
                ),
            })?;
        let limit = f64::from(f32::MAX);
        let overflow = crate::expr::check_grid().into_iter().find(|&x| {
            let p = horner(&fitted.numerator, x);
            let q = x * horner(&fitted.denominator, x);
            !(p.abs() <= limit && q.abs() <= limit && fitted.value(x).is_finite())
        });
        if let Some(x) = overflow {
            return Err(ModelError::Rational {
                field: format!("{field}.degrees"),
                message: format!(
                    "the [{m}, {n}] fit to {} overflows f32 at x = {x}; lower the degrees",
                    init.label()
                ),
            });
        }
        Ok(fitted)
    }
}

/// The fit of `key` (degrees and init), computed once per process: a config is validated,
/// built and summarised several times, and a high-degree fit takes a tenth of a second. Holds
/// at most 64 fits (then starts over), so no input grows it without bound.
fn cached_fit(
    key: &str,
    compute: impl FnOnce() -> Result<RationalFit, FitError>,
) -> Result<RationalFit, FitError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, RationalFit>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(key).cloned()) {
        return Ok(hit);
    }
    let fitted = compute()?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 64 {
            c.clear();
        }
        c.insert(key.to_string(), fitted.clone());
    }
    Ok(fitted)
}

#[cfg(test)]
#[path = "rational_tests.rs"]
mod tests;
