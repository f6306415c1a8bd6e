//! Step timings for `actlab bench --pack`, measured in-process on real training images: a pack
//! of K members, the product's single-run step (its own feed and `train_steps`), and a bare
//! loop (the images as one resident f32 tensor, `select`, forward, backward, Burn's Adam).
//! Each waits for the device once after its warm-up steps and once after the timed ones.

use std::time::Instant;

use actlab_data::{Scaling, Split};
use actlab_format::activation::ActivationConfig;
use actlab_format::model::{Init, MlpConfig};
use actlab_model::{Mlp, MlpInit, Network, PackedMlp};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Int, Tensor, TensorData};

use actlab_format::config::{BackendSection, OptimizerConfig};

use super::step::PackStep;
use crate::backend::{self, Backend};
use crate::error::TrainError;
use crate::feed::TrainFeed;
use crate::step::{Flow, train_steps};

/// The batch size of every timing (the article's).
pub const BATCH: usize = 64;
/// Images of the bare loop's resident tensor (the measurement: 6,000).
pub const BARE_IMAGES: usize = 6_000;

/// Which training step to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// K members packed (activations: the sweep's 13 defaults, ⌈K/13⌉ consecutive members each;
    /// rates 1e-3 · (1 + j/10) for the j-th member).
    Pack(usize),
    /// K members of one activation (ReLU) at K rates: a tuning stage's pack, one activation
    /// call per layer.
    PackOneActivation(usize),
    /// `actlab train`'s step: its feed for this backend and `train_steps` (`prelu-mlp`).
    Product,
    /// The product's step with host batches uploaded per step (the wgpu path before resident
    /// f32 chunks).
    ProductHostBatches,
    /// A bare loop: 6,000 images as one f32 tensor on the device, `select`, forward,
    /// backward, Adam.
    Bare,
}

fn model_config(activation: ActivationConfig) -> MlpConfig {
    MlpConfig {
        input_size: 784,
        hidden: vec![128],
        activation,
        output_size: 10,
        output_activation: None,
        init: Init::Pytorch,
    }
}

/// The device's clock: waits for `t` and returns.
fn sync(t: Tensor<1>, backend: &Backend) -> Result<(), TrainError> {
    t.try_into_data()
        .map(|_| ())
        .map_err(|e| TrainError::Device {
            backend: backend.name.as_str(),
            message: e.to_string(),
        })
}

/// A fixed walk through `n` images: step `i` takes [`BATCH`] consecutive ones (mod `n`).
fn ids(i: usize, n: usize) -> Vec<u32> {
    (0..BATCH).map(|j| ((i * BATCH + j) % n) as u32).collect()
}

/// Seconds per step of `subject` on `section`'s backend: `warmup` steps, then `steps` timed.
pub fn time_steps(
    section: &BackendSection,
    split: &Split,
    subject: Subject,
    warmup: usize,
    steps: usize,
) -> Result<f64, TrainError> {
    let backend = backend::device(section)?;
    let timing = Timing {
        backend: &backend,
        device: backend.device.clone().autodiff(),
        split,
        warmup,
        total: warmup + steps,
    };
    let seconds = match subject {
        Subject::Pack(k) | Subject::PackOneActivation(k) => timing.pack(k)?,
        Subject::Product => timing.product(TrainFeed::new(split, &backend, &timing.device))?,
        Subject::ProductHostBatches => timing.product(TrainFeed::Host {
            split,
            table: Scaling::Unit.table(),
            device: timing.device.clone(),
        })?,
        Subject::Bare => timing.bare()?,
    };
    Ok(seconds / steps.max(1) as f64)
}

/// One timing: where, on what, and how many steps (the first `warmup` untimed).
struct Timing<'a> {
    backend: &'a Backend,
    device: burn::tensor::Device,
    split: &'a Split,
    warmup: usize,
    total: usize,
}

impl Timing<'_> {
    /// Runs `step(i)` for every step; returns the seconds of the timed steps.
    fn time(
        &self,
        mut step: impl FnMut(usize) -> Result<Tensor<1>, TrainError>,
    ) -> Result<f64, TrainError> {
        let mut clock = Instant::now();
        for i in 0..self.total {
            let loss = step(i)?;
            self.mark(i, loss, &mut clock)?;
        }
        Ok(clock.elapsed().as_secs_f64())
    }

    /// After step `i`: waits for the device after the warm-up (and restarts `clock`) and at
    /// the end.
    fn mark(&self, i: usize, loss: Tensor<1>, clock: &mut Instant) -> Result<(), TrainError> {
        if i + 1 == self.warmup || i + 1 == self.total {
            sync(loss, self.backend)?;
            if i + 1 == self.warmup {
                *clock = Instant::now();
            }
        }
        Ok(())
    }

    /// A pack of `k`, activation-major as a sweep's pack comes (a tuning pack's rates of one
    /// activation side by side), so members of one activation share its call.
    fn pack(&self, k: usize) -> Result<f64, TrainError> {
        let kinds = actlab_format::sweep::default_activations();
        let per_kind = k.div_ceil(kinds.len());
        let configs: Vec<ActivationConfig> = (0..k)
            .map(|j| kinds[(j / per_kind) % kinds.len()].clone())
            .collect();
        let members = configs
            .iter()
            .map(|c| model_config(c.clone()).init_seeded(&self.device, 1))
            .collect::<Result<Vec<Mlp>, _>>()?;
        let mut pack = PackStep::new(PackedMlp::new(&members, &configs)?, 0.0);
        let lrs: Vec<f64> = (0..k)
            .map(|j| 1e-3 * (1.0 + (j / 13) as f64 / 10.0))
            .collect();
        let feed = TrainFeed::new(self.split, self.backend, &self.device);
        let n = self.split.len();
        self.time(|i| {
            let b = feed.batch(&ids(i, n))?;
            Ok(pack.step(b.images, b.targets, &lrs).0.inner())
        })
    }

    /// The product's step (`prelu-mlp`, Adam) through `train_steps` on `feed`.
    fn product(&self, feed: TrainFeed) -> Result<f64, TrainError> {
        let mut model =
            Network::Mlp(model_config(ActivationConfig::prelu()).init_seeded(&self.device, 1)?);
        let config = OptimizerConfig::Adam {
            lr: 1e-3,
            weight_decay: 0.0,
        };
        let mut optim = crate::optim::build(&config, &model, &self.backend.device);
        let n = self.split.len();
        let mut clock = Instant::now();
        for (range, mark) in [(0..self.warmup, true), (self.warmup..self.total, false)] {
            let mut last = None;
            let (trained, _) = train_steps(
                model,
                &mut optim,
                1e-3,
                range,
                |i| feed.batch(&ids(i, n)),
                |_, r| {
                    last = Some(r.loss);
                    Ok::<_, actlab_data::DataError>(Flow::Continue)
                },
            )?;
            model = trained;
            if let Some(loss) = last {
                sync(loss.inner(), self.backend)?;
            }
            if mark {
                clock = Instant::now();
            }
        }
        Ok(clock.elapsed().as_secs_f64())
    }

    /// A bare loop: [`BARE_IMAGES`] images as one f32 tensor on the device, `select`, forward,
    /// backward, Burn's Adam.
    fn bare(&self) -> Result<f64, TrainError> {
        let device = &self.device;
        let rows = BARE_IMAGES.min(self.split.len());
        let table = Scaling::Unit.table();
        let values: Vec<f32> = self.split.pixels()[..rows * 784]
            .iter()
            .map(|&p| table[usize::from(p)])
            .collect();
        let images = Tensor::<2>::from_data(TensorData::new(values, [rows, 784]), device);
        let labels: Vec<i64> = self.split.labels()[..rows]
            .iter()
            .map(|&l| i64::from(l))
            .collect();
        let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [rows]), device);
        let mut model = model_config(ActivationConfig::prelu()).init_seeded(device, 1)?;
        let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
        let loss_fn = CrossEntropyLossConfig::new().init(device);
        let mut clock = Instant::now();
        for i in 0..self.total {
            let at: Vec<i64> = ids(i, rows).into_iter().map(i64::from).collect();
            let at = Tensor::<1, Int>::from_data(TensorData::new(at, [BATCH]), device);
            let x = images.clone().select(0, at.clone());
            let y = labels.clone().select(0, at);
            let loss = loss_fn.forward(model.forward(x), y);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model, grads);
            self.mark(i, loss.inner(), &mut clock)?;
        }
        Ok(clock.elapsed().as_secs_f64())
    }
}
