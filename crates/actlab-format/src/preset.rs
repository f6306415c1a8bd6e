//! The two models of the reference article, exactly, and the convolutional networks the
//! activation literature compares in (PAU's LeNet-5 and VGG-8, He et al.'s CIFAR ResNet-20).

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::cnn::{CnnBlock, CnnConfig, Padding};
use crate::model::{Init, MlpConfig, NetworkConfig};

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
    /// LeNet-5 as PAU's experiments train it (Molina et al. 2020): `conv 6 (5×5, padded to keep
    /// 28×28) → pool 2 → conv 16 (5×5) → pool 2 → conv 120 (5×5) → dense 84 → 10`, an
    /// activation after every convolution and dense layer: 61,706 parameters on 28×28 (PAU
    /// resizes to 32×32 and pads nothing; the padding of the first convolution gives the same
    /// shapes from 28×28).
    Lenet5,
    /// VGG-8 as in PAU's experiments: eight 3×3 convolutions `64 → pool → 128 → pool → 256, 256
    /// → pool → 512, 512 → pool → 512, 512` and a linear classifier: 9,224,458 parameters on
    /// 28×28. Two differences from PAU's code, both to fit 28×28 without resizing and to make
    /// each convolution count: the last block does not pool (28 → 14 → 7 → 3 → 1 leaves no
    /// pixel for a fifth pool), and every convolution has its activation (PAU's blocks apply one
    /// after two convolutions, which composes two linear maps).
    Vgg8,
    /// He et al.'s CIFAR ResNet-20 adapted to the input: `conv 16 (3×3) + BatchNorm →
    /// 3 stages × 3 residual blocks of 16, 32, 64 channels (stride 2 entering stages 2 and 3,
    /// 1×1 projections there) → global average pool → 10`; convolutions without biases, He
    /// initialisation: 272,186 parameters (the paper's "0.27M").
    Resnet20,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 5] = [
        Preset::PreluMlp,
        Preset::SwishMlp,
        Preset::Lenet5,
        Preset::Vgg8,
        Preset::Resnet20,
    ];

    /// The name used in configs.
    pub fn name(self) -> &'static str {
        match self {
            Preset::PreluMlp => "prelu-mlp",
            Preset::SwishMlp => "swish-mlp",
            Preset::Lenet5 => "lenet5",
            Preset::Vgg8 => "vgg8",
            Preset::Resnet20 => "resnet20",
        }
    }

    /// The preset's model (a CNN preset for 1×28×28 inputs; `[model] input` or the dataset
    /// changes that).
    pub fn config(self) -> NetworkConfig {
        let cnn = |blocks: Vec<CnnBlock>, dense: Vec<usize>, global_pool: bool, init: Init| {
            NetworkConfig::Cnn(CnnConfig {
                input: [1, 28, 28],
                blocks,
                global_pool,
                dense,
                activation: ActivationConfig::Relu,
                output_size: 10,
                output_activation: None,
                init,
            })
        };
        match self {
            Preset::PreluMlp => NetworkConfig::Mlp(MlpConfig {
                input_size: 784,
                hidden: vec![128],
                activation: ActivationConfig::prelu(),
                output_size: 10,
                output_activation: None,
                init: Init::Pytorch,
            }),
            Preset::SwishMlp => NetworkConfig::Mlp(MlpConfig {
                input_size: 784,
                hidden: vec![64],
                activation: ActivationConfig::swish(1.0),
                output_size: 10,
                output_activation: Some(ActivationConfig::softmax()),
                init: Init::Glorot,
            }),
            Preset::Lenet5 => cnn(
                vec![
                    CnnBlock::conv(6, 5).pooled(2),
                    CnnBlock::conv(16, 5).padded(Padding::Valid).pooled(2),
                    CnnBlock::conv(120, 5).padded(Padding::Valid),
                ],
                vec![84],
                false,
                Init::Pytorch,
            ),
            Preset::Vgg8 => cnn(
                [
                    (64, 2),
                    (128, 2),
                    (256, 1),
                    (256, 2),
                    (512, 1),
                    (512, 2),
                    (512, 1),
                    (512, 1),
                ]
                .into_iter()
                .map(|(c, pool)| CnnBlock::conv(c, 3).pooled(pool))
                .collect(),
                vec![],
                false,
                Init::Pytorch,
            ),
            Preset::Resnet20 => cnn(
                std::iter::once(CnnBlock::conv(16, 3).normed(true))
                    .chain([16, 32, 64].into_iter().flat_map(|c| {
                        (0..3).map(move |i| {
                            CnnBlock::residual(c, if i == 0 && c > 16 { 2 } else { 1 })
                        })
                    }))
                    .collect(),
                vec![],
                true,
                Init::He,
            ),
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
