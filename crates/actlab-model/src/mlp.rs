//! A multi-layer perceptron generic over its activation, built from an [`MlpConfig`] (the
//! config types themselves live in the Burn-free `actlab-format`).

use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use chacha20::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use actlab_format::error::ModelError;
use actlab_format::model::{Init, MlpConfig};

use crate::activation::{Activation, ActivationInit};

/// How [`Init`] draws a layer (Burn's initialisers, or host-side seeded values).
pub(crate) trait InitLinear: Sized {
    fn linear(self, d_input: usize, d_output: usize, device: &Device) -> Linear;
    /// Weights `[d_input, d_output]` and biases `[d_output]` drawn from `rng` on the host.
    fn sample(self, d_input: usize, d_output: usize, rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<f32>) {
        self.sample_fans(d_input, d_output, d_input * d_output, d_output, rng)
    }
    /// `weights` then `biases` values for a layer of these fans (a convolution's are
    /// `channels · kernel area`), drawn from `rng`.
    fn sample_fans(
        self,
        fan_in: usize,
        fan_out: usize,
        weights: usize,
        biases: usize,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<f32>, Vec<f32>);
}

impl InitLinear for Init {
    fn linear(self, d_input: usize, d_output: usize, device: &Device) -> Linear {
        let initializer = match self {
            Init::Pytorch => Initializer::KaimingUniform {
                gain: 1.0 / 3.0f64.sqrt(),
                fan_out_only: false,
            },
            Init::Glorot => Initializer::XavierUniform { gain: 1.0 },
            Init::He => Initializer::KaimingNormal {
                gain: 2.0f64.sqrt(),
                fan_out_only: false,
            },
        };
        let mut linear = LinearConfig::new(d_input, d_output)
            .with_initializer(initializer)
            .init(device);
        if self != Init::Pytorch {
            linear.bias = Some(Initializer::Zeros.init([d_output], device));
        }
        linear
    }

    fn sample_fans(
        self,
        d_input: usize,
        d_output: usize,
        n: usize,
        d_bias: usize,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<f32>, Vec<f32>) {
        let uniform = |rng: &mut ChaCha8Rng, n: usize, bound: f64| -> Vec<f32> {
            (0..n)
                .map(|_| ((2.0 * rng.random::<f64>() - 1.0) * bound) as f32)
                .collect()
        };
        match self {
            // Burn's KaimingUniform with gain 1/√3: bound = gain·√(3/fan_in) = 1/√fan_in, for
            // the weights and (PyTorch's rule) the biases alike.
            Init::Pytorch => {
                let bound = 1.0 / (d_input as f64).sqrt();
                let weights = uniform(rng, n, bound);
                (weights, uniform(rng, d_bias, bound))
            }
            Init::Glorot => {
                let bound = (6.0 / (d_input + d_output) as f64).sqrt();
                (uniform(rng, n, bound), vec![0.0; d_bias])
            }
            Init::He => {
                let std = (2.0 / d_input as f64).sqrt();
                let weights = (0..n)
                    .map(|_| {
                        // Box–Muller; 1 − u is in (0, 1], so the logarithm is finite.
                        let u1 = 1.0 - rng.random::<f64>();
                        let u2 = rng.random::<f64>();
                        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                        (z * std) as f32
                    })
                    .collect();
                (weights, vec![0.0; d_bias])
            }
        }
    }
}

/// Building an [`Mlp`] from its [`MlpConfig`].
pub trait MlpInit {
    /// Validates, then builds the model on `device`.
    fn init(&self, device: &Device) -> Result<Mlp, ModelError>;
    /// Validates, then builds the model with its linear layers' initial values drawn on the host
    /// from `seed` (see the implementation).
    fn init_seeded(&self, device: &Device, seed: u64) -> Result<Mlp, ModelError>;
}

impl MlpInit for MlpConfig {
    /// Validates, then builds the model on `device`.
    fn init(&self, device: &Device) -> Result<Mlp, ModelError> {
        self.validate()?;
        let mut hidden = Vec::with_capacity(self.hidden.len());
        let mut activations = Vec::with_capacity(self.hidden.len());
        let mut width = self.input_size;
        for &units in &self.hidden {
            hidden.push(self.init.linear(width, units, device));
            activations.push(self.activation.init(units, device)?);
            width = units;
        }
        Ok(Mlp {
            hidden,
            activations,
            output: self.init.linear(width, self.output_size, device),
            output_activation: self
                .output_activation
                .as_ref()
                .map(|a| a.init(self.output_size, device))
                .transpose()?,
        })
    }

    /// Validates, then builds the model with its linear layers' initial values drawn on the host
    /// from `seed` (ChaCha8, its own stream): the same numbers on every backend and in every
    /// process, independent of Burn's per-backend (on ndarray, process-global) RNG. The
    /// distributions are those of [`Init`]; activation parameters start at their configured
    /// constants.
    fn init_seeded(&self, device: &Device, seed: u64) -> Result<Mlp, ModelError> {
        let mut model = self.init(device)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(WEIGHT_STREAM);
        let sizes = self.layer_sizes();
        let layers = model
            .hidden
            .iter_mut()
            .chain(std::iter::once(&mut model.output));
        for (linear, pair) in layers.zip(sizes.windows(2)) {
            let (d_input, d_output) = (pair[0], pair[1]);
            let (weights, biases) = self.init.sample(d_input, d_output, &mut rng);
            linear.weight = Param::from_data(TensorData::new(weights, [d_input, d_output]), device);
            linear.bias = Some(Param::from_data(
                TensorData::new(biases, [d_output]),
                device,
            ));
        }
        Ok(model)
    }
}

/// The ChaCha8 stream of [`MlpInit::init_seeded`] (the data crate uses streams 0 and
/// `1 + epoch` of the same seed for the split and the shuffles).
pub const WEIGHT_STREAM: u64 = u64::MAX;

/// The multi-layer perceptron.
#[derive(Module, Debug)]
pub struct Mlp {
    /// The hidden linear layers, in order.
    pub hidden: Vec<Linear>,
    /// One activation after each hidden layer.
    pub activations: Vec<Activation>,
    /// The output layer (logits).
    pub output: Linear,
    /// The output activation (softmax) if configured.
    pub output_activation: Option<Activation>,
}

impl Mlp {
    /// The logits.
    ///
    /// # Shapes
    /// - input: `[batch, input_size]`
    /// - output: `[batch, output_size]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let hidden = self
            .hidden
            .iter()
            .zip(&self.activations)
            .fold(input, |x, (linear, activation)| {
                activation.forward(linear.forward(x))
            });
        self.output.forward(hidden)
    }

    /// Class probabilities: the configured output softmax of the logits (softmax over the
    /// classes when none is configured).
    ///
    /// # Shapes
    /// - input: `[batch, input_size]`
    /// - output: `[batch, output_size]`, rows summing to 1
    pub fn probabilities(&self, input: Tensor<2>) -> Tensor<2> {
        let logits = self.forward(input);
        match &self.output_activation {
            Some(activation) => activation.forward(logits),
            None => softmax(logits, 1),
        }
    }

    /// Learned activation parameters per hidden layer (PReLU slopes, Swish β); empty inner vectors
    /// for activations without any.
    pub fn learned_activation_values(&self) -> Result<Vec<Vec<f32>>, ModelError> {
        self.activations
            .iter()
            .map(Activation::learned_values)
            .collect()
    }
}
