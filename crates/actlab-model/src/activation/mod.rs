//! Activation functions as Burn modules, selected by one serialisable [`ActivationConfig`].
//!
//! Burn's own modules are reused where they exist (`PRelu`, `LeakyRelu`, `SiLU`, `Mish`,
//! `Softplus`, …); [`Swish`] (β fixed or learnable) and [`Softmax`] are ours, written the way
//! Burn writes `PRelu`, and so are [`Gelu`], [`Elu`] and [`Selu`]: Burn 0.22's versions have
//! wrong gradients (exact GELU differentiated as the tanh approximation on ndarray and the GPU
//! backends; NaN gradients for ELU/SELU above x ≈ 88). Each module's docs say what and why.
//!
//! In TOML an activation is either a bare name (`activation = "relu"`, every parameter at its
//! default) or a table (`activation = { kind = "leaky_relu", slope = 0.01 }`).

mod config;
mod elu;
mod expr;
mod gelu;
mod rational;
mod softmax;
mod swish;
#[cfg(test)]
mod tests;

pub use config::ActivationInit;
pub use elu::{Elu, EluConfig, SELU_ALPHA, SELU_LAMBDA, Selu};
pub use expr::{ExprActivation, derivative_mismatches};
pub use gelu::{Gelu, GeluConfig};
pub use rational::RationalActivation;
pub use softmax::{Softmax, SoftmaxConfig};
pub use swish::{Swish, SwishConfig};

use burn::module::Module;
use burn::nn::activation::{Mish, SiLU};
use burn::nn::{Identity, LeakyRelu, PRelu, Relu, Sigmoid, Softplus, Tanh};
use burn::tensor::Tensor;

use actlab_format::error::ModelError;

/// One activation layer of any supported kind.
#[derive(Module, Debug)]
pub enum Activation {
    /// See [`ActivationConfig::Identity`].
    Identity(Identity),
    /// See [`ActivationConfig::Sigmoid`].
    Sigmoid(Sigmoid),
    /// See [`ActivationConfig::Tanh`].
    Tanh(Tanh),
    /// See [`ActivationConfig::Relu`].
    Relu(Relu),
    /// See [`ActivationConfig::LeakyRelu`].
    LeakyRelu(LeakyRelu),
    /// See [`ActivationConfig::Prelu`].
    Prelu(PRelu),
    /// See [`ActivationConfig::Swish`].
    Swish(Swish),
    /// See [`ActivationConfig::Silu`].
    Silu(SiLU),
    /// See [`ActivationConfig::Gelu`].
    Gelu(Gelu),
    /// See [`ActivationConfig::Elu`].
    Elu(Elu),
    /// See [`ActivationConfig::Selu`].
    Selu(Selu),
    /// See [`ActivationConfig::Softplus`].
    Softplus(Softplus),
    /// See [`ActivationConfig::Mish`].
    Mish(Mish),
    /// See [`ActivationConfig::Softmax`].
    Softmax(Softmax),
    /// See [`ActivationConfig::Expr`].
    Expr(ExprActivation),
    /// See [`ActivationConfig::Rational`].
    Rational(RationalActivation),
}

impl Activation {
    /// Applies the activation.
    ///
    /// # Shapes
    /// - input: `[..., units]` (a per-unit PReLU needs `units` at dimension 1)
    /// - output: same as input
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Identity(m) => m.forward(input),
            Self::Sigmoid(m) => m.forward(input),
            Self::Tanh(m) => m.forward(input),
            Self::Relu(m) => m.forward(input),
            Self::LeakyRelu(m) => m.forward(input),
            Self::Prelu(m) => m.forward(input),
            Self::Swish(m) => m.forward(input),
            Self::Silu(m) => m.forward(input),
            Self::Gelu(m) => m.forward(input),
            Self::Elu(m) => m.forward(input),
            Self::Selu(m) => m.forward(input),
            Self::Softplus(m) => m.forward(input),
            Self::Mish(m) => m.forward(input),
            Self::Softmax(m) => m.forward(input),
            Self::Expr(m) => m.forward(input),
            Self::Rational(m) => m.forward(input),
        }
    }

    /// The layer type as a summary shows it (`PReLU`, `Swish`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Identity(_) => "Identity",
            Self::Sigmoid(_) => "Sigmoid",
            Self::Tanh(_) => "Tanh",
            Self::Relu(_) => "ReLU",
            Self::LeakyRelu(_) => "LeakyReLU",
            Self::Prelu(_) => "PReLU",
            Self::Swish(_) => "Swish",
            Self::Silu(_) => "SiLU",
            Self::Gelu(_) => "GELU",
            Self::Elu(_) => "ELU",
            Self::Selu(_) => "SELU",
            Self::Softplus(_) => "Softplus",
            Self::Mish(_) => "Mish",
            Self::Softmax(_) => "Softmax",
            Self::Expr(_) => "Formula",
            Self::Rational(_) => "Rational",
        }
    }

    /// Learned scalars worth reporting: the PReLU slopes, a learnable Swish β, a formula's
    /// learnable parameters or a rational's coefficients (empty for activations without
    /// learnable parameters). A failed read from the device is an error,
    /// never an empty list.
    pub fn learned_values(&self) -> Result<Vec<f32>, ModelError> {
        let (what, tensor) = match self {
            Self::Prelu(m) => ("PReLU slopes", m.alpha.val()),
            Self::Swish(m) => match &m.beta {
                Some(beta) => ("Swish β", beta.val()),
                None => return Ok(Vec::new()),
            },
            Self::Expr(m) => {
                return Ok(m
                    .learned_values()?
                    .into_iter()
                    .flat_map(|(_, values)| values)
                    .collect());
            }
            Self::Rational(m) => return m.learned_values(),
            _ => return Ok(Vec::new()),
        };
        read_values(tensor, what)
    }
}

/// A learned parameter's values on the host; a failed read names `what`.
fn read_values(tensor: Tensor<1>, what: &'static str) -> Result<Vec<f32>, ModelError> {
    let read = |message: String| ModelError::Read { what, message };
    tensor
        .try_into_data()
        .map_err(|e| read(e.to_string()))?
        .try_to_vec::<f32>()
        .map_err(|e| read(format!("{e:?}")))
}
