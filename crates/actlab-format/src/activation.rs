//! [`ActivationConfig`]: which activation, with its parameters — a bare name or a
//! `{ kind = "…", … }` table in TOML. `actlab-model` builds the module it describes.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ModelError;

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
fn default_degrees() -> [usize; 2] {
    [5, 4]
}
fn default_rational_init() -> Box<ActivationConfig> {
    Box::new(ActivationConfig::leaky_relu())
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
    /// A formula in `x` (see [`crate::expr`]): `f = "x * sigmoid(beta * x)"`, with named
    /// parameters, any of them learnable.
    Expr {
        /// The formula.
        f: String,
        /// Its parameters and their (initial) values.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        params: BTreeMap<String, f64>,
        /// The parameters learned in training [none].
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        learnable: Vec<String>,
        /// One value of each learnable parameter per hidden unit [false: one per layer].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        per_unit: bool,
        /// The label in reports and run names [the formula].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A learnable safe rational function (a Padé Activation Unit, see [`crate::rational`]):
    /// `(a0 + a1 x + … + am x^m) / (1 + |b1 x + … + bn x^n|)`, its coefficients fitted to
    /// `init` on [−3, 3] when the model is built, then learned.
    Rational {
        /// `[m, n]`: the numerator's and the denominator's degree [[5, 4]].
        #[serde(default = "default_degrees")]
        degrees: [usize; 2],
        /// The activation the coefficients start as: a built-in or a formula [leaky_relu].
        #[serde(default = "default_rational_init")]
        init: Box<ActivationConfig>,
        /// One set of coefficients per hidden unit [false: one per layer].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        per_unit: bool,
        /// The label in reports and run names [`rational(m/n, init=…)`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
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
        && ActivationConfig::defaults()
            .iter()
            .any(|c| c.kind() == kind && !c.has_parameters())
        && let Some(extra) = table.keys().find(|k| *k != "kind")
    {
        return Err(E::custom(format!(
            "unknown field `{extra}`: `{kind}` takes no parameters"
        )));
    }
    ActivationConfig::deserialize(serde_json::Value::Object(table)).map_err(E::custom)
}

impl Serialize for ActivationConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.has_parameters() {
            ActivationConfig::serialize(self, serializer)
        } else {
            serializer.serialize_str(self.kind())
        }
    }
}

/// Every activation kind, as written in configs (`kind = "…"` or the bare name), in the order
/// of [`ActivationConfig::defaults`].
pub fn activation_kinds() -> Vec<&'static str> {
    ActivationConfig::defaults()
        .iter()
        .map(ActivationConfig::kind)
        .collect()
}

impl ActivationConfig {
    /// Every kind once, each parameter at its default: the one list of kinds that the names,
    /// the pictures and the default comparisons are derived from. A new kind goes here.
    pub fn defaults() -> Vec<ActivationConfig> {
        vec![
            Self::Identity,
            Self::Sigmoid,
            Self::Tanh,
            Self::Relu,
            Self::leaky_relu(),
            Self::prelu(),
            Self::swish(1.0),
            Self::Silu,
            Self::Gelu { approximate: false },
            Self::Elu { alpha: 1.0 },
            Self::Selu,
            Self::Softplus { beta: 1.0 },
            Self::Mish,
            Self::softmax(),
        ]
    }

    /// Whether this kind has parameters (written as a table) or none (a bare name), read off
    /// the enum's own definition: a kind without fields serialises to its tag alone.
    pub fn has_parameters(&self) -> bool {
        match ActivationConfig::serialize(self, serde_json::value::Serializer) {
            Ok(serde_json::Value::Object(fields)) => fields.len() > 1,
            _ => true,
        }
    }

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

    /// The config name of this kind (`"leaky_relu"`, …), one of [`activation_kinds`].
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
            Self::Expr { .. } => "expr",
            Self::Rational { .. } => "rational",
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
            Self::Expr { f, name, .. } => name.clone().unwrap_or_else(|| f.clone()),
            Self::Rational {
                degrees: [m, n],
                init,
                per_unit,
                name,
            } => name.clone().unwrap_or_else(|| {
                let each = if *per_unit { ", per unit" } else { "" };
                format!("rational({m}/{n}, init={}{each})", init.label())
            }),
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
            Self::Expr { .. } => self.formula(field).map(|_| ()),
            Self::Rational { .. } => self.rational_fit(field).map(|_| ()),
            _ => Ok(()),
        }
    }

    /// A formula activation parsed and checked: the tree, the parameter names (sorted) and
    /// their values. Errors name `field` (`model.activation`): a parse error with the column
    /// and a caret, an unknown or unused name, or the first x of the check grid where the
    /// value is not a finite f32.
    pub fn formula(&self, field: &str) -> Result<crate::expr::Formula, ModelError> {
        let Self::Expr {
            f,
            params,
            learnable,
            name,
            ..
        } = self
        else {
            return Err(self.not_a(field, "a formula (kind = \"expr\")"));
        };
        crate::expr::Formula::check(f, params, learnable, name.as_deref(), field)
    }

    /// The error for asking this activation for what only another kind has.
    pub(crate) fn not_a(&self, field: &str, expected: &str) -> ModelError {
        ModelError::InvalidParameter {
            field: field.to_string(),
            value: self.kind().to_string(),
            expected: expected.to_string(),
        }
    }
}
