//! Convolutional models: the fully specified [`CnnConfig`] (built by `actlab-model`) and the
//! shape arithmetic that validates it — every block's output shape, the parameter count, and
//! one-line errors naming the field and the shape a bad value would produce.
//!
//! A network is `input → blocks → (global average pool) → flatten → [Linear → activation] ×
//! dense.len() → Linear → (softmax)`. A block is either
//! - a **convolution** (`conv = C`): `Conv(k×k, stride) → (BatchNorm) → activation → (MaxPool
//!   p×p)`, or
//! - a **residual block** (`residual = C`, He et al. 2016): `Conv(k×k, stride) → BatchNorm →
//!   activation → Conv(k×k) → BatchNorm`, plus the input (through a 1×1 convolution and
//!   BatchNorm when the channels or the stride change), then the activation.
//!
//! Inputs of height 1 (MNIST-1D's `[1, 1, 40]`) are sequences: kernels, strides and pools are
//! then `1×k` and pad only the length.

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::error::ModelError;
use crate::model::{Init, MAX_PARAMS};

/// The most blocks `validate` accepts (ResNet-110 has 55 residual blocks).
pub const MAX_BLOCKS: usize = 200;

/// How a convolution pads its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// `kernel / 2` zeros on each side (odd kernels): with stride 1 the output keeps the input's
    /// size.
    #[default]
    Same,
    /// No padding: the output shrinks by `kernel − 1`.
    Valid,
}

/// One block of a [`CnnConfig`]: exactly one of `conv` and `residual`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CnnBlock {
    /// A convolution with this many output channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv: Option<usize>,
    /// A residual block with this many output channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual: Option<usize>,
    /// Kernel side [3].
    #[serde(default = "default_kernel")]
    pub kernel: usize,
    /// Stride of the (first) convolution [1].
    #[serde(default = "one")]
    pub stride: usize,
    /// Padding of a convolution ["same"]; residual blocks always pad "same".
    #[serde(default)]
    pub padding: Padding,
    /// BatchNorm after each convolution [false for `conv`, true for `residual`]. A convolution
    /// followed by BatchNorm has no bias (BatchNorm's β takes its place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_norm: Option<bool>,
    /// Max pooling `pool × pool` with stride `pool` after the activation [1: none]; `conv` only.
    #[serde(default = "one")]
    pub pool: usize,
}

fn default_kernel() -> usize {
    3
}
fn one() -> usize {
    1
}

/// What a block is, resolved from its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A convolution.
    Conv,
    /// A residual block.
    Residual,
}

impl CnnBlock {
    /// A `conv` block with the defaults.
    pub fn conv(channels: usize, kernel: usize) -> Self {
        CnnBlock {
            conv: Some(channels),
            residual: None,
            kernel,
            stride: 1,
            padding: Padding::Same,
            batch_norm: None,
            pool: 1,
        }
    }

    /// A `residual` block with the defaults.
    pub fn residual(channels: usize, stride: usize) -> Self {
        CnnBlock {
            conv: None,
            residual: Some(channels),
            kernel: 3,
            stride,
            padding: Padding::Same,
            batch_norm: None,
            pool: 1,
        }
    }

    /// This block with `pool`.
    pub fn pooled(mut self, pool: usize) -> Self {
        self.pool = pool;
        self
    }

    /// This block with `padding`.
    pub fn padded(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// This block with BatchNorm on or off.
    pub fn normed(mut self, batch_norm: bool) -> Self {
        self.batch_norm = Some(batch_norm);
        self
    }

    /// The kind and the output channels.
    pub fn kind(&self) -> (BlockKind, usize) {
        match (self.conv, self.residual) {
            (Some(c), _) => (BlockKind::Conv, c),
            (None, Some(c)) => (BlockKind::Residual, c),
            (None, None) => (BlockKind::Conv, 0),
        }
    }

    /// Whether the block's convolutions are followed by BatchNorm.
    pub fn batch_norm(&self) -> bool {
        self.batch_norm
            .unwrap_or(self.kind().0 == BlockKind::Residual)
    }

    /// Whether a residual block from `input` channels needs a 1×1 projection on its skip path.
    pub fn projects(&self, input: usize) -> bool {
        let (kind, channels) = self.kind();
        kind == BlockKind::Residual && (channels != input || self.stride != 1)
    }
}

/// A fully specified convolutional network (built by `actlab-model`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CnnConfig {
    /// Channels, height, width of an input (the dataset's; `[1, 28, 28]` for the images).
    pub input: [usize; 3],
    /// The blocks, in order.
    pub blocks: Vec<CnnBlock>,
    /// Average over each channel's pixels after the blocks (ResNet's head) [false].
    #[serde(default)]
    pub global_pool: bool,
    /// Widths of the fully connected layers after flattening.
    #[serde(default)]
    pub dense: Vec<usize>,
    /// The activation of every block and dense layer; each gets its own instance, with
    /// per-channel parameters in blocks when `per_unit`.
    pub activation: ActivationConfig,
    /// Output classes [10].
    pub output_size: usize,
    /// As `MlpConfig::output_activation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_activation: Option<ActivationConfig>,
    /// Weight initialisation of convolutions and linear layers [pytorch].
    #[serde(default)]
    pub init: Init,
}

/// A block's place in the network: its input and output shapes `[channels, height, width]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockShape {
    /// What comes in.
    pub input: [usize; 3],
    /// What the convolution(s) produce (before pooling).
    pub conv: [usize; 3],
    /// What goes out (after pooling).
    pub output: [usize; 3],
}

fn fmt_shape([c, h, w]: [usize; 3]) -> String {
    if h == 1 {
        format!("{c}×{w}")
    } else {
        format!("{c}×{h}×{w}")
    }
}

impl CnnConfig {
    /// Whether inputs are sequences (height 1): kernels and pools are `1×k`.
    pub fn one_dimensional(&self) -> bool {
        self.input[1] == 1
    }

    /// The `[height, width]` of a block's `k`: `[1, k]` on sequences.
    pub fn window(&self, k: usize) -> [usize; 2] {
        if self.one_dimensional() {
            [1, k]
        } else {
            [k, k]
        }
    }

    /// Input features of one example (`channels × height × width`).
    pub fn input_features(&self) -> usize {
        self.input.iter().product()
    }

    /// Every block's shapes, checked: errors name the `model.blocks[i].…` field and the shape
    /// the value would produce.
    pub fn block_shapes(&self) -> Result<Vec<BlockShape>, ModelError> {
        let mut shape = self.input;
        let mut out = Vec::with_capacity(self.blocks.len());
        for (i, block) in self.blocks.iter().enumerate() {
            let next = self.block_shape(i, block, shape)?;
            out.push(next);
            shape = next.output;
        }
        Ok(out)
    }

    fn block_shape(
        &self,
        i: usize,
        block: &CnnBlock,
        input: [usize; 3],
    ) -> Result<BlockShape, ModelError> {
        let field = |name: &str| format!("model.blocks[{i}].{name}");
        let bad = |name: &str, value: usize, expected: String| ModelError::InvalidParameter {
            field: field(name),
            value: value.to_string(),
            expected,
        };
        let (kind, channels) = match (block.conv, block.residual) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ModelError::InvalidParameter {
                    field: format!("model.blocks[{i}]"),
                    value: "a block".into(),
                    expected: "exactly one of `conv = channels` and `residual = channels`".into(),
                });
            }
            _ => block.kind(),
        };
        let which = if kind == BlockKind::Conv {
            "conv"
        } else {
            "residual"
        };
        if channels == 0 {
            return Err(bad(which, 0, "at least 1 channel".into()));
        }
        for (name, value) in [
            ("kernel", block.kernel),
            ("stride", block.stride),
            ("pool", block.pool),
        ] {
            if value == 0 {
                return Err(bad(name, 0, "at least 1".into()));
            }
        }
        let padding = if kind == BlockKind::Residual {
            Padding::Same
        } else {
            block.padding
        };
        if padding == Padding::Same && block.kernel.is_multiple_of(2) {
            return Err(bad(
                "kernel",
                block.kernel,
                "an odd kernel with padding = \"same\" (or padding = \"valid\")".into(),
            ));
        }
        if kind == BlockKind::Residual && block.pool != 1 {
            return Err(bad(
                "pool",
                block.pool,
                "1 (a residual block downsamples with its stride)".into(),
            ));
        }
        let [kh, kw] = self.window(block.kernel);
        let [sh, sw] = self.window(block.stride);
        let pad = |k: usize| if padding == Padding::Same { k / 2 } else { 0 };
        let [_, h, w] = input;
        if h + 2 * pad(kh) < kh || w + 2 * pad(kw) < kw {
            return Err(bad(
                "kernel",
                block.kernel,
                format!(
                    "a kernel that fits the block's input {} ({kh}×{kw} is larger)",
                    fmt_shape(input)
                ),
            ));
        }
        if kind == BlockKind::Residual && (!h.is_multiple_of(sh) || !w.is_multiple_of(sw)) {
            return Err(bad(
                "stride",
                block.stride,
                format!(
                    "a stride that divides the block's input {} (the skip path must match)",
                    fmt_shape(input)
                ),
            ));
        }
        let conv = [
            channels,
            (h + 2 * pad(kh) - kh) / sh + 1,
            (w + 2 * pad(kw) - kw) / sw + 1,
        ];
        let [ph, pw] = self.window(block.pool);
        let output = [channels, conv[1] / ph, conv[2] / pw];
        if output[1] == 0 || output[2] == 0 {
            return Err(bad(
                "pool",
                block.pool,
                format!(
                    "a pool that leaves at least one pixel ({} would become {})",
                    fmt_shape(conv),
                    fmt_shape(output)
                ),
            ));
        }
        Ok(BlockShape {
            input,
            conv,
            output,
        })
    }

    /// Features after the blocks (and the global pool), into the first dense layer.
    pub fn flat_features(&self) -> Result<usize, ModelError> {
        let last = self.block_shapes()?.last().map_or(self.input, |b| b.output);
        Ok(if self.global_pool {
            last[0]
        } else {
            last.iter().product()
        })
    }

    /// The widths of the fully connected part: `[flat_features, dense…, output_size]`.
    pub fn dense_sizes(&self) -> Result<Vec<usize>, ModelError> {
        Ok(std::iter::once(self.flat_features()?)
            .chain(self.dense.iter().copied())
            .chain([self.output_size])
            .collect())
    }

    /// Trainable parameters of convolutions, BatchNorms and linear layers (activation
    /// parameters not included), or `None` on overflow.
    pub fn parameter_estimate(&self) -> Option<usize> {
        let shapes = self.block_shapes().ok()?;
        let mut total = 0usize;
        let conv = |c_in: usize, c_out: usize, window: [usize; 2], bias: bool| {
            c_in.checked_mul(c_out)?
                .checked_mul(window[0] * window[1])?
                .checked_add(if bias { c_out } else { 0 })
        };
        for (block, shape) in self.blocks.iter().zip(&shapes) {
            let (kind, c) = block.kind();
            let bn = block.batch_norm();
            let norm = if bn { 2 * c } else { 0 };
            let window = self.window(block.kernel);
            let c_in = shape.input[0];
            let mut part = conv(c_in, c, window, !bn)?.checked_add(norm)?;
            if kind == BlockKind::Residual {
                part = part.checked_add(conv(c, c, window, !bn)?.checked_add(norm)?)?;
                if block.projects(c_in) {
                    part = part.checked_add(conv(c_in, c, [1, 1], !bn)?.checked_add(norm)?)?;
                }
            }
            total = total.checked_add(part)?;
        }
        let sizes = self.dense_sizes().ok()?;
        sizes.windows(2).try_fold(total, |total, pair| {
            pair[0]
                .checked_mul(pair[1])?
                .checked_add(pair[1])?
                .checked_add(total)
        })
    }

    /// Multiply-accumulates of one example's forward pass through the convolutions and linear
    /// layers (pooling, BatchNorm and activations not counted), or `None` on an invalid shape or
    /// overflow. A training step costs about 3× this per example (forward + backward).
    pub fn forward_macs(&self) -> Option<usize> {
        let shapes = self.block_shapes().ok()?;
        // Output pixels × output channels × (input channels × window).
        let conv = |c_in: usize, [c, h, w]: [usize; 3], window: [usize; 2]| {
            c.checked_mul(h)?
                .checked_mul(w)?
                .checked_mul(c_in)?
                .checked_mul(window[0] * window[1])
        };
        let mut total = 0usize;
        for (block, shape) in self.blocks.iter().zip(&shapes) {
            let window = self.window(block.kernel);
            let c_in = shape.input[0];
            total = total.checked_add(conv(c_in, shape.conv, window)?)?;
            if block.kind().0 == BlockKind::Residual {
                total = total.checked_add(conv(shape.conv[0], shape.conv, window)?)?;
                if block.projects(c_in) {
                    total = total.checked_add(conv(c_in, shape.conv, [1, 1])?)?;
                }
            }
        }
        let sizes = self.dense_sizes().ok()?;
        sizes.windows(2).try_fold(total, |total, pair| {
            total.checked_add(pair[0].checked_mul(pair[1])?)
        })
    }

    /// Checks shapes, sizes and the activations; errors name the `model.…` field.
    pub fn validate(&self) -> Result<(), ModelError> {
        if let Some(i) = self.input.iter().position(|&n| n == 0) {
            return Err(ModelError::InvalidParameter {
                field: "model.input".into(),
                value: format!("{:?}", self.input),
                expected: format!("[channels, height, width], each ≥ 1 (entry {i} is 0)"),
            });
        }
        if self.blocks.len() > MAX_BLOCKS {
            return Err(ModelError::InvalidParameter {
                field: "model.blocks".into(),
                value: format!("{} blocks", self.blocks.len()),
                expected: format!("at most {MAX_BLOCKS} blocks"),
            });
        }
        self.block_shapes()?;
        for (i, &width) in self.dense.iter().enumerate() {
            if width == 0 {
                return Err(ModelError::InvalidParameter {
                    field: format!("model.dense[{i}]"),
                    value: "0".into(),
                    expected: "a size ≥ 1".into(),
                });
            }
        }
        if self.output_size == 0 {
            return Err(ModelError::InvalidParameter {
                field: "model.output_size".into(),
                value: "0".into(),
                expected: "a size ≥ 1".into(),
            });
        }
        let params = self.parameter_estimate();
        if params.is_none_or(|n| n > MAX_PARAMS) {
            return Err(ModelError::InvalidParameter {
                field: "model.blocks".into(),
                value: format!("{} blocks, dense {:?}", self.blocks.len(), self.dense),
                expected: format!(
                    "a network of at most {MAX_PARAMS} weights (this one would need {})",
                    params.map_or("more than usize can count".to_string(), |n| n.to_string())
                ),
            });
        }
        crate::model::check_activations(&self.activation, self.output_activation.as_ref())
    }

    /// Layers with an activation after them: one per conv block, two per residual block, one
    /// per dense layer — with the units (channels or widths) each activation covers.
    pub fn activation_units(&self) -> Vec<usize> {
        let mut units = Vec::new();
        for block in &self.blocks {
            let (kind, c) = block.kind();
            units.push(c);
            if kind == BlockKind::Residual {
                units.push(c);
            }
        }
        units.extend(self.dense.iter().copied());
        units
    }
}

#[cfg(test)]
#[path = "cnn_tests.rs"]
mod tests;
