//! The `[model]` section of an experiment config ([`ModelSpec`]): a preset, an explicit MLP or
//! CNN, or a preset with fields overridden, resolved into the [`NetworkConfig`] the trainer
//! builds.

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::cnn::{CnnBlock, CnnConfig};
use crate::dataset::DatasetName;
use crate::error::ModelError;
use crate::model::{Init, MlpConfig, ModelKind, NetworkConfig, default_output_size};
use crate::preset::Preset;

/// The `[model]` section of a config: a preset, an explicit MLP or CNN, or a preset with some
/// fields overridden (`preset = "swish-mlp"` + `activation = { kind = "swish", trainable = true }`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Start from this preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// `"mlp"` or `"cnn"` [the preset's; `cnn` when `blocks` are given; else `mlp`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ModelKind>,
    /// See [`MlpConfig::input_size`] (MLP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_size: Option<usize>,
    /// See [`MlpConfig::hidden`] (MLP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// See [`CnnConfig::input`] (CNN only) [the dataset's shape].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<[usize; 3]>,
    /// See [`CnnConfig::blocks`] (CNN only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<CnnBlock>>,
    /// See [`CnnConfig::global_pool`] (CNN only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_pool: Option<bool>,
    /// See [`CnnConfig::dense`] (CNN only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense: Option<Vec<usize>>,
    /// Dropout before each dense layer of a CNN: only `0.0` is accepted for now (see
    /// [`ModelSpec::resolve_for`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<f64>,
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

/// The images' shape, for a CNN section that does not give `input`.
pub const IMAGE_INPUT: [usize; 3] = [1, 28, 28];

impl ModelSpec {
    /// The network this section describes for 1×28×28 images, validated.
    pub fn resolve(&self) -> Result<NetworkConfig, ModelError> {
        self.resolve_for(IMAGE_INPUT, default_output_size())
    }

    /// The network this section describes for `dataset`'s examples and classes, validated.
    pub fn resolve_for_dataset(&self, dataset: DatasetName) -> Result<NetworkConfig, ModelError> {
        self.resolve_for(dataset.input_shape(), dataset.num_classes())
    }

    /// The network this section describes, a CNN's input defaulting to `input` (the dataset's
    /// `[channels, height, width]`) and the outputs to `classes` (a preset's ten are the
    /// ten-class datasets'), validated.
    pub fn resolve_for(
        &self,
        input: [usize; 3],
        classes: usize,
    ) -> Result<NetworkConfig, ModelError> {
        let base = self.preset.map(Preset::config);
        let kind = self.kind(base.as_ref())?;
        let missing = |field: &str| ModelError::MissingField {
            field: format!("model.{field}"),
            hint: format!(
                "give `preset = \"{}\"` or `{field} = …`",
                Preset::ALL.map(Preset::name).join("\" | \"")
            ),
        };
        let activation = match (&self.activation, &base) {
            (Some(activation), _) => activation.clone(),
            (None, Some(base)) => base.activation().clone(),
            (None, None) => return Err(missing("activation")),
        };
        let output_activation = match &self.output_activation {
            Some(ActivationConfig::Identity) => None,
            Some(other) => Some(other.clone()),
            None => base.as_ref().and_then(|b| b.output_activation().cloned()),
        };
        let output_size = self.output_size.unwrap_or(classes);
        let init = self
            .init
            .or(base.as_ref().map(NetworkConfig::weight_init))
            .unwrap_or_default();
        let config = match kind {
            ModelKind::Mlp => {
                let base = base.as_ref().and_then(NetworkConfig::mlp);
                NetworkConfig::Mlp(MlpConfig {
                    // The dataset's features: a preset's 784 is the images'.
                    input_size: self.input_size.unwrap_or_else(|| input.iter().product()),
                    hidden: match (&self.hidden, base) {
                        (Some(hidden), _) => hidden.clone(),
                        (None, Some(base)) => base.hidden.clone(),
                        (None, None) => return Err(missing("hidden")),
                    },
                    activation,
                    output_size,
                    output_activation,
                    init,
                })
            }
            ModelKind::Cnn => {
                if let Some(rate) = self.dropout.filter(|&r| r != 0.0) {
                    return Err(ModelError::InvalidParameter {
                        field: "model.dropout".into(),
                        value: rate.to_string(),
                        expected: "0.0: dropout is not implemented yet (its masks would have to \
                                   be drawn from the run's seed for resumes to stay bit-identical)"
                            .into(),
                    });
                }
                let base = base.as_ref().and_then(NetworkConfig::cnn);
                NetworkConfig::Cnn(CnnConfig {
                    input: self.input.unwrap_or(input),
                    blocks: match (&self.blocks, base) {
                        (Some(blocks), _) => blocks.clone(),
                        (None, Some(base)) => base.blocks.clone(),
                        (None, None) => return Err(missing("blocks")),
                    },
                    global_pool: self
                        .global_pool
                        .or(base.map(|b| b.global_pool))
                        .unwrap_or(false),
                    dense: self
                        .dense
                        .clone()
                        .or(base.map(|b| b.dense.clone()))
                        .unwrap_or_default(),
                    activation,
                    output_size,
                    output_activation,
                    init,
                })
            }
        };
        config.validate()?;
        Ok(config)
    }

    /// The kind: explicit, the preset's, `cnn` when blocks are given, else `mlp`; fields of the
    /// other kind are errors.
    fn kind(&self, base: Option<&NetworkConfig>) -> Result<ModelKind, ModelError> {
        let kind =
            self.kind
                .or(base.map(NetworkConfig::kind))
                .unwrap_or(if self.blocks.is_some() {
                    ModelKind::Cnn
                } else {
                    ModelKind::Mlp
                });
        if let (Some(preset), Some(base)) = (self.preset, base)
            && base.kind() != kind
        {
            return Err(ModelError::InvalidParameter {
                field: "model.kind".into(),
                value: format!("\"{}\"", kind.name()),
                expected: format!(
                    "\"{}\" (preset \"{preset}\" is one), or no preset",
                    base.kind().name()
                ),
            });
        }
        let mlp_fields = [
            ("input_size", self.input_size.is_some()),
            ("hidden", self.hidden.is_some()),
        ];
        let cnn_fields = [
            ("input", self.input.is_some()),
            ("blocks", self.blocks.is_some()),
            ("global_pool", self.global_pool.is_some()),
            ("dense", self.dense.is_some()),
            ("dropout", self.dropout.is_some()),
        ];
        let foreign = match kind {
            ModelKind::Mlp => cnn_fields.iter().find(|(_, set)| *set),
            ModelKind::Cnn => mlp_fields.iter().find(|(_, set)| *set),
        };
        if let Some((field, _)) = foreign {
            return Err(ModelError::InvalidParameter {
                field: format!("model.{field}"),
                value: "given".into(),
                expected: format!(
                    "no `{field}` in a model of kind = \"{}\" (it belongs to the other kind)",
                    kind.name()
                ),
            });
        }
        Ok(kind)
    }

    /// This section with every field filled in from [`ModelSpec::resolve`] (what a run directory
    /// records, so the model can be rebuilt without knowing the presets' contents).
    pub fn resolved(&self) -> Result<ModelSpec, ModelError> {
        Ok(self.filled(&self.resolve()?))
    }

    /// This section with every field filled in from `config`, the result of
    /// [`ModelSpec::resolve`] (for callers that already have it). An MLP's section records no
    /// `kind` (as before CNNs existed, so older run directories read the same).
    pub fn filled(&self, config: &NetworkConfig) -> ModelSpec {
        let output_activation = Some(
            config
                .output_activation()
                .cloned()
                .unwrap_or(ActivationConfig::Identity),
        );
        match config {
            NetworkConfig::Mlp(config) => ModelSpec {
                preset: self.preset,
                input_size: Some(config.input_size),
                hidden: Some(config.hidden.clone()),
                activation: Some(config.activation.clone()),
                output_size: Some(config.output_size),
                output_activation,
                init: Some(config.init),
                ..ModelSpec::default()
            },
            NetworkConfig::Cnn(config) => ModelSpec {
                preset: self.preset,
                kind: Some(ModelKind::Cnn),
                input: Some(config.input),
                blocks: Some(config.blocks.clone()),
                global_pool: Some(config.global_pool),
                dense: Some(config.dense.clone()),
                activation: Some(config.activation.clone()),
                output_size: Some(config.output_size),
                output_activation,
                init: Some(config.init),
                ..ModelSpec::default()
            },
        }
    }
}
