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

mod elu;
mod gelu;
mod softmax;
mod swish;

pub use elu::{Elu, EluConfig, SELU_ALPHA, SELU_LAMBDA, Selu};
pub use gelu::{Gelu, GeluConfig};
pub use softmax::{Softmax, SoftmaxConfig};
pub use swish::{Swish, SwishConfig};

use burn::module::Module;
use burn::nn::activation::{Mish, SiLU};
use burn::nn::{
    Identity, LeakyRelu, LeakyReluConfig, PRelu, PReluConfig, Relu, Sigmoid, Softplus,
    SoftplusConfig, Tanh,
};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ModelError;

/// Every activation kind, as written in configs (`kind = "…"` or the bare name).
pub const ACTIVATION_KINDS: &[&str] = &[
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "swish",
    "silu",
    "gelu",
    "elu",
    "selu",
    "softplus",
    "mish",
    "softmax",
];

fn default_leaky_slope() -> f64 {
    0.01
}
fn default_prelu_slope() -> f64 {
    0.25
}
fn one() -> f64 {
    1.0
}
fn last_dim() -> isize {
    -1
}

/// Which activation to build, with its parameters (documented defaults in brackets).
///
/// Serialises to a bare name when every parameter is at its default and the kind has none, and
/// to a `{ kind = "…", … }` table otherwise; both forms deserialise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    remote = "Self",
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum ActivationConfig {
    /// `f(x) = x`.
    Identity,
    /// `σ(x) = 1 / (1 + e^{-x})`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `max(0, x)`.
    Relu,
    /// `x` for `x ≥ 0`, `slope·x` otherwise.
    LeakyRelu {
        /// Fixed negative slope [0.01].
        #[serde(default = "default_leaky_slope")]
        slope: f64,
    },
    /// Parametric ReLU: like Leaky ReLU, but the slope is learned.
    Prelu {
        /// Initial slope [0.25, as in He et al. and PyTorch].
        #[serde(default = "default_prelu_slope")]
        slope: f64,
        /// One slope per unit instead of one shared slope [false].
        #[serde(default)]
        per_unit: bool,
    },
    /// `x·σ(βx)`.
    Swish {
        /// β [1.0]; with β = 1 Swish equals SiLU.
        #[serde(default = "one")]
        beta: f64,
        /// Learn β during training [false].
        #[serde(default)]
        trainable: bool,
    },
    /// `x·σ(x)` (Burn's `SiLU`).
    Silu,
    /// `x·Φ(x)`, or its tanh approximation.
    Gelu {
        /// Use `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))` [false: the exact erf form].
        #[serde(default)]
        approximate: bool,
    },
    /// `x` for `x > 0`, `α(e^x − 1)` otherwise.
    Elu {
        /// α [1.0].
        #[serde(default = "one")]
        alpha: f64,
    },
    /// `λ·elu_α(x)` with the self-normalising constants λ ≈ 1.0507, α ≈ 1.6733.
    Selu,
    /// `ln(1 + e^{βx}) / β` (linear above βx > 20, as in PyTorch).
    Softplus {
        /// β [1.0].
        #[serde(default = "one")]
        beta: f64,
    },
    /// `x·tanh(softplus(x))`.
    Mish,
    /// `e^{x_i} / Σ_j e^{x_j}` along `dim`; for outputs only.
    Softmax {
        /// The dimension to normalise; negative counts from the end [-1].
        #[serde(default = "last_dim")]
        dim: isize,
    },
}

impl<'de> Deserialize<'de> for ActivationConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ActivationConfig;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(
                    f,
                    "an activation name such as \"relu\" or a table such as \
                     {{ kind = \"leaky_relu\", slope = 0.01 }}"
                )
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
                let mut table = serde_json::Map::new();
                table.insert("kind".into(), serde_json::Value::String(name.into()));
                from_table(table)
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut table = serde_json::Map::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    table.insert(key, value);
                }
                from_table(table)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Builds the config from a `{ kind = …, … }` table. Goes through a JSON value so that a kind
/// without parameters rejects stray fields too (serde's internally tagged unit variants ignore
/// them).
fn from_table<E: serde::de::Error>(
    table: serde_json::Map<String, serde_json::Value>,
) -> Result<ActivationConfig, E> {
    let kind = table.get("kind").and_then(serde_json::Value::as_str);
    if let Some(kind) = kind
        && PARAMETERLESS.contains(&kind)
        && let Some(extra) = table.keys().find(|k| *k != "kind")
    {
        return Err(E::custom(format!(
            "unknown field `{extra}`: `{kind}` takes no parameters"
        )));
    }
    ActivationConfig::deserialize(serde_json::Value::Object(table)).map_err(E::custom)
}

/// Kinds without parameters (serialised as a bare name).
const PARAMETERLESS: &[&str] = &[
    "identity", "sigmoid", "tanh", "relu", "silu", "selu", "mish",
];

impl Serialize for ActivationConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if PARAMETERLESS.contains(&self.kind()) {
            serializer.serialize_str(self.kind())
        } else {
            ActivationConfig::serialize(self, serializer)
        }
    }
}

impl ActivationConfig {
    /// Leaky ReLU with its default slope (0.01).
    pub fn leaky_relu() -> Self {
        Self::LeakyRelu {
            slope: default_leaky_slope(),
        }
    }

    /// PReLU with one shared slope starting at 0.25.
    pub fn prelu() -> Self {
        Self::Prelu {
            slope: default_prelu_slope(),
            per_unit: false,
        }
    }

    /// Swish with a fixed β.
    pub fn swish(beta: f64) -> Self {
        Self::Swish {
            beta,
            trainable: false,
        }
    }

    /// Softmax over the last dimension.
    pub fn softmax() -> Self {
        Self::Softmax { dim: last_dim() }
    }

    /// The config name of this kind (`"leaky_relu"`, …), one of [`ACTIVATION_KINDS`].
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Relu => "relu",
            Self::LeakyRelu { .. } => "leaky_relu",
            Self::Prelu { .. } => "prelu",
            Self::Swish { .. } => "swish",
            Self::Silu => "silu",
            Self::Gelu { .. } => "gelu",
            Self::Elu { .. } => "elu",
            Self::Selu => "selu",
            Self::Softplus { .. } => "softplus",
            Self::Mish => "mish",
            Self::Softmax { .. } => "softmax",
        }
    }

    /// A short human label with the parameters, e.g. `leaky_relu(slope=0.01)`.
    pub fn label(&self) -> String {
        match self {
            Self::LeakyRelu { slope } => format!("leaky_relu(slope={slope})"),
            Self::Prelu { slope, per_unit } => {
                let which = if *per_unit { "per unit" } else { "shared" };
                format!("prelu(init={slope}, {which})")
            }
            Self::Swish { beta, trainable } => {
                let how = if *trainable { "learnable" } else { "fixed" };
                format!("swish(beta={beta}, {how})")
            }
            Self::Gelu { approximate: true } => "gelu(tanh approx.)".to_string(),
            Self::Elu { alpha } => format!("elu(alpha={alpha})"),
            Self::Softplus { beta } => format!("softplus(beta={beta})"),
            Self::Softmax { dim } => format!("softmax(dim={dim})"),
            other => other.kind().to_string(),
        }
    }

    /// Checks the parameters; `field` names where the config came from (e.g.
    /// `model.activation`) so the error can say so.
    pub fn validate(&self, field: &str) -> Result<(), ModelError> {
        let bad = |param: &str, value: f64, expected: &str| ModelError::InvalidParameter {
            field: format!("{field}.{param}"),
            value: value.to_string(),
            expected: expected.to_string(),
        };
        match *self {
            Self::LeakyRelu { slope } | Self::Prelu { slope, .. } if !slope.is_finite() => {
                Err(bad("slope", slope, "a finite number"))
            }
            Self::Swish { beta, .. } if !beta.is_finite() => {
                Err(bad("beta", beta, "a finite number"))
            }
            Self::Elu { alpha } if !(alpha.is_finite() && alpha > 0.0) => {
                Err(bad("alpha", alpha, "a finite number > 0"))
            }
            Self::Softplus { beta } if !(beta.is_finite() && beta > 0.0) => {
                Err(bad("beta", beta, "a finite number > 0"))
            }
            _ => Ok(()),
        }
    }

    /// Builds the module. `units` is the width of the layer it follows: a per-unit PReLU gets
    /// that many slopes.
    pub fn init(&self, units: usize, device: &Device) -> Activation {
        match *self {
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
        }
    }
}

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
        }
    }

    /// Learned scalars worth reporting: the PReLU slopes or a learnable Swish β (empty for
    /// activations without learnable parameters).
    pub fn learned_values(&self) -> Vec<f32> {
        let tensor = match self {
            Self::Prelu(m) => m.alpha.val(),
            Self::Swish(m) => match &m.beta {
                Some(beta) => beta.val(),
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        tensor.into_data().try_to_vec::<f32>().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Holder {
        activation: ActivationConfig,
    }

    fn parse(toml_text: &str) -> Result<ActivationConfig, toml::de::Error> {
        toml::from_str::<Holder>(toml_text).map(|h| h.activation)
    }

    #[test]
    fn bare_names_and_tables_parse_with_defaults() {
        assert_eq!(
            parse(r#"activation = "relu""#).ok(),
            Some(ActivationConfig::Relu)
        );
        assert_eq!(
            parse(r#"activation = "leaky_relu""#).ok(),
            Some(ActivationConfig::LeakyRelu { slope: 0.01 })
        );
        assert_eq!(
            parse(r#"activation = { kind = "leaky_relu", slope = 0.2 }"#).ok(),
            Some(ActivationConfig::LeakyRelu { slope: 0.2 })
        );
        assert_eq!(
            parse(r#"activation = { kind = "swish", trainable = true }"#).ok(),
            Some(ActivationConfig::Swish {
                beta: 1.0,
                trainable: true
            })
        );
        assert_eq!(
            parse(r#"activation = "prelu""#).ok(),
            Some(ActivationConfig::Prelu {
                slope: 0.25,
                per_unit: false
            })
        );
    }

    #[test]
    fn every_kind_parses_by_name_and_round_trips() {
        for kind in ACTIVATION_KINDS {
            let config = parse(&format!("activation = \"{kind}\""))
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(config.kind(), *kind);
            let text = toml::to_string(&Holder {
                activation: config.clone(),
            })
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(parse(&text).ok(), Some(config), "{text}");
        }
    }

    #[test]
    fn unknown_kind_and_field_are_errors_that_name_them() {
        let err = parse(r#"activation = "rellu""#)
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("rellu") && err.contains("leaky_relu"), "{err}");

        let err = parse(r#"activation = { kind = "leaky_relu", slop = 0.1 }"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("slop") && err.contains("slope"), "{err}");

        let err = parse(r#"activation = { kind = "relu", slope = 0.1 }"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("slope"), "{err}");

        let err = parse(r#"activation = 3"#).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("activation name"));
    }

    #[test]
    fn validation_rejects_bad_parameters_by_field() {
        let err = ActivationConfig::Elu { alpha: -1.0 }
            .validate("model.activation")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("model.activation.alpha"), "{err}");
        assert!(
            ActivationConfig::Softplus { beta: 0.0 }
                .validate("x")
                .is_err()
        );
        assert!(ActivationConfig::swish(f64::NAN).validate("x").is_err());
        assert!(ActivationConfig::prelu().validate("x").is_ok());
    }
}
