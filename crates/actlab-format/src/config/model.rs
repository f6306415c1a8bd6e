//! The `[model]` section of an experiment config ([`ModelSpec`]): a preset, an explicit MLP, or
//! a preset with fields overridden, resolved into the [`MlpConfig`] the trainer builds.

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::error::ModelError;
use crate::model::{Init, MlpConfig, default_input_size, default_output_size};
use crate::preset::Preset;

/// The `[model]` section of a config: a preset, an explicit MLP, or a preset with some fields
/// overridden (`preset = "swish-mlp"` + `activation = { kind = "swish", trainable = true }`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Start from this preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// See [`MlpConfig::input_size`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_size: Option<usize>,
    /// See [`MlpConfig::hidden`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// See [`MlpConfig::activation`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<ActivationConfig>,
    /// See [`MlpConfig::output_size`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_size: Option<usize>,
    /// See [`MlpConfig::output_activation`]; `"identity"` removes a preset's softmax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_activation: Option<ActivationConfig>,
    /// See [`MlpConfig::init`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
}

impl From<Preset> for ModelSpec {
    fn from(preset: Preset) -> Self {
        Self {
            preset: Some(preset),
            ..Self::default()
        }
    }
}

impl ModelSpec {
    /// The MLP this section describes, validated.
    pub fn resolve(&self) -> Result<MlpConfig, ModelError> {
        let base = self.preset.map(Preset::config);
        let missing = |field: &str| ModelError::MissingField {
            field: format!("model.{field}"),
            hint: format!(
                "give `preset = \"{}\"` or `{field} = …`",
                Preset::ALL.map(Preset::name).join("\" | \"")
            ),
        };
        let hidden = match (&self.hidden, &base) {
            (Some(hidden), _) => hidden.clone(),
            (None, Some(base)) => base.hidden.clone(),
            (None, None) => return Err(missing("hidden")),
        };
        let activation = match (&self.activation, &base) {
            (Some(activation), _) => activation.clone(),
            (None, Some(base)) => base.activation.clone(),
            (None, None) => return Err(missing("activation")),
        };
        let output_activation = match &self.output_activation {
            Some(ActivationConfig::Identity) => None,
            Some(other) => Some(other.clone()),
            None => base.as_ref().and_then(|b| b.output_activation.clone()),
        };
        let config = MlpConfig {
            input_size: self
                .input_size
                .or(base.as_ref().map(|b| b.input_size))
                .unwrap_or_else(default_input_size),
            hidden,
            activation,
            output_size: self
                .output_size
                .or(base.as_ref().map(|b| b.output_size))
                .unwrap_or_else(default_output_size),
            output_activation,
            init: self
                .init
                .or(base.as_ref().map(|b| b.init))
                .unwrap_or_default(),
        };
        config.validate()?;
        Ok(config)
    }

    /// This section with every field filled in from [`ModelSpec::resolve`] (what a run directory
    /// records, so the model can be rebuilt without knowing the presets' contents).
    pub fn resolved(&self) -> Result<ModelSpec, ModelError> {
        Ok(self.filled(&self.resolve()?))
    }

    /// This section with every field filled in from `config`, the result of
    /// [`ModelSpec::resolve`] (for callers that already have it).
    pub fn filled(&self, config: &MlpConfig) -> ModelSpec {
        ModelSpec {
            preset: self.preset,
            input_size: Some(config.input_size),
            hidden: Some(config.hidden.clone()),
            activation: Some(config.activation.clone()),
            output_size: Some(config.output_size),
            output_activation: Some(
                config
                    .output_activation
                    .clone()
                    .unwrap_or(ActivationConfig::Identity),
            ),
            init: Some(config.init),
        }
    }
}
