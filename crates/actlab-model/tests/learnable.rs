//! The learnable activation parameters (PReLU slopes, Swish β) get the right gradient and move
//! under one optimizer step.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use actlab_format::activation::ActivationConfig;
use actlab_model::{Activation, ActivationInit};
use burn::module::Module;
use burn::optim::{GradientsParams, SgdConfig};
use common::*;

const XS: [f64; 6] = [-3.0, -1.5, -0.2, 0.0, 0.4, 2.5];
const LR: f64 = 0.1;

fn learned(layer: &Activation) -> Vec<f64> {
    layer
        .learned_values()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

#[test]
fn shared_prelu_slope_gradient_is_the_sum_of_negative_inputs() {
    for (backend, device) in backends() {
        let device = device.autodiff();
        let layer = ActivationConfig::prelu().init(XS.len(), &device).unwrap();
        assert_eq!(layer.num_params(), 1);
        let x = tensor(&XS, &device).reshape([1, XS.len()]);
        let grads = layer.forward(x).sum().backward();
        let Activation::Prelu(prelu) = &layer else {
            panic!("built a PReLU")
        };
        let grad = to_vec(prelu.alpha.grad(&grads).expect("alpha is learnable"));
        // d/dα Σ prelu(x) = Σ_{x<0} x
        let expected: f64 = XS.iter().filter(|x| **x < 0.0).sum();
        assert_eq!(grad.len(), 1);
        assert!(
            (grad[0] - expected).abs() < 1e-5,
            "{backend}: {grad:?} vs {expected}"
        );

        let grads = GradientsParams::from_grads(grads, &layer);
        let stepped = SgdConfig::new().init().step(LR, layer, grads);
        let after = learned(&stepped);
        let want = 0.25 - LR * expected;
        assert!(
            (after[0] - want).abs() < 1e-5,
            "{backend}: {after:?} vs {want}"
        );
    }
}

#[test]
fn per_unit_prelu_slopes_each_get_their_own_input() {
    for (backend, device) in backends() {
        let device = device.autodiff();
        let config = ActivationConfig::Prelu {
            slope: 0.25,
            per_unit: true,
        };
        let layer = config.init(XS.len(), &device).unwrap();
        assert_eq!(layer.num_params(), XS.len());
        // Two rows: gradient for unit k is Σ over rows of x[row, k] where negative.
        let rows: Vec<f64> = XS
            .iter()
            .chain(XS.iter().map(|x| x * 2.0).collect::<Vec<_>>().iter())
            .copied()
            .collect();
        let x = tensor(&rows, &device).reshape([2, XS.len()]);
        let grads = layer.forward(x).sum().backward();
        let Activation::Prelu(prelu) = &layer else {
            panic!("built a PReLU")
        };
        let grad = to_vec(prelu.alpha.grad(&grads).expect("alpha is learnable"));
        for (k, x) in XS.iter().enumerate() {
            let expected = if *x < 0.0 { 3.0 * x } else { 0.0 };
            assert!(
                (grad[k] - expected).abs() < 1e-5,
                "{backend} unit {k}: {} vs {expected}",
                grad[k]
            );
        }
    }
}

#[test]
fn learnable_swish_beta_gradient_is_x2_sigma_one_minus_sigma() {
    for (backend, device) in backends() {
        let device = device.autodiff();
        let beta = 0.8;
        let layer = ActivationConfig::Swish {
            beta,
            trainable: true,
        }
        .init(XS.len(), &device)
        .unwrap();
        assert_eq!(layer.num_params(), 1);
        let x = tensor(&XS, &device).reshape([1, XS.len()]);
        let grads = layer.forward(x).sum().backward();
        let Activation::Swish(swish) = &layer else {
            panic!("built a Swish")
        };
        let param = swish.beta.as_ref().expect("trainable β is a parameter");
        let grad = to_vec(param.grad(&grads).expect("β is learnable"));
        // d/dβ x·σ(βx) = x²·σ(βx)(1−σ(βx))
        let expected: f64 = XS
            .iter()
            .map(|x| x * x * sigmoid(beta * x) * sigmoid(-beta * x))
            .sum();
        assert!(
            (grad[0] - expected).abs() < 1e-5,
            "{backend}: {grad:?} vs {expected}"
        );

        let grads = GradientsParams::from_grads(grads, &layer);
        let stepped = SgdConfig::new().init().step(LR, layer, grads);
        let after = learned(&stepped);
        let want = beta - LR * expected;
        assert!(
            (after[0] - want).abs() < 1e-5,
            "{backend}: {after:?} vs {want}"
        );
        assert!((after[0] - beta).abs() > 1e-3, "β moved");
    }
}

#[test]
fn fixed_activations_have_nothing_to_learn() {
    let device = burn::tensor::Device::flex();
    for config in [
        ActivationConfig::swish(1.0),
        ActivationConfig::leaky_relu(),
        ActivationConfig::Relu,
    ] {
        let layer = config.init(4, &device).unwrap();
        assert_eq!(layer.num_params(), 0, "{}", config.label());
        assert!(layer.learned_values().unwrap().is_empty());
    }
}
