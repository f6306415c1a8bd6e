//! Activation formulas (`kind = "expr"`): a small expression language over `x` and named
//! parameters, parsed once into an [`Expr`] tree. This module parses, checks names, and
//! evaluates in `f64` (for the load-time checks); `actlab-model` evaluates the same tree with
//! Burn tensors, so the gradient comes from autodiff.
//!
//! Grammar (precedence low to high): `a + b`, `a - b`; `a * b`, `a / b`; unary `-a`; `a ^ b`
//! (right-associative, binds tighter than unary minus: `-x^2` is `-(x^2)`); numbers (`1`,
//! `0.5`, `1e-3`), `x`, parameter names, `pi`, `e`, parentheses, and the functions of [`Func`].

use std::collections::BTreeMap;

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

    fn lookup(name: &str) -> Option<(Func, usize)> {
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

/// What the tokenizer produces.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Sym(char),
    End,
}

fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, FormulaError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // An exponent: e or E, an optional sign, digits.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value: f64 = text.parse().map_err(|_| FormulaError {
                column,
                message: format!("`{text}` is not a number"),
            })?;
            out.push((Tok::Num(value), column));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), column));
        } else if "+-*/^(),".contains(c) {
            out.push((Tok::Sym(c), column));
            i += 1;
        } else {
            return Err(FormulaError {
                column,
                message: format!("unexpected character `{c}`"),
            });
        }
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    params: &'a [String],
    depth: usize,
}

fn allowed_names(params: &[String]) -> String {
    let mut names: Vec<String> = vec!["x".into()];
    names.extend(params.iter().cloned());
    names.extend(["pi".to_string(), "e".to_string()]);
    names.extend(Func::ALL.iter().map(|(n, _, _)| format!("{n}()")));
    names.join(", ")
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn column(&self) -> usize {
        self.toks[self.pos].1
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, FormulaError> {
        Err(FormulaError {
            column: self.column(),
            message: message.into(),
        })
    }

    fn eat(&mut self, c: char) -> bool {
        if *self.peek() == Tok::Sym(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> Result<(), FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, FormulaError> {
        self.enter()?;
        let mut left = self.term()?;
        loop {
            let op = if self.eat('+') {
                Op::Add
            } else if self.eat('-') {
                Op::Sub
            } else {
                break;
            };
            let right = self.term()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat('*') {
                Op::Mul
            } else if self.eat('/') {
                Op::Div
            } else {
                break;
            };
            let right = self.unary()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        self.enter()?;
        let out = if self.eat('-') {
            Expr::Neg(Box::new(self.unary()?))
        } else if self.eat('+') {
            self.unary()?
        } else {
            let base = self.atom()?;
            if self.eat('^') {
                Expr::Bin(Op::Pow, Box::new(base), Box::new(self.unary()?))
            } else {
                base
            }
        };
        self.depth -= 1;
        Ok(out)
    }

    fn atom(&mut self) -> Result<Expr, FormulaError> {
        let column = self.column();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.pos += 1;
                Ok(Expr::Num(v))
            }
            Tok::Sym('(') => {
                self.pos += 1;
                let inner = self.expr()?;
                if !self.eat(')') {
                    return self.fail("expected `)`");
                }
                Ok(inner)
            }
            Tok::Ident(name) => {
                self.pos += 1;
                if *self.peek() == Tok::Sym('(') {
                    let Some((func, arity)) = Func::lookup(&name) else {
                        return Err(FormulaError {
                            column,
                            message: format!(
                                "unknown function `{name}` (allowed: {})",
                                allowed_names(self.params)
                            ),
                        });
                    };
                    self.pos += 1;
                    let mut args = Vec::new();
                    if *self.peek() != Tok::Sym(')') {
                        loop {
                            args.push(self.expr()?);
                            if !self.eat(',') {
                                break;
                            }
                        }
                    }
                    if !self.eat(')') {
                        return self.fail("expected `,` or `)`");
                    }
                    if args.len() != arity {
                        return Err(FormulaError {
                            column,
                            message: format!(
                                "`{name}` takes {arity} argument(s), not {}",
                                args.len()
                            ),
                        });
                    }
                    return Ok(Expr::Call(func, args));
                }
                if name == "x" {
                    Ok(Expr::X)
                } else if let Some(k) = self.params.iter().position(|p| *p == name) {
                    Ok(Expr::Param(k))
                } else if name == "pi" {
                    Ok(Expr::Num(std::f64::consts::PI))
                } else if name == "e" {
                    Ok(Expr::Num(std::f64::consts::E))
                } else {
                    Err(FormulaError {
                        column,
                        message: format!(
                            "unknown name `{name}` (allowed: {}; declare parameters in `params`)",
                            allowed_names(self.params)
                        ),
                    })
                }
            }
            Tok::End => self.fail("the formula ends too early"),
            Tok::Sym(c) => self.fail(format!("unexpected `{c}`")),
        }
    }
}

/// Parses `src` with the declared parameter names (each becomes [`Expr::Param`] by index).
pub fn parse(src: &str, params: &[String]) -> Result<Expr, FormulaError> {
    let length = src.chars().count();
    if length > MAX_FORMULA_CHARS {
        return Err(FormulaError {
            column: MAX_FORMULA_CHARS + 1,
            message: format!("longer than {MAX_FORMULA_CHARS} characters"),
        });
    }
    if src.trim().is_empty() {
        return Err(FormulaError {
            column: 1,
            message: "the formula is empty".into(),
        });
    }
    let mut parser = Parser {
        toks: tokenize(src)?,
        pos: 0,
        params,
        depth: 0,
    };
    let expr = parser.expr()?;
    if *parser.peek() != Tok::End {
        return parser.fail("unexpected text after the formula");
    }
    Ok(expr)
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

/// The points where a formula is checked: a grid over [−1e4, 1e4], dense near 0, with ±50,
/// ±1 and 0 included.
pub fn check_grid() -> Vec<f64> {
    let mut xs = vec![0.0, 1.0, -1.0, 50.0, -50.0, 1e4, -1e4];
    for k in 0..=80 {
        let x = -4.0 + 0.1 * f64::from(k);
        xs.push(x);
    }
    for e in -3..=4 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(e);
            xs.push(v);
            xs.push(-v);
        }
    }
    xs.retain(|x| x.abs() <= 1e4);
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs
}

/// The parameters of an activation formula, checked: every declared one used, every learnable
/// one declared.
pub fn check_params(expr: &Expr, names: &[String], learnable: &[String]) -> Result<(), String> {
    let mut used = Vec::new();
    expr.used_params(&mut used);
    if let Some(k) = (0..names.len()).find(|k| !used.contains(k)) {
        return Err(format!(
            "parameter `{}` is declared in `params` but the formula does not use it",
            names[k]
        ));
    }
    if let Some(l) = learnable.iter().find(|l| !names.contains(l)) {
        return Err(format!(
            "`learnable` names `{l}`, which is not in `params` (declared: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    }
    Ok(())
}

/// The first grid point where the formula is not a finite `f32` value, with that value.
pub fn first_non_finite(expr: &Expr, params: &[f64]) -> Option<(f64, f64)> {
    check_grid().into_iter().find_map(|x| {
        let v = expr.eval(x, params);
        (!(v.is_finite() && v.abs() <= f64::from(f32::MAX))).then_some((x, v))
    })
}

/// A formula's parameters as the config declares them, in a fixed (name) order.
pub fn param_list(params: &BTreeMap<String, f64>) -> (Vec<String>, Vec<f64>) {
    params.iter().map(|(k, v)| (k.clone(), *v)).unzip()
}

/// A checked formula activation: what the model crate builds.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    /// The tree.
    pub expr: Expr,
    /// Parameter names, sorted ([`Expr::Param`] indexes them).
    pub names: Vec<String>,
    /// Their (initial) values.
    pub values: Vec<f64>,
    /// Which of them are learnable (indices into `names`).
    pub learnable: Vec<usize>,
}

impl Formula {
    /// Parses and checks a formula activation's fields; `field` is where it came from.
    pub fn check(
        f: &str,
        params: &BTreeMap<String, f64>,
        learnable: &[String],
        name: Option<&str>,
        field: &str,
    ) -> Result<Formula, crate::error::ModelError> {
        use crate::error::ModelError;
        let formula_error = |message: String, caret: String| ModelError::Formula {
            field: format!("{field}.f"),
            message: format!("{f:?}: {message}{caret}"),
        };
        let (names, values) = param_list(params);
        if let Some((k, v)) = params.iter().find(|(_, v)| !v.is_finite()) {
            return Err(ModelError::InvalidParameter {
                field: format!("{field}.params.{k}"),
                value: v.to_string(),
                expected: "a finite number".into(),
            });
        }
        if let Some(bad) = names.iter().find(|n| {
            n.as_str() == "x"
                || n.as_str() == "pi"
                || n.as_str() == "e"
                || Func::lookup(n).is_some()
                || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || n.starts_with(|c: char| c.is_ascii_digit())
        }) {
            return Err(ModelError::InvalidParameter {
                field: format!("{field}.params"),
                value: bad.clone(),
                expected: "parameter names that are identifiers and not x, pi, e or a function"
                    .into(),
            });
        }
        if let Some(name) = name
            && (name.trim().is_empty() || name.chars().count() > 64)
        {
            return Err(ModelError::InvalidParameter {
                field: format!("{field}.name"),
                value: format!("{name:?}"),
                expected: "a label of 1 to 64 characters".into(),
            });
        }
        let expr = parse(f, &names).map_err(|e| {
            let shown: String = f.chars().take(MAX_FORMULA_CHARS).collect();
            let caret = format!(
                "\n    {shown}\n    {}^",
                " ".repeat(e.column.saturating_sub(1))
            );
            formula_error(format!("column {}: {}", e.column, e.message), caret)
        })?;
        check_params(&expr, &names, learnable).map_err(|m| formula_error(m, String::new()))?;
        if let Some((x, v)) = first_non_finite(&expr, &values) {
            return Err(formula_error(
                format!(
                    "not a finite number at x = {x} (it gives {v}); an activation must be finite \
                     for every input in [-1e4, 1e4]"
                ),
                String::new(),
            ));
        }
        let learnable = learnable
            .iter()
            .filter_map(|l| names.iter().position(|n| n == l))
            .collect();
        Ok(Formula {
            expr,
            names,
            values,
            learnable,
        })
    }
}

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;
