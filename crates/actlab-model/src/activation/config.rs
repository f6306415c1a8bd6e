//! Building the Burn module an [`ActivationConfig`] describes (the config itself, with its TOML
//! forms and validation, is `actlab_format::activation`).

use burn::nn::activation::{Mish, SiLU};
use burn::nn::{Identity, LeakyReluConfig, PReluConfig, Relu, Sigmoid, SoftplusConfig, Tanh};
use burn::tensor::Device;

use super::Activation;
use super::elu::{EluConfig, Selu};
use super::expr::ExprActivation;
use super::gelu::GeluConfig;
use super::rational::RationalActivation;
use super::softmax::SoftmaxConfig;
use super::swish::SwishConfig;
use actlab_format::activation::ActivationConfig;
use actlab_format::error::ModelError;

/// Building an [`Activation`] from its config.
pub trait ActivationInit {
    /// Builds the module. `units` is the width of the layer it follows: a per-unit PReLU gets
    /// that many slopes. Fails only for a formula or a rational that does not pass its
    /// checks.
    fn init(&self, units: usize, device: &Device) -> Result<Activation, ModelError>;
}

impl ActivationInit for ActivationConfig {
    fn init(&self, units: usize, device: &Device) -> Result<Activation, ModelError> {
        Ok(match *self {
            Self::Identity => Activation::Identity(Identity::new()),
            Self::Sigmoid => Activation::Sigmoid(Sigmoid::new()),
            Self::Tanh => Activation::Tanh(Tanh::new()),
            Self::Relu => Activation::Relu(Relu::new()),
            Self::LeakyRelu { slope } => {
                Activation::LeakyRelu(LeakyReluConfig::new().with_negative_slope(slope).init())
            }
            Self::Prelu { slope, per_unit } => Activation::Prelu(
                PReluConfig::new()
                    .with_num_parameters(if per_unit { units } else { 1 })
                    .with_alpha(slope)
                    .init(device),
            ),
            Self::Swish { beta, trainable } => Activation::Swish(
                SwishConfig::new()
                    .with_beta(beta)
                    .with_trainable(trainable)
                    .init(device),
            ),
            Self::Silu => Activation::Silu(SiLU::new()),
            Self::Gelu { approximate } => {
                Activation::Gelu(GeluConfig::new().with_approximate(approximate).init())
            }
            Self::Elu { alpha } => Activation::Elu(EluConfig::new().with_alpha(alpha).init()),
            Self::Selu => Activation::Selu(Selu::new()),
            Self::Softplus { beta } => {
                Activation::Softplus(SoftplusConfig::new().with_beta(beta).init())
            }
            Self::Mish => Activation::Mish(Mish::new()),
            Self::Softmax { dim } => Activation::Softmax(SoftmaxConfig::new().with_dim(dim).init()),
            Self::Expr { per_unit, .. } => Activation::Expr(ExprActivation::new(
                self.formula("activation")?,
                per_unit,
                units,
                device,
            )),
            Self::Rational { per_unit, .. } => Activation::Rational(RationalActivation::new(
                self.rational_fit("activation")?,
                per_unit,
                units,
                device,
            )),
        })
    }
}
