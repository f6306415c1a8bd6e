//! The two models of the reference article, exactly.

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::model::{Init, MlpConfig};

/// A named, fully specified model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// `Linear(784,128) → PReLU (one shared slope, init 0.25) → Linear(128,10)`: 101,771
    /// parameters; PyTorch's default initialisation (the article's PReLU snippet is PyTorch).
    PreluMlp,
    /// `Linear(784,64) → Swish(β=1) → Linear(64,10) → softmax`: 50,890 parameters (50,891 with a
    /// learnable β); Glorot-uniform weights and zero biases, Keras' defaults (the article's Swish
    /// snippet is Keras).
    SwishMlp,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 2] = [Preset::PreluMlp, Preset::SwishMlp];

    /// The name used in configs.
    pub fn name(self) -> &'static str {
        match self {
            Preset::PreluMlp => "prelu-mlp",
            Preset::SwishMlp => "swish-mlp",
        }
    }

    /// The preset's model.
    pub fn config(self) -> MlpConfig {
        match self {
            Preset::PreluMlp => MlpConfig {
                input_size: 784,
                hidden: vec![128],
                activation: ActivationConfig::prelu(),
                output_size: 10,
                output_activation: None,
                init: Init::Pytorch,
            },
            Preset::SwishMlp => MlpConfig {
                input_size: 784,
                hidden: vec![64],
                activation: ActivationConfig::swish(1.0),
                output_size: 10,
                output_activation: Some(ActivationConfig::softmax()),
                init: Init::Glorot,
            },
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
