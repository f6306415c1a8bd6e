//! Every activation against an f64 reference formula and its analytic derivative, on ndarray and
//! flex, over a grid from -1e4 to 1e4.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use actlab_format::activation::{ActivationConfig, activation_kinds};
use actlab_model::ActivationInit;
use burn::tensor::Tensor;
use common::*;

/// f32 agreement: relative error ≤ 1e-5, with an absolute floor of 1e-7 for values near zero
/// (where a relative error of an f32 result says nothing; f32 resolves 6e-8 around 1).
fn close(actual: f64, expected: f64, rel: f64, abs: f64) -> bool {
    (actual - expected).abs() <= rel * expected.abs() + abs
}

#[test]
fn the_tests_cover_every_kind() {
    let mut kinds: Vec<&str> = elementwise().iter().map(|a| a.kind()).collect();
    kinds.push("softmax");
    for kind in activation_kinds() {
        assert!(kinds.contains(&kind), "{kind} is not tested");
    }
}

#[test]
fn values_match_the_f64_reference() {
    let mut failures = Vec::new();
    for (backend, device) in backends() {
        for config in elementwise() {
            // A per-unit PReLU applies slope k to column k: give it a [1, n] input with n slopes.
            let layer = config.init(GRID.len(), &device).unwrap();
            let input: Tensor<2> = tensor(GRID, &device).reshape([1, GRID.len()]);
            let out = to_vec(layer.forward(input));
            for (x, y) in GRID.iter().zip(&out) {
                let expected = reference(&config, *x);
                if !(y.is_finite() && close(*y, expected, 1e-5, 1e-7)) {
                    failures.push(format!(
                        "{backend} {}: f({x}) = {y}, expected {expected}",
                        config.label()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gradients_match_the_analytic_derivative() {
    let mut failures = Vec::new();
    for (backend, device) in backends() {
        let device = device.autodiff();
        for config in elementwise() {
            let layer = config.init(GRID.len(), &device).unwrap();
            let x = tensor(GRID, &device).require_grad();
            let y = layer.forward(x.clone().reshape([1, GRID.len()]));
            let grads = y.sum().backward();
            let dx = to_vec(x.grad(&grads).expect("x takes part in the graph"));
            for (x, g) in GRID.iter().zip(&dx) {
                let kinked = matches!(
                    config,
                    ActivationConfig::Relu
                        | ActivationConfig::LeakyRelu { .. }
                        | ActivationConfig::Prelu { .. }
                        | ActivationConfig::Elu { .. }
                        | ActivationConfig::Selu
                );
                if kinked && *x == 0.0 {
                    // A kink: any value between the one-sided derivatives is a subgradient (ELU
                    // with α = 1 is differentiable there, both sides are 1).
                    let (left, right) = (derivative(&config, -1e-12), derivative(&config, 1e-12));
                    let (lo, hi) = (left.min(right), left.max(right));
                    if !(g.is_finite() && *g >= lo - 1e-6 && *g <= hi + 1e-6) {
                        failures.push(format!(
                            "{backend} {}: f'(0) = {g}, expected within [{lo}, {hi}]",
                            config.label()
                        ));
                    }
                    continue;
                }
                let expected = derivative(&config, *x);
                if !(g.is_finite() && close(*g, expected, 1e-4, 1e-6)) {
                    failures.push(format!(
                        "{backend} {}: f'({x}) = {g}, expected {expected}",
                        config.label()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn softmax_is_stable_and_matches_the_reference() {
    for (backend, device) in backends() {
        let layer = ActivationConfig::softmax().init(2, &device).unwrap();
        let big = to_vec(layer.forward(tensor(&[1000.0, 0.0], &device)));
        assert_eq!(big, vec![1.0, 0.0], "{backend}");
        let tiny = to_vec(layer.forward(tensor(&[-1e4, 1e4], &device)));
        assert_eq!(tiny, vec![0.0, 1.0], "{backend}");

        let xs = [-3.0, -0.5, 0.0, 1.5, 4.0];
        let max = 4.0f64;
        let z: f64 = xs.iter().map(|x| (x - max).exp()).sum();
        let out = to_vec(layer.forward(tensor(&xs, &device)));
        for (x, y) in xs.iter().zip(&out) {
            let expected = (x - max).exp() / z;
            assert!(
                close(*y, expected, 1e-5, 1e-7),
                "{backend}: {y} vs {expected}"
            );
        }
    }
}

#[test]
fn softmax_gradient_is_the_jacobian_vector_product() {
    // d/dx Σ_i w_i s_i = s ⊙ (w − (s·w))
    let xs = [-1.0, 0.5, 2.0, -0.25];
    let ws = [0.3, -1.2, 0.7, 2.0];
    let m = xs.iter().cloned().fold(f64::MIN, f64::max);
    let z: f64 = xs.iter().map(|x| (x - m).exp()).sum();
    let s: Vec<f64> = xs.iter().map(|x| (x - m).exp() / z).collect();
    let sw: f64 = s.iter().zip(&ws).map(|(a, b)| a * b).sum();
    for (backend, device) in backends() {
        let device = device.autodiff();
        let layer = ActivationConfig::softmax().init(4, &device).unwrap();
        let x = tensor(&xs, &device).require_grad();
        let loss = (layer.forward(x.clone()) * tensor(&ws, &device)).sum();
        let dx = to_vec(x.grad(&loss.backward()).expect("x is tracked"));
        for i in 0..4 {
            let expected = s[i] * (ws[i] - sw);
            assert!(
                close(dx[i], expected, 1e-4, 1e-6),
                "{backend} {i}: {} vs {expected}",
                dx[i]
            );
        }
    }
}

#[test]
fn backends_agree() {
    // The same input through the same activation on both CPU backends.
    let devices: Vec<_> = backends().into_iter().map(|(_, device)| device).collect();
    let (a, b) = (&devices[0], &devices[1]);
    for config in elementwise() {
        let ya = to_vec(
            config
                .init(GRID.len(), a)
                .unwrap()
                .forward(tensor(GRID, a).reshape([1, GRID.len()])),
        );
        let yb = to_vec(
            config
                .init(GRID.len(), b)
                .unwrap()
                .forward(tensor(GRID, b).reshape([1, GRID.len()])),
        );
        for ((x, p), q) in GRID.iter().zip(&ya).zip(&yb) {
            assert!(
                close(*p, *q, 1e-6, 1e-7),
                "{} at {x}: ndarray {p} flex {q}",
                config.label()
            );
        }
    }
}
