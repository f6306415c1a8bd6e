//! Rational activations (`kind = "rational"`): the initial fit reproduces its `init` within
//! the maximum error `actlab summary` prints; the gradient of every coefficient (and of x)
//! matches a finite difference of the f64 formula; per-unit coefficients are independent and
//! every coefficient moves under one optimizer step; bad configs are one-line errors. On
//! ndarray and flex.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use actlab_format::activation::ActivationConfig;
use actlab_model::activation::RationalActivation;
use actlab_model::{Activation, ActivationInit};
use burn::module::Module;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::Tensor;
use common::*;

#[derive(serde::Deserialize)]
struct Holder {
    activation: ActivationConfig,
}

fn parse(toml_text: &str) -> Result<ActivationConfig, String> {
    let holder: Holder = toml::from_str(toml_text).map_err(|e| e.to_string())?;
    holder
        .activation
        .validate("model.activation")
        .map_err(|e| e.to_string())?;
    Ok(holder.activation)
}

fn rational(layer: &Activation) -> &RationalActivation {
    match layer {
        Activation::Rational(m) => m,
        _ => panic!("built a rational activation"),
    }
}

#[test]
fn the_initial_fit_reproduces_leaky_relu_within_the_printed_max_error() {
    let config =
        parse(r#"activation = { kind = "rational", degrees = [5, 4], init = "leaky_relu" }"#)
            .unwrap();
    let fit = config.rational_fit("model.activation").unwrap();
    assert_eq!((fit.numerator.len(), fit.denominator.len()), (6, 4));
    // A useful fit: the kink at 0 is where it is worst, a few hundredths.
    assert!(fit.max_error < 0.05, "{fit:?}");
    let leaky = |x: f64| if x >= 0.0 { x } else { 0.01 * x };
    // Points off the fit's and the error's grids.
    let n = 30_011;
    let xs: Vec<f64> = (0..n)
        .map(|i| -3.0 + 6.0 * (f64::from(i) + 0.37) / f64::from(n))
        .collect();
    for (backend, device) in backends() {
        let layer = config.init(1, &device).unwrap();
        let ys = to_vec(layer.forward(tensor(&xs, &device).reshape([n as usize, 1])));
        let worst = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| (y - leaky(x)).abs())
            .fold(0.0, f64::max);
        // Within the printed maximum (plus f32 rounding), and that maximum is not loose.
        assert!(
            worst <= fit.max_error + 1e-5,
            "{backend}: {worst} vs {fit:?}"
        );
        assert!(
            worst >= 0.9 * fit.max_error,
            "{backend}: {worst} vs {fit:?}"
        );
    }
}

#[test]
fn every_coefficient_gradient_matches_a_finite_difference() {
    let config = ActivationConfig::Rational {
        degrees: [5, 4],
        init: Box::new(ActivationConfig::Gelu { approximate: false }),
        per_unit: true,
        name: None,
    };
    // Three units, seven rows: inputs over [-4, 4], each output weighted differently.
    let (rows, units) = (7, 3);
    let xs: Vec<f64> = (0..rows * units)
        .map(|i| -4.0 + 8.0 * (i as f64 + 0.5) / (rows * units) as f64)
        .collect();
    let ws: Vec<f64> = (0..rows * units)
        .map(|i| 0.3 + ((i * 7) % 5) as f64 * 0.4)
        .collect();
    for (backend, device) in backends() {
        let device = device.autodiff();
        let layer = config.init(units, &device).unwrap();
        let m = rational(&layer);
        // The coefficients as the layer holds them (f32), per unit.
        let values: Vec<f64> = m
            .learned_values()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        assert_eq!(values.len(), 10 * units);
        let coefficient = |values: &[f64], k: usize, unit: usize| values[k * units + unit];
        // L = Σ w · R_unit(x), in f64 from the coefficients.
        let loss = |values: &[f64]| -> f64 {
            (0..rows * units)
                .map(|i| {
                    let unit = i % units;
                    let num: Vec<f64> = (0..6).map(|k| coefficient(values, k, unit)).collect();
                    let den: Vec<f64> = (6..10).map(|k| coefficient(values, k, unit)).collect();
                    ws[i] * actlab_format::rational::value(&num, &den, xs[i])
                })
                .sum()
        };
        let x = tensor(&xs, &device).reshape([rows, units]).require_grad();
        let w = tensor(&ws, &device).reshape([rows, units]);
        let grads = (layer.forward(x.clone()) * w).sum().backward();
        let params: Vec<_> = m.numerator.iter().chain(&m.denominator).collect();
        for (k, p) in params.iter().enumerate() {
            let auto = to_vec(p.grad(&grads).unwrap());
            assert_eq!(auto.len(), units);
            for (unit, &auto) in auto.iter().enumerate() {
                let i = k * units + unit;
                let h = 1e-6 * values[i].abs().max(1.0);
                let (mut up, mut down) = (values.clone(), values.clone());
                up[i] += h;
                down[i] -= h;
                let fd = (loss(&up) - loss(&down)) / (2.0 * h);
                assert!(
                    (auto - fd).abs() <= 1e-3 * fd.abs().max(1.0),
                    "{backend}: coefficient {k}, unit {unit}: autodiff {auto} vs {fd}"
                );
            }
        }
        // And dL/dx.
        let auto = to_vec(x.grad(&grads).unwrap().reshape([rows * units]));
        for (i, &auto) in auto.iter().enumerate() {
            let unit = i % units;
            let num: Vec<f64> = (0..6).map(|k| coefficient(&values, k, unit)).collect();
            let den: Vec<f64> = (6..10).map(|k| coefficient(&values, k, unit)).collect();
            let r = |x: f64| actlab_format::rational::value(&num, &den, x);
            let fd = ws[i] * (r(xs[i] + 1e-6) - r(xs[i] - 1e-6)) / 2e-6;
            assert!(
                (auto - fd).abs() <= 1e-3 * fd.abs().max(1.0),
                "{backend}: dL/dx at {}: {auto} vs {fd}",
                xs[i]
            );
        }
    }
}

#[test]
fn shared_coefficients_are_ten_and_each_moves_under_one_step() {
    let config =
        parse(r#"activation = { kind = "rational", init = { kind = "expr", f = "x * erf(x)" } }"#)
            .unwrap();
    for (backend, device) in backends() {
        let device = device.autodiff();
        let layer = config.init(4, &device).unwrap();
        assert_eq!(layer.num_params(), 10, "{backend}: [5, 4] by default");
        let before = layer.learned_values().unwrap();
        let x = Tensor::<2>::from_floats([[-2.0, -0.5, 0.7, 2.5], [1.5, -1.0, 3.0, 0.2]], &device);
        let grads = layer.forward(x).sum().backward();
        let grads = GradientsParams::from_grads(grads, &layer);
        let stepped = SgdConfig::new().init().step(0.01, layer, grads);
        let after = stepped.learned_values().unwrap();
        assert_eq!(after.len(), 10);
        for (k, (a, b)) in before.iter().zip(&after).enumerate() {
            assert!(a != b, "{backend}: coefficient {k} did not move");
        }
    }
}

#[test]
fn bad_rational_configs_are_one_line_errors_naming_the_field() {
    for (text, expected) in [
        (
            r#"activation = { kind = "rational", degrees = [0, 4] }"#,
            "model.activation.degrees = [0, 4] is invalid",
        ),
        (
            r#"activation = { kind = "rational", degrees = [9, 2] }"#,
            "m in 1..=8",
        ),
        (
            r#"activation = { kind = "rational", degrees = [5, 4, 3] }"#,
            "invalid length 3",
        ),
        (
            r#"activation = { kind = "rational", init = "softmax" }"#,
            "model.activation.init = softmax(dim=-1) is invalid",
        ),
        (
            r#"activation = { kind = "rational", init = { kind = "rational" } }"#,
            "model.activation.init",
        ),
        (
            r#"activation = { kind = "rational", init = { kind = "expr", f = "log(x)" } }"#,
            "model.activation.init.f = \"log(x)\": not a finite number at x = -10000",
        ),
        (
            r#"activation = { kind = "rational", init = { kind = "elu", alpha = -1.0 } }"#,
            "model.activation.init.alpha",
        ),
        (
            r#"activation = { kind = "rational", degres = [5, 4] }"#,
            "unknown field `degres`",
        ),
    ] {
        let err = parse(text).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
        // Our checks are one line; TOML's own syntax errors quote the line with a caret.
        assert!(
            !err.contains('\n') || err.starts_with("TOML parse error"),
            "{text}: {err}"
        );
    }
}

#[test]
fn a_rational_config_round_trips_through_toml_with_its_init() {
    let config = parse(
        r#"activation = { kind = "rational", degrees = [3, 2], per_unit = true, name = "pau",
           init = { kind = "expr", f = "x * sigmoid(b * x)", params = { b = 1.5 } } }"#,
    )
    .unwrap();
    #[derive(serde::Serialize)]
    struct Out<'a> {
        activation: &'a ActivationConfig,
    }
    let text = toml::to_string(&Out {
        activation: &config,
    })
    .unwrap();
    assert_eq!(parse(&text).unwrap(), config, "{text}");
    assert_eq!(config.label(), "pau");
    let bare = parse(r#"activation = "rational""#).unwrap();
    assert_eq!(
        bare.label(),
        "rational(5/4, init=leaky_relu(slope=0.01))",
        "defaults"
    );
}

#[test]
fn every_builtin_as_a_formula_is_the_function_a_rational_is_fitted_to() {
    // `as_formula` (what `init` is evaluated through) against the independent f64 references
    // (GELU's two erf approximations agree to ~1e-7 relative).
    for config in elementwise() {
        if matches!(config, ActivationConfig::Rational { .. }) {
            continue;
        }
        let f = config.function("model.activation.init").unwrap();
        for &x in GRID {
            let (got, expected) = (f(x), reference(&config, x));
            assert!(
                (got - expected).abs() <= 1e-6 * expected.abs() + 1e-12,
                "{}: f({x}) = {got}, expected {expected}",
                config.label()
            );
        }
    }
}
