//! A convolutional network built from a [`CnnConfig`]: convolution and residual blocks (with
//! BatchNorm whose running statistics are module state, so they travel in checkpoints and
//! `model.bpk`), an optional global average pool, then fully connected layers. It takes the
//! same flattened `[batch, features]` batches as the MLP and reshapes them to `[batch, channels,
//! height, width]`.

use burn::module::{Module, Param, ParamId, RunningState};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData};
use chacha20::ChaCha8Rng;
use rand::SeedableRng;

use actlab_format::cnn::{BlockKind, CnnConfig, Padding};
use actlab_format::error::ModelError;

use crate::activation::{Activation, ActivationInit};
use crate::mlp::{InitLinear, WEIGHT_STREAM};

/// A convolution and (optionally) its BatchNorm.
#[derive(Module, Debug)]
pub struct ConvNorm {
    /// The convolution.
    pub conv: Conv2d,
    /// BatchNorm over its channels.
    pub norm: Option<BatchNorm>,
}

impl ConvNorm {
    fn new(
        config: &CnnConfig,
        [c_in, c_out]: [usize; 2],
        kernel: usize,
        stride: usize,
        padding: Padding,
        batch_norm: bool,
        device: &Device,
    ) -> Self {
        let [kh, kw] = config.window(kernel);
        let pad = |k: usize| if padding == Padding::Same { k / 2 } else { 0 };
        let conv = Conv2dConfig::new([c_in, c_out], [kh, kw])
            .with_stride(config.window(stride))
            .with_padding(PaddingConfig2d::Explicit(
                pad(kh),
                pad(kw),
                pad(kh),
                pad(kw),
            ))
            .with_bias(!batch_norm)
            .init(device);
        ConvNorm {
            conv,
            norm: batch_norm.then(|| BatchNormConfig::new(c_out).init(device)),
        }
    }

    /// # Shapes
    /// - input `[batch, c_in, h, w]`, output `[batch, c_out, h', w']`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.conv.forward(x);
        match &self.norm {
            Some(norm) => norm.forward(y),
            None => y,
        }
    }
}

/// One block: a convolution (`second` and `projection` empty) or a residual block.
#[derive(Module, Debug)]
pub struct Block {
    /// The (first) convolution.
    pub first: ConvNorm,
    /// The activation after it.
    pub activation: Activation,
    /// Max pooling after the activation (convolution blocks).
    pub pool: Option<MaxPool2d>,
    /// A residual block's second convolution.
    pub second: Option<ConvNorm>,
    /// A residual block's 1×1 projection of its input, when the shape changes.
    pub projection: Option<ConvNorm>,
    /// A residual block's activation after the sum.
    pub out_activation: Option<Activation>,
}

impl Block {
    /// # Shapes
    /// - input `[batch, c_in, h, w]`, output `[batch, c_out, h', w']`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_traced(x, &mut |_, _| {})
    }

    /// [`Block::forward`], showing `seen` each activation's input and the activation.
    pub fn forward_traced(
        &self,
        x: Tensor<4>,
        seen: &mut dyn FnMut(&Tensor<4>, &Activation),
    ) -> Tensor<4> {
        let z = self.first.forward(x.clone());
        seen(&z, &self.activation);
        let y = self.activation.forward(z);
        let (Some(second), Some(out_activation)) = (&self.second, &self.out_activation) else {
            return match &self.pool {
                Some(pool) => pool.forward(y),
                None => y,
            };
        };
        let skip = match &self.projection {
            Some(projection) => projection.forward(x),
            None => x,
        };
        let z = second.forward(y) + skip;
        seen(&z, out_activation);
        out_activation.forward(z)
    }
}

/// The convolutional network.
#[derive(Module, Debug)]
pub struct Cnn {
    /// The blocks, in order.
    pub blocks: Vec<Block>,
    /// The fully connected layers after flattening.
    pub dense: Vec<Linear>,
    /// One activation after each of them.
    pub dense_activations: Vec<Activation>,
    /// The output layer (logits).
    pub output: Linear,
    /// The output activation (softmax) if configured.
    pub output_activation: Option<Activation>,
    /// `[channels, height, width]` of an input.
    #[module(skip)]
    pub input: [usize; 3],
    /// Average each channel after the blocks.
    #[module(skip)]
    pub global_pool: bool,
}

/// Building a [`Cnn`] from its [`CnnConfig`].
pub trait CnnInit {
    /// Validates, then builds the network on `device` (Burn's initialisers).
    fn init(&self, device: &Device) -> Result<Cnn, ModelError>;
    /// Validates, then builds the network with every convolution's and linear layer's initial
    /// values drawn on the host from `seed` (ChaCha8, stream [`WEIGHT_STREAM`], layer after
    /// layer in module order; [`crate::mlp`]'s distributions with `fan_in = c_in·k_h·k_w`).
    /// BatchNorm starts at γ = 1, β = 0, running mean 0 and variance 1.
    fn init_seeded(&self, device: &Device, seed: u64) -> Result<Cnn, ModelError>;
}

impl CnnInit for CnnConfig {
    fn init(&self, device: &Device) -> Result<Cnn, ModelError> {
        self.validate()?;
        let shapes = self.block_shapes()?;
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for (block, shape) in self.blocks.iter().zip(&shapes) {
            let (kind, c) = block.kind();
            let c_in = shape.input[0];
            let bn = block.batch_norm();
            let first = ConvNorm::new(
                self,
                [c_in, c],
                block.kernel,
                block.stride,
                block.padding,
                bn,
                device,
            );
            let activation = self.activation.init(c, device)?;
            blocks.push(match kind {
                BlockKind::Conv => Block {
                    first,
                    activation,
                    pool: (block.pool > 1)
                        .then(|| MaxPool2dConfig::new(self.window(block.pool)).init()),
                    second: None,
                    projection: None,
                    out_activation: None,
                },
                BlockKind::Residual => Block {
                    first,
                    activation,
                    pool: None,
                    second: Some(ConvNorm::new(
                        self,
                        [c, c],
                        block.kernel,
                        1,
                        Padding::Same,
                        bn,
                        device,
                    )),
                    projection: block.projects(c_in).then(|| {
                        ConvNorm::new(self, [c_in, c], 1, block.stride, Padding::Valid, bn, device)
                    }),
                    out_activation: Some(self.activation.init(c, device)?),
                },
            });
        }
        let sizes = self.dense_sizes()?;
        let mut dense = Vec::with_capacity(self.dense.len());
        let mut dense_activations = Vec::with_capacity(self.dense.len());
        for pair in sizes.windows(2).take(self.dense.len()) {
            dense.push(self.init.linear(pair[0], pair[1], device));
            dense_activations.push(self.activation.init(pair[1], device)?);
        }
        let last = sizes[sizes.len() - 2];
        // BatchNorm's running statistics keep the ids they are built with (a mapper cannot
        // renumber them): fixed ids, so equal networks write equal `model.bpk` bytes.
        let mut next = u64::MAX;
        for block in &mut blocks {
            let norms = std::iter::once(&mut block.first)
                .chain(block.second.as_mut())
                .chain(block.projection.as_mut())
                .filter_map(|c| c.norm.as_mut());
            for norm in norms {
                let [c] = norm.gamma.shape().dims::<1>();
                norm.running_mean =
                    RunningState::with_id(ParamId::from(next), Tensor::zeros([c], device));
                norm.running_var =
                    RunningState::with_id(ParamId::from(next - 1), Tensor::ones([c], device));
                next -= 2;
            }
        }
        Ok(Cnn {
            blocks,
            dense,
            dense_activations,
            output: self.init.linear(last, self.output_size, device),
            output_activation: self
                .output_activation
                .as_ref()
                .map(|a| a.init(self.output_size, device))
                .transpose()?,
            input: self.input,
            global_pool: self.global_pool,
        })
    }

    fn init_seeded(&self, device: &Device, seed: u64) -> Result<Cnn, ModelError> {
        let mut model = self.init(device)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(WEIGHT_STREAM);
        let init = self.init;
        let conv = |c: &mut Conv2d, rng: &mut ChaCha8Rng| {
            let [c_out, c_in, kh, kw] = c.weight.shape().dims::<4>();
            let window = kh * kw;
            let (weights, biases) = init.sample_fans(
                c_in * window,
                c_out * window,
                c_out * c_in * window,
                c_out,
                rng,
            );
            c.weight = Param::from_data(TensorData::new(weights, [c_out, c_in, kh, kw]), device);
            if c.bias.is_some() {
                c.bias = Some(Param::from_data(TensorData::new(biases, [c_out]), device));
            }
        };
        for block in &mut model.blocks {
            conv(&mut block.first.conv, &mut rng);
            if let Some(second) = &mut block.second {
                conv(&mut second.conv, &mut rng);
            }
            if let Some(projection) = &mut block.projection {
                conv(&mut projection.conv, &mut rng);
            }
        }
        for linear in model
            .dense
            .iter_mut()
            .chain(std::iter::once(&mut model.output))
        {
            let [d_input, d_output] = linear.weight.shape().dims::<2>();
            let (weights, biases) = init.sample(d_input, d_output, &mut rng);
            linear.weight = Param::from_data(TensorData::new(weights, [d_input, d_output]), device);
            linear.bias = Some(Param::from_data(
                TensorData::new(biases, [d_output]),
                device,
            ));
        }
        Ok(model)
    }
}

impl Cnn {
    /// The logits.
    ///
    /// # Shapes
    /// - input: `[batch, channels·height·width]`
    /// - output: `[batch, output_size]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        self.forward_traced(input, &mut |_, _| {})
    }

    /// [`Cnn::forward`], showing `seen` each activation's input (blocks' as `[batch, channels,
    /// h·w]`, dense layers' as `[batch, width, 1]`) and the activation, in order.
    pub fn forward_traced(
        &self,
        input: Tensor<2>,
        seen: &mut dyn FnMut(Tensor<3>, &Activation),
    ) -> Tensor<2> {
        let batch = input.dims()[0];
        let [c, h, w] = self.input;
        let mut x: Tensor<4> = input.reshape([batch, c, h, w]);
        for block in &self.blocks {
            x = block.forward_traced(x, &mut |z, a| {
                let [b, c, h, w] = z.dims();
                seen(z.clone().reshape([b, c, h * w]), a)
            });
        }
        let [_, c, h, w] = x.dims();
        let mut flat: Tensor<2> = if self.global_pool {
            x.reshape([batch, c, h * w]).mean_dim(2).reshape([batch, c])
        } else {
            x.reshape([batch, c * h * w])
        };
        for (linear, activation) in self.dense.iter().zip(&self.dense_activations) {
            let z = linear.forward(flat);
            let width = z.dims()[1];
            seen(z.clone().reshape([batch, width, 1]), activation);
            flat = activation.forward(z);
        }
        self.output.forward(flat)
    }

    /// Every activation, in forward order (a residual block's two, then the dense layers').
    pub fn activations(&self) -> Vec<&Activation> {
        let mut out = Vec::new();
        for block in &self.blocks {
            out.push(&block.activation);
            out.extend(&block.out_activation);
        }
        out.extend(&self.dense_activations);
        out
    }
}
