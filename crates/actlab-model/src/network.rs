//! [`Network`]: the one model type the trainer, checkpoints, evaluation, prediction,
//! diagnostics and the summary take — an MLP or a CNN, built from a [`NetworkConfig`]. The
//! kinds differ only here (the builder), in the summary and in the traced forward pass that
//! diagnostics read.
//!
//! Records: [`Network::into_record`] and [`Network::try_load_record`] (inherent, so they take
//! precedence over `Module`'s) record the inner model's tensors under the inner model's names —
//! an MLP's `model.bpk` is the same file it was before CNNs existed, and old run directories
//! load unchanged.

use burn::module::Param;
use burn::module::{Module, ParamGroup};
use burn::store::{ModuleRecord, RecordError};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Gradients, Tensor};

use actlab_format::error::ModelError;
use actlab_format::model::NetworkConfig;

use crate::activation::Activation;
use crate::cnn::{Cnn, CnnInit, ConvNorm};
use crate::mlp::{Mlp, MlpInit};

/// An MLP or a CNN.
#[derive(Module, Debug)]
pub enum Network {
    /// A multi-layer perceptron.
    Mlp(Mlp),
    /// A convolutional network.
    Cnn(Cnn),
}

/// Building a [`Network`] from its [`NetworkConfig`].
pub trait NetworkInit {
    /// Validates, then builds the model on `device`.
    fn init(&self, device: &Device) -> Result<Network, ModelError>;
    /// Validates, then builds the model with its initial weights drawn on the host from `seed`
    /// (the same numbers on every backend).
    fn init_seeded(&self, device: &Device, seed: u64) -> Result<Network, ModelError>;
}

impl NetworkInit for NetworkConfig {
    fn init(&self, device: &Device) -> Result<Network, ModelError> {
        Ok(match self {
            NetworkConfig::Mlp(m) => Network::Mlp(m.init(device)?),
            NetworkConfig::Cnn(c) => Network::Cnn(c.init(device)?),
        })
    }

    fn init_seeded(&self, device: &Device, seed: u64) -> Result<Network, ModelError> {
        Ok(match self {
            NetworkConfig::Mlp(m) => Network::Mlp(m.init_seeded(device, seed)?),
            NetworkConfig::Cnn(c) => Network::Cnn(c.init_seeded(device, seed)?),
        })
    }
}

impl From<Mlp> for Network {
    fn from(mlp: Mlp) -> Self {
        Network::Mlp(mlp)
    }
}

impl Network {
    /// The logits.
    ///
    /// # Shapes
    /// - input: `[batch, features]` (images flattened)
    /// - output: `[batch, classes]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        match self {
            Network::Mlp(m) => m.forward(input),
            Network::Cnn(c) => c.forward(input),
        }
    }

    /// Class probabilities: the configured output softmax of the logits (softmax over the
    /// classes when none is configured).
    pub fn probabilities(&self, input: Tensor<2>) -> Tensor<2> {
        let (logits, output) = match self {
            Network::Mlp(m) => (m.forward(input), &m.output_activation),
            Network::Cnn(c) => (c.forward(input), &c.output_activation),
        };
        match output {
            Some(activation) => activation.forward(logits),
            None => softmax(logits, 1),
        }
    }

    /// Trainable parameters: what `actlab summary` counts. (Burn's `num_params` also counts
    /// BatchNorm's running statistics, which are state, not parameters.)
    pub fn parameter_count(&self) -> usize {
        match self {
            Network::Mlp(m) => m.num_params(),
            Network::Cnn(c) => c.summary().params,
        }
    }

    /// The MLP, if this is one (packs).
    pub fn mlp(&self) -> Option<&Mlp> {
        match self {
            Network::Mlp(m) => Some(m),
            Network::Cnn(_) => None,
        }
    }

    /// The MLP, if this is one.
    pub fn into_mlp(self) -> Option<Mlp> {
        match self {
            Network::Mlp(m) => Some(m),
            Network::Cnn(_) => None,
        }
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        match self {
            Network::Mlp(m) => m.output.weight.device(),
            Network::Cnn(c) => c.output.weight.device(),
        }
    }

    /// Every hidden activation, in forward order (not the output softmax).
    pub fn activations(&self) -> Vec<&Activation> {
        match self {
            Network::Mlp(m) => m.activations.iter().collect(),
            Network::Cnn(c) => c.activations(),
        }
    }

    /// The ids of the hidden activations' parameters (the optimizer keeps weight decay off
    /// them).
    pub fn activation_group(&self) -> ParamGroup {
        match self {
            Network::Mlp(m) => ParamGroup::ids_from_module(m.activations.clone()),
            Network::Cnn(c) => {
                let owned: Vec<Activation> = c.activations().into_iter().cloned().collect();
                ParamGroup::ids_from_module(owned)
            }
        }
    }

    /// Learned activation parameters per hidden activation (PReLU slopes, Swish β, …); empty
    /// inner vectors for activations without any.
    pub fn learned_activation_values(&self) -> Result<Vec<Vec<f32>>, ModelError> {
        self.activations()
            .into_iter()
            .map(Activation::learned_values)
            .collect()
    }

    /// The inner model's tensors under the inner model's names (see the module docs).
    pub fn into_record(self) -> ModuleRecord {
        match self {
            Network::Mlp(m) => m.into_record(),
            Network::Cnn(c) => c.into_record(),
        }
    }

    /// Applies a record written by [`Network::into_record`].
    pub fn try_load_record(self, record: ModuleRecord) -> Result<Self, RecordError> {
        Ok(match self {
            Network::Mlp(m) => Network::Mlp(m.try_load_record(record)?),
            Network::Cnn(c) => Network::Cnn(c.try_load_record(record)?),
        })
    }

    /// [`Network::forward`], showing `seen` the input of every hidden activation (as `[batch,
    /// units, positions]`: an MLP layer's `[batch, width, 1]`, a convolution's `[batch,
    /// channels, h·w]`) and the activation, in forward order.
    pub fn forward_traced(
        &self,
        input: Tensor<2>,
        seen: &mut dyn FnMut(Tensor<3>, &Activation),
    ) -> Tensor<2> {
        match self {
            Network::Mlp(m) => {
                let hidden =
                    m.hidden
                        .iter()
                        .zip(&m.activations)
                        .fold(input, |x, (linear, activation)| {
                            let z = linear.forward(x);
                            let [batch, width] = z.dims();
                            seen(z.clone().reshape([batch, width, 1]), activation);
                            activation.forward(z)
                        });
                m.output.forward(hidden)
            }
            Network::Cnn(c) => c.forward_traced(input, seen),
        }
    }

    /// Per diagnostics row — the layer feeding each hidden activation, then the output layer —
    /// the sum of squares of its weights' gradient in `grads` (a residual block's second row
    /// adds its projection's), `None` where there is none.
    pub fn weight_gradient_squares(&self, grads: &Gradients) -> Vec<Option<Tensor<1>>> {
        fn squares<const D: usize>(
            weight: &Param<Tensor<D>>,
            grads: &Gradients,
        ) -> Option<Tensor<1>> {
            weight.val().grad(grads).map(|g| g.powi_scalar(2).sum())
        }
        let conv = |c: &ConvNorm| squares(&c.conv.weight, grads);
        match self {
            Network::Mlp(m) => m
                .hidden
                .iter()
                .chain(std::iter::once(&m.output))
                .map(|l| squares(&l.weight, grads))
                .collect(),
            Network::Cnn(c) => {
                let mut out = Vec::new();
                for block in &c.blocks {
                    out.push(conv(&block.first));
                    if let Some(second) = &block.second {
                        let main = conv(second);
                        out.push(match (main, block.projection.as_ref().and_then(conv)) {
                            (Some(a), Some(b)) => Some(a + b),
                            (a, b) => a.or(b),
                        });
                    }
                }
                out.extend(
                    c.dense
                        .iter()
                        .chain(std::iter::once(&c.output))
                        .map(|l| squares(&l.weight, grads)),
                );
                out
            }
        }
    }
}
