//! The model vocabulary: initialisations and the fully specified [`MlpConfig`]. The `[model]`
//! section that describes one is `crate::config::model`; building it is `actlab-model`'s job.

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::cnn::CnnConfig;
use crate::error::ModelError;

pub(crate) fn default_input_size() -> usize {
    784
}
pub(crate) fn default_output_size() -> usize {
    10
}

/// The largest model `validate` accepts: training keeps weights, gradients and two Adam moments
/// (16 bytes a parameter), so 10⁸ parameters need about 1.6 GB — a typo such as
/// `hidden = [1000000]` (7.9·10⁸) is an error, not an allocation that aborts the process.
pub const MAX_PARAMS: usize = 100_000_000;

/// The deepest model `validate` accepts (a hundred hidden layers is already far past what an
/// MLP on 28×28 images uses; a typo of 100,000 layers would train for days).
pub const MAX_HIDDEN_LAYERS: usize = 100;

/// How the linear layers' weights and biases are initialised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// PyTorch's `nn.Linear` default (Burn's default too): weights and biases
    /// `U(-1/√fan_in, 1/√fan_in)`.
    #[default]
    #[serde(alias = "torch")]
    Pytorch,
    /// Glorot/Xavier uniform weights `U(-√(6/(fan_in+fan_out)), +…)`, zero biases: Keras' default.
    #[serde(alias = "xavier")]
    Glorot,
    /// He/Kaiming normal weights `N(0, 2/fan_in)`, zero biases: made for ReLU-like units.
    #[serde(alias = "kaiming")]
    He,
}

impl Init {
    /// The config name (`pytorch`, `glorot`, `he`).
    pub fn name(self) -> &'static str {
        match self {
            Init::Pytorch => "pytorch",
            Init::Glorot => "glorot",
            Init::He => "he",
        }
    }
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A fully specified MLP (built by `actlab-model`): `input → [Linear → activation] × hidden.len() → Linear → (softmax)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    /// Input features [784 = 28×28].
    #[serde(default = "default_input_size")]
    pub input_size: usize,
    /// Widths of the hidden layers, any depth (empty: a linear classifier).
    pub hidden: Vec<usize>,
    /// The activation after every hidden layer; each layer gets its own instance (and its own
    /// learnable parameters, if any).
    pub activation: ActivationConfig,
    /// Output classes [10].
    #[serde(default = "default_output_size")]
    pub output_size: usize,
    /// Applied by `Mlp::probabilities` and listed in the summary; only softmax over the class
    /// dimension is allowed. `Mlp::forward` always returns logits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_activation: Option<ActivationConfig>,
    /// Weight initialisation [pytorch].
    #[serde(default)]
    pub init: Init,
}

impl MlpConfig {
    /// Checks sizes and activation parameters; errors name the `model.…` field.
    pub fn validate(&self) -> Result<(), ModelError> {
        let positive = |field: String, value: usize| {
            if value == 0 {
                Err(ModelError::InvalidParameter {
                    field,
                    value: "0".into(),
                    expected: "a size ≥ 1".into(),
                })
            } else {
                Ok(())
            }
        };
        positive("model.input_size".into(), self.input_size)?;
        positive("model.output_size".into(), self.output_size)?;
        for (i, width) in self.hidden.iter().enumerate() {
            positive(format!("model.hidden[{i}]"), *width)?;
        }
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(ModelError::InvalidParameter {
                field: "model.hidden".into(),
                value: format!("{} layers", self.hidden.len()),
                expected: format!("at most {MAX_HIDDEN_LAYERS} hidden layers"),
            });
        }
        let params = self.parameter_estimate();
        if params.is_none_or(|n| n > MAX_PARAMS) {
            return Err(ModelError::InvalidParameter {
                field: "model.hidden".into(),
                value: format!("{:?}", self.hidden),
                expected: format!(
                    "layer sizes giving at most {MAX_PARAMS} weights (this MLP would need {})",
                    params.map_or("more than usize can count".to_string(), |n| n.to_string())
                ),
            });
        }
        check_activations(&self.activation, self.output_activation.as_ref())
    }

    /// The widths from input to output: `[input_size, hidden…, output_size]`.
    pub fn layer_sizes(&self) -> Vec<usize> {
        std::iter::once(self.input_size)
            .chain(self.hidden.iter().copied())
            .chain([self.output_size])
            .collect()
    }

    /// Weights and biases of the linear layers (activation parameters not included), or `None`
    /// on overflow.
    pub fn parameter_estimate(&self) -> Option<usize> {
        self.layer_sizes()
            .windows(2)
            .try_fold(0usize, |total, pair| {
                pair[0]
                    .checked_mul(pair[1])?
                    .checked_add(pair[1])?
                    .checked_add(total)
            })
    }
}

/// The hidden activation (element-wise, valid) and the output activation (softmax over the
/// classes, or none) of any model; errors name the `model.…` field.
pub(crate) fn check_activations(
    activation: &ActivationConfig,
    output_activation: Option<&ActivationConfig>,
) -> Result<(), ModelError> {
    activation.validate("model.activation")?;
    if let ActivationConfig::Softmax { .. } = activation {
        return Err(ModelError::InvalidParameter {
            field: "model.activation".into(),
            value: "\"softmax\"".into(),
            expected: "an element-wise activation (softmax belongs in model.output_activation)"
                .into(),
        });
    }
    match output_activation {
        None | Some(ActivationConfig::Softmax { dim: -1 | 1 }) => Ok(()),
        Some(ActivationConfig::Softmax { dim }) => Err(ModelError::InvalidParameter {
            field: "model.output_activation.dim".into(),
            value: dim.to_string(),
            expected: "1 or -1 (the class dimension of [batch, classes])".into(),
        }),
        Some(other) => Err(ModelError::InvalidParameter {
            field: "model.output_activation".into(),
            value: format!("\"{}\"", other.kind()),
            expected: "\"softmax\" (or leave it out)".into(),
        }),
    }
}

/// Which kind of network a `[model]` section describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Fully connected layers ([`MlpConfig`]).
    #[default]
    Mlp,
    /// Convolutional blocks, then fully connected layers ([`CnnConfig`]).
    Cnn,
}

impl ModelKind {
    /// The config name (`mlp`, `cnn`).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
        }
    }
}

/// A fully specified network of either kind: what the trainer, evaluation, diagnostics and the
/// summary build (`actlab-model`'s `Network`).
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkConfig {
    /// A multi-layer perceptron.
    Mlp(MlpConfig),
    /// A convolutional network.
    Cnn(CnnConfig),
}

impl From<MlpConfig> for NetworkConfig {
    fn from(config: MlpConfig) -> Self {
        NetworkConfig::Mlp(config)
    }
}

impl From<CnnConfig> for NetworkConfig {
    fn from(config: CnnConfig) -> Self {
        NetworkConfig::Cnn(config)
    }
}

impl NetworkConfig {
    /// The kind.
    pub fn kind(&self) -> ModelKind {
        match self {
            NetworkConfig::Mlp(_) => ModelKind::Mlp,
            NetworkConfig::Cnn(_) => ModelKind::Cnn,
        }
    }

    /// The MLP, if this is one (packs train only MLPs).
    pub fn mlp(&self) -> Option<&MlpConfig> {
        match self {
            NetworkConfig::Mlp(m) => Some(m),
            NetworkConfig::Cnn(_) => None,
        }
    }

    /// The CNN, if this is one.
    pub fn cnn(&self) -> Option<&CnnConfig> {
        match self {
            NetworkConfig::Cnn(c) => Some(c),
            NetworkConfig::Mlp(_) => None,
        }
    }

    /// The activation of every hidden layer.
    pub fn activation(&self) -> &ActivationConfig {
        match self {
            NetworkConfig::Mlp(m) => &m.activation,
            NetworkConfig::Cnn(c) => &c.activation,
        }
    }

    /// The activation of every hidden layer, to change.
    pub fn activation_mut(&mut self) -> &mut ActivationConfig {
        match self {
            NetworkConfig::Mlp(m) => &mut m.activation,
            NetworkConfig::Cnn(c) => &mut c.activation,
        }
    }

    /// The output activation, if any.
    pub fn output_activation(&self) -> Option<&ActivationConfig> {
        match self {
            NetworkConfig::Mlp(m) => m.output_activation.as_ref(),
            NetworkConfig::Cnn(c) => c.output_activation.as_ref(),
        }
    }

    /// The weight initialisation.
    pub fn weight_init(&self) -> Init {
        match self {
            NetworkConfig::Mlp(m) => m.init,
            NetworkConfig::Cnn(c) => c.init,
        }
    }

    /// Features of one input example.
    pub fn input_features(&self) -> usize {
        match self {
            NetworkConfig::Mlp(m) => m.input_size,
            NetworkConfig::Cnn(c) => c.input_features(),
        }
    }

    /// Output classes.
    pub fn output_size(&self) -> usize {
        match self {
            NetworkConfig::Mlp(m) => m.output_size,
            NetworkConfig::Cnn(c) => c.output_size,
        }
    }

    /// The units each hidden activation covers, in order (an MLP's widths; a CNN's block
    /// channels, two per residual block, then its dense widths).
    pub fn activation_units(&self) -> Vec<usize> {
        match self {
            NetworkConfig::Mlp(m) => m.hidden.clone(),
            NetworkConfig::Cnn(c) => c.activation_units(),
        }
    }

    /// The widths from input to output: `[input features, activation_units…, classes]` (an
    /// MLP's [`MlpConfig::layer_sizes`]).
    pub fn layer_sizes(&self) -> Vec<usize> {
        std::iter::once(self.input_features())
            .chain(self.activation_units())
            .chain([self.output_size()])
            .collect()
    }

    /// Trainable parameters without the activations', or `None` on overflow.
    pub fn parameter_estimate(&self) -> Option<usize> {
        match self {
            NetworkConfig::Mlp(m) => m.parameter_estimate(),
            NetworkConfig::Cnn(c) => c.parameter_estimate(),
        }
    }

    /// Multiply-accumulates of one example's forward pass through the weight layers (an MLP's
    /// are its weights; see [`CnnConfig::forward_macs`]), or `None` on overflow.
    pub fn forward_macs(&self) -> Option<usize> {
        match self {
            NetworkConfig::Mlp(m) => m.layer_sizes().windows(2).try_fold(0usize, |total, pair| {
                total.checked_add(pair[0].checked_mul(pair[1])?)
            }),
            NetworkConfig::Cnn(c) => c.forward_macs(),
        }
    }

    /// Checks the whole description; errors name the `model.…` field.
    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            NetworkConfig::Mlp(m) => m.validate(),
            NetworkConfig::Cnn(c) => c.validate(),
        }
    }
}
