//! The load-time checks of a formula activation: names, parameters, finite values on a grid.

use std::collections::BTreeMap;

use super::{Expr, Func, MAX_FORMULA_CHARS, parse};

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

/// What is wrong with a formula's parameter lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A declared parameter the formula does not use.
    #[error("parameter `{0}` is declared in `params` but the formula does not use it")]
    Unused(String),
    /// A learnable parameter that is not declared.
    #[error("`learnable` names `{name}`, which is not in `params` (declared: {declared})")]
    Undeclared {
        /// The learnable name.
        name: String,
        /// The declared names, or `none`.
        declared: String,
    },
}

/// The parameters of an activation formula, checked: every declared one used, every learnable
/// one declared.
pub fn check_params(expr: &Expr, names: &[String], learnable: &[String]) -> Result<(), ParamError> {
    let mut used = Vec::new();
    expr.used_params(&mut used);
    if let Some(k) = (0..names.len()).find(|k| !used.contains(k)) {
        return Err(ParamError::Unused(names[k].clone()));
    }
    if let Some(l) = learnable.iter().find(|l| !names.contains(l)) {
        return Err(ParamError::Undeclared {
            name: l.clone(),
            declared: if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            },
        });
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

/// An activation's optional `name` (its label in reports and run names): 1 to 64 characters,
/// not blank.
pub fn check_label(name: Option<&str>, field: &str) -> Result<(), crate::error::ModelError> {
    match name {
        Some(name) if name.trim().is_empty() || name.chars().count() > 64 => {
            Err(crate::error::ModelError::InvalidParameter {
                field: format!("{field}.name"),
                value: format!("{name:?}"),
                expected: "a label of 1 to 64 characters".into(),
            })
        }
        _ => Ok(()),
    }
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
        check_label(name, field)?;
        let expr = parse(f, &names).map_err(|e| {
            let shown: String = f.chars().take(MAX_FORMULA_CHARS).collect();
            let caret = format!(
                "\n    {shown}\n    {}^",
                " ".repeat(e.column.saturating_sub(1))
            );
            formula_error(format!("column {}: {}", e.column, e.message), caret)
        })?;
        check_params(&expr, &names, learnable)
            .map_err(|e| formula_error(e.to_string(), String::new()))?;
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
