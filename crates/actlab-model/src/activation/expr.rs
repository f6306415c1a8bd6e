//! A formula activation (`kind = "expr"`): the [`Formula`] tree parsed by `actlab-format`,
//! evaluated with Burn tensor operations, so the gradient for `x` and for every learnable
//! parameter comes from autodiff on every backend. Constants fold to scalars; learnable
//! parameters are `Param<Tensor<1>>` of shape `[1]` (shared) or `[units]` (per unit).
//!
//! Numerically safe forms, as the built-ins: `sigmoid` is Burn's; `softplus(a)` is `a` above
//! 20 and `log1p(exp(min(a, 20)))` below; `exp` clamps its input at 88 (f32's largest finite
//! exponent is ≈ 88.7) so that a branch `where` does not take cannot turn its gradient into
//! NaN (`0 · ∞`); the load-time check (`actlab-format`) refuses formulas that are not finite.

use actlab_format::expr::{Expr, Formula, Func, Op, SOFTPLUS_LINEAR};
use burn::module::{Module, Param};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor};

use actlab_format::error::ModelError;

/// The largest input `exp` sees (f32 overflows just above 88.72).
const EXP_MAX: f64 = 88.0;

/// A formula activation layer.
#[derive(Module, Debug)]
pub struct ExprActivation {
    /// The learnable parameters, in the order of `formula.learnable`.
    pub learned: Vec<Param<Tensor<1>>>,
    /// The checked formula.
    #[module(skip)]
    pub formula: Formula,
    /// Whether each learnable parameter has one value per unit.
    #[module(skip)]
    pub per_unit: bool,
}

/// A value while evaluating: a constant, or a tensor of the input's shape (short-lived, one
/// per tree node on the stack: its size does not matter).
#[allow(clippy::large_enum_variant)]
enum Value<const D: usize> {
    Scalar(f64),
    Tensor(Tensor<D>),
}

impl<const D: usize> Value<D> {
    /// As a tensor shaped like `like` (a parameter's `[1, …, units]` is broadcast only here,
    /// where an operation needs equal shapes: arithmetic broadcasts by itself).
    fn tensor(self, like: &Tensor<D>) -> Tensor<D> {
        match self {
            Value::Scalar(v) => like.zeros_like().add_scalar(v),
            Value::Tensor(t) if t.dims() == like.dims() => t,
            Value::Tensor(t) => like.zeros_like() + t,
        }
    }
}

impl ExprActivation {
    /// Builds the layer: learnable parameters start at their configured values, `units` of each
    /// when `per_unit`.
    pub fn new(formula: Formula, per_unit: bool, units: usize, device: &Device) -> Self {
        let width = if per_unit { units.max(1) } else { 1 };
        let learned = formula
            .learnable
            .iter()
            .map(|&k| {
                let values = vec![formula.values[k] as f32; width];
                Param::from_tensor(Tensor::<1>::from_floats(values.as_slice(), device))
            })
            .collect();
        ExprActivation {
            learned,
            formula,
            per_unit,
        }
    }

    /// Applies the formula element-wise.
    ///
    /// # Shapes
    /// - input: `[..., units]` (per-unit parameters need `units` in the last dimension)
    /// - output: same as input
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let out = self.eval(&self.formula.expr, &input);
        out.tensor(&input)
    }

    fn param<const D: usize>(&self, k: usize) -> Value<D> {
        match self.formula.learnable.iter().position(|&l| l == k) {
            Some(slot) => {
                let p = self.learned[slot].val();
                let mut shape = [1usize; D];
                shape[D.min(2) - 1] = p.dims()[0];
                Value::Tensor(p.reshape(shape))
            }
            None => Value::Scalar(self.formula.values[k]),
        }
    }

    fn eval<const D: usize>(&self, e: &Expr, x: &Tensor<D>) -> Value<D> {
        use Value::{Scalar as S, Tensor as T};
        match e {
            Expr::Num(v) => S(*v),
            Expr::X => T(x.clone()),
            Expr::Param(k) => self.param(*k),
            Expr::Neg(a) => match self.eval(a, x) {
                S(v) => S(-v),
                T(t) => T(t.neg()),
            },
            Expr::Bin(Op::Pow, a, b) => {
                let base = self.eval(a, x);
                if let Some(n) = b.integer_power() {
                    return match base {
                        S(v) => S(v.powi(n)),
                        T(t) => T(int_power(t, n)),
                    };
                }
                match (base, self.eval(b, x)) {
                    (S(l), S(r)) => S(l.powf(r)),
                    (T(t), S(r)) => T(t.powf_scalar(r)),
                    (l, r) => T(l.tensor(x).powf(r.tensor(x))),
                }
            }
            Expr::Bin(op, a, b) => match (self.eval(a, x), self.eval(b, x)) {
                (S(l), S(r)) => S(match op {
                    Op::Add => l + r,
                    Op::Sub => l - r,
                    Op::Mul => l * r,
                    _ => l / r,
                }),
                (T(l), S(r)) => T(match op {
                    Op::Add => l.add_scalar(r),
                    Op::Sub => l.sub_scalar(r),
                    Op::Mul => l.mul_scalar(r),
                    _ => l.div_scalar(r),
                }),
                (S(l), T(r)) => T(match op {
                    Op::Add => r.add_scalar(l),
                    Op::Sub => r.neg().add_scalar(l),
                    Op::Mul => r.mul_scalar(l),
                    _ => r.recip().mul_scalar(l),
                }),
                (T(l), T(r)) => T(match op {
                    Op::Add => l + r,
                    Op::Sub => l - r,
                    Op::Mul => l * r,
                    _ => l / r,
                }),
            },
            Expr::Call(f, args) => self.call(*f, args, x),
        }
    }

    fn call<const D: usize>(&self, f: Func, args: &[Expr], x: &Tensor<D>) -> Value<D> {
        use Value::{Scalar as S, Tensor as T};
        if let Func::Where = f {
            return match self.eval(&args[0], x) {
                S(c) => self.eval(&args[if c > 0.0 { 1 } else { 2 }], x),
                T(c) => {
                    let mask = T(c).tensor(x).greater_elem(0.0);
                    let yes = self.eval(&args[1], x).tensor(x);
                    let no = self.eval(&args[2], x).tensor(x);
                    T(no.mask_where(mask, yes))
                }
            };
        }
        if let Func::Min | Func::Max = f {
            let (a, b) = (self.eval(&args[0], x), self.eval(&args[1], x));
            let min = f == Func::Min;
            return match (a, b) {
                (S(a), S(b)) => S(if min { a.min(b) } else { a.max(b) }),
                (T(t), S(s)) | (S(s), T(t)) => T(if min { t.clamp_max(s) } else { t.clamp_min(s) }),
                (T(a), T(b)) => {
                    let (a, b) = (T(a).tensor(x), T(b).tensor(x));
                    T(if min { a.min_pair(b) } else { a.max_pair(b) })
                }
            };
        }
        let a = match self.eval(&args[0], x) {
            // A function of a constant is a constant: the f64 evaluator computes it.
            S(v) => return S(Expr::Call(f, vec![Expr::Num(v)]).eval(0.0, &[])),
            T(t) => t,
        };
        T(match f {
            Func::Exp => a.clamp_max(EXP_MAX).exp(),
            Func::Log => a.log(),
            Func::Log1p => a.log1p(),
            Func::Sqrt => a.sqrt(),
            Func::Abs => a.abs(),
            Func::Sin => a.sin(),
            Func::Cos => a.cos(),
            Func::Tanh => a.tanh(),
            Func::Sigmoid => sigmoid(a),
            Func::Softplus => {
                let linear = a.clone().greater_elem(SOFTPLUS_LINEAR);
                let curved = a.clone().clamp_max(SOFTPLUS_LINEAR).exp().log1p();
                curved.mask_where(linear, a)
            }
            Func::Relu => relu(a),
            Func::Erf => a.erf(),
            Func::Min | Func::Max | Func::Where => a, // handled above
        })
    }

    /// The learnable parameters' current values, in `formula.learnable` order, each with its
    /// name (`per_unit` gives several values per name).
    pub fn learned_values(&self) -> Result<Vec<(String, Vec<f32>)>, ModelError> {
        self.formula
            .learnable
            .iter()
            .zip(&self.learned)
            .map(|(&k, p)| {
                let values = super::read_values(p.val(), "formula parameters")?;
                Ok((self.formula.names[k].clone(), values))
            })
            .collect()
    }
}

/// `t^n` for an integer `n` by repeated squaring (negative bases stay real), `1/t^|n|` below 0.
fn int_power<const D: usize>(t: Tensor<D>, n: i32) -> Tensor<D> {
    if n == 0 {
        return t.ones_like();
    }
    let mut result: Option<Tensor<D>> = None;
    let mut base = t;
    let mut k = n.unsigned_abs();
    loop {
        if k & 1 == 1 {
            result = Some(match result {
                Some(r) => r * base.clone(),
                None => base.clone(),
            });
        }
        k >>= 1;
        if k == 0 {
            break;
        }
        base = base.clone() * base;
    }
    let positive = result.unwrap_or(base);
    if n < 0 { positive.recip() } else { positive }
}

/// Points of the check grid where autodiff's derivative of `formula` (in f32 on `device`, the
/// parameters at their initial values) and a central difference of its f64 evaluation
/// disagree: `(x, autodiff, finite difference)`. Points at a kink (where the one-sided
/// differences disagree) and where the values are beyond f32's precision are skipped. A
/// mismatch means a formula whose gradient Burn computes differently from its values — worth a
/// warning, not a refusal.
pub fn derivative_mismatches(formula: &Formula, device: &Device) -> Vec<(f64, f64, f64)> {
    let device = device.clone().autodiff();
    let xs: Vec<f64> = actlab_format::expr::check_grid()
        .into_iter()
        .filter(|x| x.abs() <= 100.0)
        .collect();
    let layer = ExprActivation::new(formula.clone(), false, 1, &device);
    let data: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    let x = Tensor::<1>::from_floats(data.as_slice(), &device).require_grad();
    let y = layer.forward(x.clone().reshape([1, xs.len()]));
    let grads = y.sum().backward();
    let Some(auto) = x
        .grad(&grads)
        .and_then(|g| g.into_data().try_to_vec::<f32>().ok())
    else {
        return Vec::new();
    };
    let f = |x: f64| formula.expr.eval(x, &formula.values);
    let central = |x: f64, h: f64| (f(x + h) - f(x - h)) / (2.0 * h);
    xs.iter()
        .zip(auto)
        .filter_map(|(&x, auto)| {
            let h = 1e-4 * x.abs().max(1.0);
            let fine = central(x, h / 2.0);
            // A kink at x: the one-sided slopes differ (a symmetric one fools the central).
            let k = 1e-6 * x.abs().max(1.0);
            let (right, left) = ((f(x + k) - f(x)) / k, (f(x) - f(x - k)) / k);
            let smooth = (right - left).abs() <= 1e-2 * fine.abs().max(1.0);
            let auto = f64::from(auto);
            let differs = (auto - fine).abs() > 1e-2 * fine.abs().max(1.0);
            (fine.is_finite() && smooth && (differs || !auto.is_finite()))
                .then_some((x, auto, fine))
        })
        .collect()
}
