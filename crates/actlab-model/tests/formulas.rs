//! Formula activations (`kind = "expr"`): every built-in written as a formula matches the
//! built-in, forward and gradient, on ndarray and flex; learnable parameters get the analytic
//! gradient and move under one optimizer step; per-unit parameters have one value per unit.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;

use actlab_format::activation::ActivationConfig;
use actlab_model::{Activation, ActivationInit};
use burn::module::Module;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{Device, Tensor};
use common::*;

fn expr(f: &str, params: &[(&str, f64)], learnable: &[&str]) -> ActivationConfig {
    ActivationConfig::Expr {
        f: f.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
        learnable: learnable.iter().map(|s| s.to_string()).collect(),
        per_unit: false,
        name: None,
    }
}

/// Every element-wise built-in with a formula that means the same.
fn builtins_as_formulas() -> Vec<(ActivationConfig, ActivationConfig)> {
    use ActivationConfig as A;
    let gelu_approx = "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))";
    vec![
        (A::Identity, expr("x", &[], &[])),
        (A::Sigmoid, expr("sigmoid(x)", &[], &[])),
        (A::Tanh, expr("tanh(x)", &[], &[])),
        (A::Relu, expr("relu(x)", &[], &[])),
        (
            A::LeakyRelu { slope: 0.01 },
            expr("where(-x, slope * x, x)", &[("slope", 0.01)], &[]),
        ),
        (
            A::prelu(),
            expr("where(-x, a * x, x)", &[("a", 0.25)], &["a"]),
        ),
        (
            A::Swish {
                beta: 1.7,
                trainable: false,
            },
            expr("x * sigmoid(beta * x)", &[("beta", 1.7)], &[]),
        ),
        (A::Silu, expr("x * sigmoid(x)", &[], &[])),
        (
            A::Gelu { approximate: false },
            expr("x * (1 + erf(x / sqrt(2))) / 2", &[], &[]),
        ),
        (A::Gelu { approximate: true }, expr(gelu_approx, &[], &[])),
        (
            A::Elu { alpha: 1.3 },
            expr("where(x, x, alpha * (exp(x) - 1))", &[("alpha", 1.3)], &[]),
        ),
        (
            A::Selu,
            expr(
                "lambda * where(x, x, alpha * (exp(x) - 1))",
                &[("lambda", SELU_LAMBDA), ("alpha", SELU_ALPHA)],
                &[],
            ),
        ),
        (
            A::Softplus { beta: 2.0 },
            expr("softplus(beta * x) / beta", &[("beta", 2.0)], &[]),
        ),
        (A::Mish, expr("x * tanh(softplus(x))", &[], &[])),
    ]
}

/// The values and input gradient of `layer` at `xs`.
fn value_and_gradient(layer: &Activation, xs: &[f64], device: &Device) -> (Vec<f64>, Vec<f64>) {
    let x = tensor(xs, device).require_grad();
    let y = layer
        .forward(x.clone().reshape([1, xs.len()]))
        .reshape([xs.len()]);
    let grads = y.clone().sum().backward();
    (to_vec(y), to_vec(x.grad(&grads).unwrap()))
}

/// f32 evaluation: relative 1e-5 for |values| ≥ 1, absolute below (where exp(x) − 1 and
/// expm1 differ by an f32 rounding of 1).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn every_builtin_written_as_a_formula_matches_it_forward_and_backward() {
    let xs = actlab_format::expr::check_grid();
    for (backend, device) in backends() {
        let device = device.autodiff();
        for (builtin, formula) in builtins_as_formulas() {
            let a = builtin.init(xs.len(), &device).unwrap();
            let b = formula.init(xs.len(), &device).unwrap();
            let (ya, ga) = value_and_gradient(&a, &xs, &device);
            let (yb, gb) = value_and_gradient(&b, &xs, &device);
            for (k, x) in xs.iter().enumerate() {
                let what = format!("{backend} {} at x = {x}", builtin.label());
                assert!(close(ya[k], yb[k]), "{what}: f {} vs {}", ya[k], yb[k]);
                assert!(close(ga[k], gb[k]), "{what}: f' {} vs {}", ga[k], gb[k]);
            }
            // And both against the f64 reference away from the float-precision edge.
            for (k, x) in xs.iter().enumerate().filter(|(_, x)| x.abs() <= 50.0) {
                let want = reference(&formula, *x);
                assert!(
                    (yb[k] - want).abs() <= 2e-5 * want.abs().max(1.0),
                    "{backend} {}: f({x}) = {} vs f64 {want}",
                    builtin.label(),
                    yb[k]
                );
            }
        }
    }
}

#[test]
fn a_learnable_beta_gets_the_analytic_gradient_and_moves() {
    let xs = [-3.0, -1.0, -0.2, 0.0, 0.5, 2.0];
    let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
    let beta = 1.5;
    // d/dβ Σ x·σ(βx) = Σ x²·σ(βx)(1 − σ(βx))
    let expected: f64 = xs
        .iter()
        .map(|x| x * x * sigma(beta * x) * (1.0 - sigma(beta * x)))
        .sum();
    for (backend, device) in backends() {
        let device = device.autodiff();
        let layer = expr("x * sigmoid(beta * x)", &[("beta", beta)], &["beta"])
            .init(xs.len(), &device)
            .unwrap();
        assert_eq!(layer.num_params(), 1);
        let x = tensor(&xs, &device).reshape([1, xs.len()]);
        let grads = layer.forward(x).sum().backward();
        let Activation::Expr(m) = &layer else {
            panic!("built a formula")
        };
        let grad = to_vec(m.learned[0].grad(&grads).unwrap());
        assert_eq!(grad.len(), 1);
        assert!(
            (grad[0] - expected).abs() < 1e-5,
            "{backend}: {grad:?} vs {expected}"
        );
        let grads = GradientsParams::from_grads(grads, &layer);
        let stepped = SgdConfig::new().init().step(0.1, layer, grads);
        let after: Vec<f64> = stepped
            .learned_values()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        assert!(
            (after[0] - (beta - 0.1 * expected)).abs() < 1e-5,
            "{backend}: {after:?}"
        );
    }
}

#[test]
fn per_unit_parameters_have_one_value_per_unit_each_with_its_own_gradient() {
    for (backend, device) in backends() {
        let device = device.autodiff();
        let config = ActivationConfig::Expr {
            f: "where(x, x, a * x) + b".into(),
            params: [("a".to_string(), 0.25), ("b".to_string(), 0.0)].into(),
            learnable: vec!["a".into(), "b".into()],
            per_unit: true,
            name: Some("prelu-bias".into()),
        };
        let layer = config.init(3, &device).unwrap();
        assert_eq!(layer.num_params(), 6);
        // Two rows, three units: unit 0 negative in both rows, unit 1 in one, unit 2 never.
        let x = Tensor::<2>::from_floats([[-1.0, 2.0, 3.0], [-2.0, -4.0, 1.0]], &device);
        let grads = layer.forward(x).sum().backward();
        let Activation::Expr(m) = &layer else {
            panic!("built a formula")
        };
        let ga = to_vec(m.learned[0].grad(&grads).unwrap());
        let gb = to_vec(m.learned[1].grad(&grads).unwrap());
        assert_eq!(ga, [-3.0, -4.0, 0.0], "{backend}");
        assert_eq!(gb, [2.0, 2.0, 2.0], "{backend}");
        assert_eq!(layer.learned_values().unwrap().len(), 6);
    }
}

#[test]
fn the_derivative_check_flags_a_wrong_gradient_and_nothing_else() {
    use actlab_model::activation::derivative_mismatches;
    for (backend, device) in backends() {
        // Every built-in's formula: autodiff agrees with the finite difference away from kinks.
        for (builtin, formula) in builtins_as_formulas() {
            let checked = formula.formula("model.activation").unwrap();
            let found = derivative_mismatches(&checked, &device);
            assert!(found.is_empty(), "{backend} {}: {found:?}", builtin.label());
        }
        // exp clamps its input at 88 in f32 (so that an unused where-branch cannot make a NaN
        // gradient): past that, its gradient is 0 while the f64 difference is e^x — flagged.
        let unchecked = actlab_format::expr::Formula {
            expr: actlab_format::expr::parse("exp(x)", &[]).unwrap(),
            names: vec![],
            values: vec![],
            learnable: vec![],
        };
        let found = derivative_mismatches(&unchecked, &device);
        let at_100 = found.iter().find(|m| m.0 == 100.0);
        assert!(
            at_100.is_some_and(|m| m.1 == 0.0 && (m.2 / 100f64.exp() - 1.0).abs() < 1e-3),
            "{backend}: {found:?}"
        );
        assert!(found.iter().all(|m| m.0 > 88.0), "{backend}: {found:?}");
    }
}
