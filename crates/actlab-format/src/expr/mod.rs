//! Activation formulas (`kind = "expr"`): a small expression language over `x` and named
//! parameters, parsed once into an [`Expr`] tree. This module parses, checks names, and
//! evaluates in `f64` (for the load-time checks); `actlab-model` evaluates the same tree with
//! Burn tensors, so the gradient comes from autodiff.
//!
//! Grammar (precedence low to high): `a + b`, `a - b`; `a * b`, `a / b`; unary `-a`; `a ^ b`
//! (right-associative, binds tighter than unary minus: `-x^2` is `-(x^2)`); numbers (`1`,
//! `0.5`, `1e-3`), `x`, parameter names, `pi`, `e`, parentheses, and the functions of [`Func`].
//!
//! `parse.rs`: tokenizer and parser; `check.rs`: the load-time checks ([`Formula`]); here: the
//! tree and its `f64` evaluation.

mod check;
mod parse;

pub use check::{Formula, check_grid, check_label, check_params, first_non_finite, param_list};
pub use parse::parse;

/// The longest formula accepted (characters).
pub const MAX_FORMULA_CHARS: usize = 1000;
/// The deepest nesting accepted (parentheses, operators, calls).
pub const MAX_DEPTH: usize = 64;
/// The largest integer exponent evaluated by repeated multiplication.
pub const MAX_INT_POWER: i32 = 64;

/// A function of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `exp(a)`.
    Exp,
    /// `log(a)` (natural).
    Log,
    /// `log1p(a)` = ln(1 + a).
    Log1p,
    /// `sqrt(a)`.
    Sqrt,
    /// `abs(a)`.
    Abs,
    /// `sin(a)`.
    Sin,
    /// `cos(a)`.
    Cos,
    /// `tanh(a)`.
    Tanh,
    /// `sigmoid(a)` = 1/(1 + e^−a).
    Sigmoid,
    /// `softplus(a)` = ln(1 + e^a) (linear above 20, as PyTorch).
    Softplus,
    /// `relu(a)` = max(a, 0).
    Relu,
    /// `erf(a)`.
    Erf,
    /// `min(a, b)`.
    Min,
    /// `max(a, b)`.
    Max,
    /// `where(c, a, b)`: `a` where `c > 0`, else `b`.
    Where,
}

impl Func {
    /// Every function, with its name and number of arguments.
    pub const ALL: [(&'static str, Func, usize); 15] = [
        ("exp", Func::Exp, 1),
        ("log", Func::Log, 1),
        ("log1p", Func::Log1p, 1),
        ("sqrt", Func::Sqrt, 1),
        ("abs", Func::Abs, 1),
        ("sin", Func::Sin, 1),
        ("cos", Func::Cos, 1),
        ("tanh", Func::Tanh, 1),
        ("sigmoid", Func::Sigmoid, 1),
        ("softplus", Func::Softplus, 1),
        ("relu", Func::Relu, 1),
        ("erf", Func::Erf, 1),
        ("min", Func::Min, 2),
        ("max", Func::Max, 2),
        ("where", Func::Where, 3),
    ];

    pub(crate) fn lookup(name: &str) -> Option<(Func, usize)> {
        Self::ALL
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, f, k)| (*f, *k))
    }

    /// Whether its derivative jumps somewhere (finite-difference checks avoid its kinks).
    pub fn has_kink(self) -> bool {
        matches!(
            self,
            Func::Abs | Func::Relu | Func::Min | Func::Max | Func::Where | Func::Softplus
        )
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `^`.
    Pow,
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number (also `pi`, `e`).
    Num(f64),
    /// The input.
    X,
    /// A parameter, by its index in the declared parameter list.
    Param(usize),
    /// `-a`.
    Neg(Box<Expr>),
    /// `a op b`.
    Bin(Op, Box<Expr>, Box<Expr>),
    /// `f(args…)`.
    Call(Func, Vec<Expr>),
}

/// Why a formula was refused: where (1-based column, in characters) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    /// 1-based column of the offending character.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Expr {
    /// The integer value of a constant exponent (`2`, `-3`), if it is one within
    /// ±[`MAX_INT_POWER`]: evaluated by multiplication, so negative bases work.
    pub fn integer_power(&self) -> Option<i32> {
        let value = match self {
            Expr::Num(v) => *v,
            Expr::Neg(inner) => match **inner {
                Expr::Num(v) => -v,
                _ => return None,
            },
            _ => return None,
        };
        (value.fract() == 0.0 && value.abs() <= f64::from(MAX_INT_POWER)).then_some(value as i32)
    }

    /// Which parameters (by index) the formula uses.
    pub fn used_params(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Param(k) if !out.contains(k) => out.push(*k),
            Expr::Num(_) | Expr::X | Expr::Param(_) => {}
            Expr::Neg(a) => a.used_params(out),
            Expr::Bin(_, a, b) => {
                a.used_params(out);
                b.used_params(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.used_params(out)),
        }
    }

    /// Whether the formula contains a function with a kink.
    pub fn has_kink(&self) -> bool {
        match self {
            Expr::Num(_) | Expr::X | Expr::Param(_) => false,
            Expr::Neg(a) => a.has_kink(),
            Expr::Bin(_, a, b) => a.has_kink() || b.has_kink(),
            Expr::Call(f, args) => f.has_kink() || args.iter().any(Expr::has_kink),
        }
    }

    /// The value at `x` with parameter values `p` (by index), in `f64`.
    pub fn eval(&self, x: f64, p: &[f64]) -> f64 {
        match self {
            Expr::Num(v) => *v,
            Expr::X => x,
            Expr::Param(k) => p.get(*k).copied().unwrap_or(f64::NAN),
            Expr::Neg(a) => -a.eval(x, p),
            Expr::Bin(op, a, b) => {
                let l = a.eval(x, p);
                match op {
                    Op::Add => l + b.eval(x, p),
                    Op::Sub => l - b.eval(x, p),
                    Op::Mul => l * b.eval(x, p),
                    Op::Div => l / b.eval(x, p),
                    Op::Pow => match b.integer_power() {
                        Some(n) => l.powi(n),
                        None => l.powf(b.eval(x, p)),
                    },
                }
            }
            Expr::Call(f, args) => {
                let a = |k: usize| args[k].eval(x, p);
                match f {
                    Func::Exp => a(0).exp(),
                    Func::Log => a(0).ln(),
                    Func::Log1p => a(0).ln_1p(),
                    Func::Sqrt => a(0).sqrt(),
                    Func::Abs => a(0).abs(),
                    Func::Sin => a(0).sin(),
                    Func::Cos => a(0).cos(),
                    Func::Tanh => a(0).tanh(),
                    Func::Sigmoid => {
                        let v = a(0);
                        if v >= 0.0 {
                            1.0 / (1.0 + (-v).exp())
                        } else {
                            let e = v.exp();
                            e / (1.0 + e)
                        }
                    }
                    Func::Softplus => {
                        let v = a(0);
                        if v > SOFTPLUS_LINEAR {
                            v
                        } else {
                            v.exp().ln_1p()
                        }
                    }
                    Func::Relu => a(0).max(0.0),
                    Func::Erf => erf(a(0)),
                    Func::Min => a(0).min(a(1)),
                    Func::Max => a(0).max(a(1)),
                    Func::Where => {
                        if a(0) > 0.0 {
                            a(1)
                        } else {
                            a(2)
                        }
                    }
                }
            }
        }
    }
}

/// Above this input `softplus` is the identity (PyTorch's threshold; the error is < 2e-9).
pub const SOFTPLUS_LINEAR: f64 = 20.0;

/// erf in f64, to ~1e-13: the Maclaurin series below 3, the continued fraction of erfc
/// (evaluated backwards, 80 terms) above.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let ax = x.abs();
    let value = if ax < 3.0 {
        // 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
        let (mut sum, mut power, mut n) = (0.0, ax, 0.0f64);
        loop {
            let term = power / (2.0 * n + 1.0);
            sum += term;
            if term.abs() < 1e-17 * sum.abs() || n > 150.0 {
                break;
            }
            n += 1.0;
            power *= -ax * ax / n;
        }
        2.0 / std::f64::consts::PI.sqrt() * sum
    } else if ax < 7.0 {
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
        let mut t = ax;
        for k in (1..=80).rev() {
            t = ax + f64::from(k) / 2.0 / t;
        }
        1.0 - (-ax * ax).exp() / (std::f64::consts::PI.sqrt() * t)
    } else {
        1.0
    };
    value.copysign(x)
}

#[cfg(test)]
mod tests;
