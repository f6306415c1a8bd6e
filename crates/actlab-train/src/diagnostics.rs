//! Per-layer diagnostics on a fixed probe batch: the L2 norm of each layer's weight gradient,
//! the fraction of dead and of saturated hidden units, and the activations' learned parameters.
//!
//! A hidden unit is **dead** when its activation's derivative is at most [`DEAD_DERIVATIVE`] in
//! magnitude for every probe image (a ReLU unit whose input is ≤ 0 everywhere; a sigmoid unit
//! pinned to 0 or 1), and **saturated** when it is below [`SATURATED_DERIVATIVE`] for every probe
//! image. Derivatives come from autodiff of the activation module itself, so every activation —
//! including learned PReLU slopes and Swish β — is measured the same way.
//!
//! "Dead" is a threshold on f′ that Leaky ReLU (f′ = 0.01 below 0) and PReLU can never reach, so
//! a unit is also measured by where its input lies: **inactive** when its input is ≤ 0 for every
//! probe image — never on the positive side. For ReLU those are exactly the dead units (f′ = 0
//! there, by the derivative this crate uses at 0); a Leaky ReLU or PReLU unit can be inactive
//! too, and — still receiving a gradient — can leave that state, which is what "fewer dead
//! units" asks of them.

use crate::error::TrainError;
use actlab_data::{Scaling, Split};
use actlab_model::{Activation, Network};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Int, Tensor};

use actlab_format::state::{DiagnosticRow, LayerDiagnostics};

/// At most this |f′(z)| on every probe image: a dead unit.
pub const DEAD_DERIVATIVE: f64 = 1e-6;
/// Below this |f′(z)| on every probe image: a saturated unit.
pub const SATURATED_DERIVATIVE: f64 = 0.01;
/// Probe images (the first validation images, else the first training images).
pub const PROBE_IMAGES: usize = 256;

fn read(tensor: Tensor<1>) -> Result<Vec<f32>, TrainError> {
    let data = tensor.try_into_data().map_err(|e| TrainError::Device {
        backend: "diagnostics",
        message: e.to_string(),
    })?;
    Ok(data.iter::<f32>().collect())
}

/// [`probe`] on the probe batch of a run after `epoch` epochs: the first [`PROBE_IMAGES`] of
/// `pools` (validation indices, then training indices) that is not empty; with `fixed`, as
/// many as that (a training batch, padded with the first image) so that backends that compile
/// a kernel per shape compile none. The trainer and packs measure through this one function.
pub fn probe_epoch(
    model: &Network,
    split: &Split,
    pools: [&[u32]; 2],
    fixed: Option<usize>,
    epoch: usize,
) -> Result<Vec<DiagnosticRow>, TrainError> {
    let pool = pools.into_iter().find(|p| !p.is_empty()).unwrap_or(&[]);
    let size = fixed.unwrap_or(PROBE_IMAGES);
    let mut ids: Vec<u32> = pool.iter().copied().take(size).collect();
    if fixed.is_some() {
        let first = ids.first().copied().unwrap_or(0);
        ids.resize(size, first);
    }
    let device = model.device();
    let batch = split.batch_with_table(&ids, &Scaling::Unit.table(), &device)?;
    Ok(probe(model, batch.images, batch.targets)?
        .into_iter()
        .map(|layer| DiagnosticRow { epoch, layer })
        .collect())
}

/// Measures `model` (on an autodiff device) on a probe batch. Nothing is changed: gradients are
/// computed and dropped, no optimizer steps, and the probe runs on a copy with its own
/// BatchNorm running statistics (a forward pass in training mode would update them).
///
/// One row per layer that feeds a hidden activation (an MLP's hidden layers; a CNN's
/// convolutions — a residual block's second row is its second convolution and projection —
/// and dense layers), then the output layer. A unit is a width of a dense layer or a channel of
/// a convolution: dead or saturated means so at every probe image *and* position.
///
/// # Shapes
/// - `images`: `[n, input_size]` on the model's device
/// - `targets`: `[n]`
pub fn probe(
    model: &Network,
    images: Tensor<2>,
    targets: Tensor<1, Int>,
) -> Result<Vec<LayerDiagnostics>, TrainError> {
    let model = model.valid().train();
    let device = images.device();
    let mut inputs: Vec<(Tensor<3>, Activation)> = Vec::new();
    let logits = model.forward_traced(images, &mut |z, activation| {
        inputs.push((z.detach(), activation.clone()))
    });
    let loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(logits, targets);
    let grads = loss.backward();
    let squares = model.weight_gradient_squares(&grads);
    let mut out = Vec::with_capacity(squares.len());
    for (i, square) in squares.into_iter().enumerate() {
        let grad_norm = match square {
            Some(s) => f64::from(read(s)?.first().copied().unwrap_or(0.0)).sqrt(),
            None => 0.0,
        };
        let mut row = LayerDiagnostics {
            layer: i + 1,
            grad_norm,
            dead_fraction: None,
            saturated_fraction: None,
            learned_mean: None,
            inactive_fraction: None,
        };
        if let Some((z, activation)) = inputs.get(i) {
            let highest = read(z.clone().max_dim(2).max_dim(0).flatten::<1>(0, 2))?;
            row.inactive_fraction = Some(
                highest.iter().filter(|&&v| v <= 0.0).count() as f64 / highest.len().max(1) as f64,
            );
            let z = z.clone().require_grad();
            let y = activation.forward(z.clone());
            let derivative = z
                .grad(&y.sum().backward())
                .map(|d| d.abs().max_dim(2).max_dim(0).flatten::<1>(0, 2));
            let largest = match derivative {
                Some(d) => read(d)?,
                None => Vec::new(),
            };
            let units = largest.len().max(1) as f64;
            let share = |test: &dyn Fn(f64) -> bool| {
                largest.iter().filter(|&&d| test(f64::from(d))).count() as f64 / units
            };
            row.dead_fraction = Some(share(&|d| d <= DEAD_DERIVATIVE));
            row.saturated_fraction = Some(share(&|d| d < SATURATED_DERIVATIVE));
            // One number per layer for a slope or a β; a rational's coefficients have no
            // meaningful mean (they stay in summary.json).
            let learned = match activation {
                Activation::Rational(_) => Vec::new(),
                _ => activation.learned_values()?,
            };
            if !learned.is_empty() {
                row.learned_mean =
                    Some(learned.iter().map(|&v| f64::from(v)).sum::<f64>() / learned.len() as f64);
            }
        }
        out.push(row);
    }
    Ok(out)
}
