//! Shared test helpers: the backends every test runs on, tensors in and out, f64 references.
#![allow(dead_code)]

use actlab_format::activation::ActivationConfig;
use burn::tensor::{Device, Tensor, TensorData};

/// The CPU backends the model must agree on.
pub fn backends() -> Vec<(&'static str, Device)> {
    #[allow(deprecated)]
    let ndarray = Device::ndarray();
    vec![("ndarray", ndarray), ("flex", Device::flex())]
}

pub fn tensor(values: &[f64], device: &Device) -> Tensor<1> {
    let data: Vec<f32> = values.iter().map(|v| *v as f32).collect();
    Tensor::from_data(TensorData::new(data, [values.len()]), device)
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .try_to_vec::<f32>()
        .expect("test tensors are f32")
        .into_iter()
        .map(f64::from)
        .collect()
}

/// The grid of the issue plus points where functions bend.
pub const GRID: &[f64] = &[
    -1e4, -50.0, -20.0, -10.0, -5.0, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.0, 5.0, 10.0,
    20.0, 50.0, 1e4,
];

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^x) without overflow.
pub fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// erfc for the normal CDF, from the Numerical Recipes Chebyshev fit (relative error < 1.2e-7,
/// well inside the f32 tolerance used here).
pub fn erfc(x: f64) -> f64 {
    const C: [f64; 10] = [
        -1.26551223,
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277,
    ];
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = C.iter().rev().fold(0.0, |acc, c| acc * t + c);
    let r = t * (-z * z + poly).exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const GELU_K: f64 = 0.797_884_560_802_865_4; // √(2/π)

/// f(x) in f64 for every element-wise activation.
pub fn reference(config: &ActivationConfig, x: f64) -> f64 {
    match *config {
        ActivationConfig::Identity => x,
        ActivationConfig::Sigmoid => sigmoid(x),
        ActivationConfig::Tanh => x.tanh(),
        ActivationConfig::Relu => x.max(0.0),
        ActivationConfig::LeakyRelu { slope } | ActivationConfig::Prelu { slope, .. } => {
            if x >= 0.0 { x } else { slope * x }
        }
        ActivationConfig::Swish { beta, .. } => x * sigmoid(beta * x),
        ActivationConfig::Silu => x * sigmoid(x),
        ActivationConfig::Gelu { approximate: false } => x * normal_cdf(x),
        ActivationConfig::Gelu { approximate: true } => {
            0.5 * x * (1.0 + (GELU_K * (x + 0.044715 * x.powi(3))).tanh())
        }
        ActivationConfig::Elu { alpha } => {
            if x > 0.0 {
                x
            } else {
                alpha * x.exp_m1()
            }
        }
        ActivationConfig::Selu => SELU_LAMBDA * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() },
        ActivationConfig::Softplus { beta } => softplus(beta * x) / beta,
        ActivationConfig::Mish => x * softplus(x).tanh(),
        ActivationConfig::Softmax { .. } => unreachable!("softmax is not element-wise"),
        ActivationConfig::Expr { .. } => {
            let formula = config.formula("test").unwrap();
            formula.expr.eval(x, &formula.values)
        }
        ActivationConfig::Rational { .. } => config.rational_fit("test").unwrap().value(x),
    }
}

/// f'(x) in f64, analytically (for a formula or a rational: a central difference of its f64
/// evaluation, Richardson-extrapolated).
pub fn derivative(config: &ActivationConfig, x: f64) -> f64 {
    if let ActivationConfig::Expr { .. } | ActivationConfig::Rational { .. } = config {
        let f = |x: f64| reference(config, x);
        let d = |h: f64| (f(x + h) - f(x - h)) / (2.0 * h);
        let h = 1e-3 * x.abs().max(1.0);
        return (4.0 * d(h / 2.0) - d(h)) / 3.0;
    }
    match *config {
        ActivationConfig::Identity => 1.0,
        ActivationConfig::Sigmoid => sigmoid(x) * sigmoid(-x),
        ActivationConfig::Tanh => 1.0 - x.tanh().powi(2),
        ActivationConfig::Relu => {
            if x > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        ActivationConfig::LeakyRelu { slope } | ActivationConfig::Prelu { slope, .. } => {
            if x > 0.0 { 1.0 } else { slope }
        }
        ActivationConfig::Swish { beta, .. } => {
            let (s, sn) = (sigmoid(beta * x), sigmoid(-beta * x));
            s + beta * x * s * sn
        }
        ActivationConfig::Silu => sigmoid(x) + x * sigmoid(x) * sigmoid(-x),
        ActivationConfig::Gelu { approximate: false } => normal_cdf(x) + x * normal_pdf(x),
        ActivationConfig::Gelu { approximate: true } => {
            let u = GELU_K * (x + 0.044715 * x.powi(3));
            let t = u.tanh();
            0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_K * (1.0 + 3.0 * 0.044715 * x * x)
        }
        ActivationConfig::Elu { alpha } => {
            if x > 0.0 {
                1.0
            } else {
                alpha * x.exp()
            }
        }
        ActivationConfig::Selu => SELU_LAMBDA * if x > 0.0 { 1.0 } else { SELU_ALPHA * x.exp() },
        ActivationConfig::Softplus { beta } => sigmoid(beta * x),
        ActivationConfig::Mish => {
            let t = softplus(x).tanh();
            t + x * (1.0 - t * t) * sigmoid(x)
        }
        ActivationConfig::Softmax { .. } => unreachable!("softmax is not element-wise"),
        ActivationConfig::Expr { .. } | ActivationConfig::Rational { .. } => {
            unreachable!("handled above")
        }
    }
}

/// Every element-wise activation, several with non-default parameters.
pub fn elementwise() -> Vec<ActivationConfig> {
    use ActivationConfig as A;
    vec![
        A::Identity,
        A::Sigmoid,
        A::Tanh,
        A::Relu,
        A::leaky_relu(),
        A::LeakyRelu { slope: 0.2 },
        A::prelu(),
        A::Prelu {
            slope: 0.1,
            per_unit: true,
        },
        A::swish(1.0),
        A::swish(1.7),
        A::Swish {
            beta: 0.6,
            trainable: true,
        },
        A::Silu,
        A::Gelu { approximate: false },
        A::Gelu { approximate: true },
        A::Elu { alpha: 1.0 },
        A::Elu { alpha: 0.5 },
        A::Selu,
        A::Softplus { beta: 1.0 },
        A::Softplus { beta: 2.0 },
        A::Mish,
        A::Rational {
            degrees: [5, 4],
            init: Box::new(A::leaky_relu()),
            per_unit: false,
            name: None,
        },
        A::Rational {
            degrees: [3, 2],
            init: Box::new(A::Gelu { approximate: false }),
            per_unit: true,
            name: None,
        },
    ]
}
