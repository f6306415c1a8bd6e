//! The one training step in actlab: forward, cross-entropy on the logits, backward, optimizer
//! step. The trainer's epochs and `actlab diagnose`'s K steps both run through [`train_steps`].

use std::ops::Range;

use actlab_data::MnistBatch;
use actlab_model::Network;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Int, Tensor};

/// What one step leaves on the device (nothing is read back here: the caller decides when to
/// synchronise).
#[derive(Debug, Clone)]
pub struct StepResult {
    /// The step's mean cross-entropy, detached, shape `[1]`.
    pub loss: Tensor<1>,
    /// How many images of the batch the model (before the update) classified correctly, `[1]`.
    pub hits: Tensor<1, Int>,
}

/// Whether [`train_steps`] goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Take the next step.
    Continue,
    /// Stop after this step.
    Stop,
}

/// Trains `model` (on an autodiff device) for the steps in `steps`: step `i` trains on
/// `batch(i)` at learning rate `lr`, then `after(i, result)` sees its loss and hit count and
/// may stop. Returns the trained model and the number of steps taken (`steps.end` unless
/// stopped early) — the model is returned even when stopped, so the caller can checkpoint it.
pub fn train_steps<E>(
    mut model: Network,
    optim: &mut ModuleOptimizer,
    lr: f64,
    steps: Range<usize>,
    mut batch: impl FnMut(usize) -> Result<MnistBatch, E>,
    mut after: impl FnMut(usize, StepResult) -> Result<Flow, E>,
) -> Result<(Network, usize), E> {
    if steps.is_empty() {
        return Ok((model, steps.start));
    }
    let device = model.device();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    for step in steps.clone() {
        let MnistBatch { images, targets } = batch(step)?;
        let rows = targets.dims()[0];
        let logits = model.forward(images);
        let hits = logits
            .clone()
            .detach()
            .argmax(1)
            .reshape([rows])
            .equal(targets.clone())
            .int()
            .sum();
        let loss = loss_fn.forward(logits, targets);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
        let result = StepResult {
            loss: loss.detach(),
            hits,
        };
        if after(step, result)? == Flow::Stop {
            return Ok((model, step + 1));
        }
    }
    Ok((model, steps.end))
}
