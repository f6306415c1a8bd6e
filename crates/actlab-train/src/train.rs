//! The training loop: a config and a dataset in, a run directory out.
//!
//! A hand-written loop rather than burn-train's `Learner`: the loop is ~150 lines; burn-train
//! (the `train` feature) would add a terminal dashboard, system-metrics and NVML crates to every
//! build and recompile Burn, and this loop needs things it does not offer in that form — a
//! checkpoint after any step on Ctrl-C that resumes bit-identically, the exact step at which the
//! loss stopped being finite, metric reads batched so the device is not synchronised every step.
//!
//! Per step: an index selection (CPU backends: the split is resident as bytes) or a host batch
//! (GPU backends), forward, cross-entropy, backward, optimizer step, and the step's loss and
//! correct count kept on the device. Every `report_every` steps they are read back together
//! (one synchronisation), summed on the host in f64 in step order, checked for NaN/inf and
//! reported.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use actlab_data::{
    DataError, DeviceLayout, DeviceSplit, MnistBatch, MnistData, Progress as DataProgress, Scaling,
    Sources, Split, epoch_order, train_validation,
};
use actlab_model::{ActivationConfig, Mlp};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Bytes, Device, Int, Tensor};

use crate::backend::{self, backend_name, fixed_shapes, resident_bytes};
use crate::checkpoint::{self, Checkpoint, CheckpointState, PartialEpoch, RngState};
use crate::config::{ConfigError, ExperimentConfig};
use crate::diagnostics::{self, DiagnosticRow};
use crate::error::TrainError;
use crate::optim;
use crate::run::{self, BURN_VERSION, EpochRecord, RunSummary, files, write_file};

/// What a run tells whoever is watching. Every method defaults to nothing.
pub trait Observer {
    /// The run is set up and about to train.
    fn started(&mut self, _info: &RunInfo) {}
    /// An epoch begins (1-based).
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _steps: usize, _lr: f64) {}
    /// Progress inside an epoch, every `report_every` steps.
    fn steps(&mut self, _progress: &StepProgress) {}
    /// An epoch finished (metrics written, checkpoint saved).
    fn epoch_finished(&mut self, _record: &EpochRecord, _epochs: usize) {}
    /// The final weights are being evaluated on the test set.
    fn testing(&mut self, _images: usize) {}
}

/// An [`Observer`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {}

/// Facts about a run, once it is set up.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The run's name.
    pub name: String,
    /// The run directory.
    pub run_dir: PathBuf,
    /// The backend.
    pub backend: &'static str,
    /// The device spec.
    pub device: String,
    /// Trainable parameters.
    pub params: usize,
    /// Training images per epoch.
    pub train_samples: usize,
    /// Validation images.
    pub validation_samples: usize,
    /// Test images.
    pub test_samples: usize,
    /// Total epochs.
    pub epochs: usize,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Epochs already finished (resume).
    pub epochs_completed: usize,
    /// Steps already finished of the next epoch (resume).
    pub steps_into_epoch: usize,
}

/// Progress inside an epoch.
#[derive(Debug, Clone, Copy)]
pub struct StepProgress {
    /// 1-based epoch.
    pub epoch: usize,
    /// Total epochs.
    pub epochs: usize,
    /// Steps finished in this epoch.
    pub step: usize,
    /// Steps in the epoch.
    pub steps: usize,
    /// Mean loss of the epoch so far.
    pub loss: f64,
    /// Training accuracy of the epoch so far.
    pub accuracy: f64,
    /// Training images per second in this epoch so far.
    pub samples_per_second: f64,
}

/// Knobs that are not part of the experiment.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Set (e.g. by a Ctrl-C handler) to stop after the current step with a checkpoint.
    pub stop: Arc<AtomicBool>,
    /// Read metrics back and report every this many steps [25].
    pub report_every: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            stop: Arc::new(AtomicBool::new(false)),
            report_every: 25,
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every epoch ran; the summary is written.
    Finished(RunSummary),
    /// Stopped on request; the checkpoint holds the position.
    Interrupted {
        /// Epochs finished.
        epochs_completed: usize,
        /// Steps finished of the next epoch.
        steps_into_epoch: usize,
    },
    /// `--resume` on a run that already has all its epochs.
    AlreadyComplete(RunSummary),
}

/// Finds and loads the dataset a config names: `[data] dir` first, then the usual sources.
pub fn load_data(
    config: &ExperimentConfig,
    mut sources: Sources,
    progress: &mut dyn DataProgress,
) -> Result<MnistData, TrainError> {
    if let Some(dir) = &config.data.dir {
        sources.config_dir = Some(dir.clone());
    }
    let located = actlab_data::locate(config.data.dataset, &sources, progress)?;
    Ok(actlab_data::load_dir(&located.dir, config.data.dataset)?)
}

/// Starts a fresh run in `config.run_dir()`. Refuses to touch a directory that already holds a
/// run.
pub fn train(
    config: &ExperimentConfig,
    data: &MnistData,
    options: &TrainOptions,
    observer: &mut dyn Observer,
) -> Result<Outcome, TrainError> {
    let run_dir = config.run_dir();
    for (file, found) in [
        (files::CHECKPOINT, "a checkpoint"),
        (files::SUMMARY, "a summary.json"),
        (files::MODEL, "final weights"),
    ] {
        if run_dir.join(file).exists() {
            return Err(TrainError::RunExists {
                dir: run_dir,
                found: found.into(),
            });
        }
    }
    std::fs::create_dir_all(&run_dir).map_err(TrainError::io(&run_dir))?;
    start(config, data, &run_dir, None, options, observer)
}

/// Records the resolved config in `run_dir` and runs the loop (from `checkpoint`, if any).
fn start(
    config: &ExperimentConfig,
    data: &MnistData,
    run_dir: &Path,
    checkpoint: Option<Checkpoint>,
    options: &TrainOptions,
    observer: &mut dyn Observer,
) -> Result<Outcome, TrainError> {
    let mut resolved = config.clone();
    resolved.model = config.model.resolved()?;
    resolved.name = Some(run_name(config, run_dir));
    resolved.output.dir = Some(run_dir.to_path_buf());
    resolved.write_atomic(&run_dir.join(files::CONFIG))?;
    Trainer::new(&resolved, data, run_dir)?.run(checkpoint, options, observer)
}

/// The config recorded in `run_dir`, for [`resume`]; `epochs` raises (or confirms) the total.
pub fn resume_config(
    run_dir: &Path,
    epochs: Option<usize>,
) -> Result<ExperimentConfig, TrainError> {
    let path = run_dir.join(files::CONFIG);
    if !path.is_file() {
        return Err(TrainError::NoCheckpoint {
            dir: run_dir.to_path_buf(),
            reason: format!("{} is missing", path.display()),
        });
    }
    let mut config = ExperimentConfig::load(&path)?;
    if let Some(epochs) = epochs {
        config.train.epochs = epochs;
        config.validate(&path)?;
    }
    config.output.dir = Some(run_dir.to_path_buf());
    Ok(config)
}

/// Continues the run in `config.run_dir()` from its checkpoint (see [`resume_config`]).
pub fn resume(
    config: &ExperimentConfig,
    data: &MnistData,
    options: &TrainOptions,
    observer: &mut dyn Observer,
) -> Result<Outcome, TrainError> {
    let run_dir = config.run_dir();
    let checkpoint = checkpoint::load(&run_dir)?;
    let done = checkpoint.state.epochs_completed;
    let too_few = |expected: String| -> TrainError {
        let path = run_dir.join(files::CONFIG);
        let value = config.train.epochs.to_string();
        ConfigError::invalid(&path, "train.epochs (--epochs)", value, expected).into()
    };
    if config.train.epochs < done {
        return Err(too_few(format!(
            "at least the {done} epochs this run has already trained"
        )));
    }
    if checkpoint.state.steps_into_epoch > 0 && config.train.epochs <= done {
        let next = done + 1;
        return Err(too_few(format!(
            "at least {next}: the run stopped part-way through epoch {next}"
        )));
    }
    if config.train.epochs == done
        && let Ok(summary) = RunSummary::load(&run_dir)
        && summary.epochs == done
    {
        return Ok(Outcome::AlreadyComplete(summary));
    }
    start(config, data, &run_dir, Some(checkpoint), options, observer)
}

fn run_name(config: &ExperimentConfig, run_dir: &Path) -> String {
    config.name.clone().unwrap_or_else(|| {
        run_dir
            .file_name()
            .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned())
    })
}

/// Training batches: resident bytes on CPU backends, host batches elsewhere.
#[allow(clippy::large_enum_variant)] // one per run; Burn's `Device` is what is large
enum TrainFeed<'a> {
    Resident(DeviceSplit),
    Host {
        split: &'a Split,
        table: [f32; 256],
        device: Device,
    },
}

impl TrainFeed<'_> {
    fn batch(&self, indices: &[u32]) -> Result<MnistBatch, DataError> {
        match self {
            TrainFeed::Resident(split) => split.batch(indices),
            TrainFeed::Host {
                split,
                table,
                device,
            } => split.batch_with_table(indices, table, device),
        }
    }
}

/// Loss and accuracy of a model on some images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Images classified correctly.
    pub correct: usize,
    /// Images evaluated.
    pub count: usize,
}

/// Per-image results of a model on some images.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// The predicted class of each image (argmax of the logits).
    pub predicted: Vec<u8>,
    /// Its true class.
    pub labels: Vec<u8>,
    /// Its cross-entropy.
    pub losses: Vec<f32>,
}

impl Predictions {
    /// Mean loss and accuracy.
    pub fn evaluation(&self) -> Evaluation {
        let count = self.labels.len();
        let correct = self
            .predicted
            .iter()
            .zip(&self.labels)
            .filter(|(p, l)| p == l)
            .count();
        let loss: f64 = self.losses.iter().map(|&l| f64::from(l)).sum();
        Evaluation {
            loss: loss / count.max(1) as f64,
            accuracy: correct as f64 / count.max(1) as f64,
            correct,
            count,
        }
    }
}

/// Runs `model` (an inference model on `device`) on `split[indices]` in batches of `batch`;
/// with `pad`, the last batch is padded to full size so a GPU backend compiles no new kernels
/// (the padding is dropped). Images are scaled to [0, 1], as in training.
pub fn predict_split(
    model: &Mlp,
    split: &Split,
    indices: &[u32],
    batch: usize,
    pad: bool,
    device: &Device,
) -> Result<Predictions, TrainError> {
    let table = Scaling::Unit.table();
    let read_error = |e: &dyn std::fmt::Display| TrainError::Device {
        backend: "evaluation",
        message: e.to_string(),
    };
    let mut out = Predictions {
        predicted: Vec::with_capacity(indices.len()),
        labels: Vec::with_capacity(indices.len()),
        losses: Vec::with_capacity(indices.len()),
    };
    for chunk in indices.chunks(batch.max(1)) {
        let mut ids = chunk.to_vec();
        if pad && ids.len() < batch {
            ids.resize(batch, chunk[0]);
        }
        let MnistBatch { images, targets } = split.batch_with_table(&ids, &table, device)?;
        let n = ids.len();
        let logits = model.forward(images);
        let predicted = logits.clone().argmax(1).reshape([n]);
        let nll = log_softmax(logits, 1)
            .gather(1, targets.reshape([n, 1]))
            .reshape([n])
            .neg();
        let nll = nll.try_into_data().map_err(|e| read_error(&e))?;
        let predicted = predicted.try_into_data().map_err(|e| read_error(&e))?;
        out.losses.extend(nll.iter::<f32>().take(chunk.len()));
        out.predicted
            .extend(predicted.iter::<i64>().take(chunk.len()).map(|p| p as u8));
        out.labels
            .extend(chunk.iter().map(|&i| split.labels()[i as usize]));
    }
    Ok(out)
}

/// Mean loss and accuracy of `model` on `split[indices]` (see [`predict_split`]).
pub fn evaluate(
    model: &Mlp,
    split: &Split,
    indices: &[u32],
    batch: usize,
    pad: bool,
    device: &Device,
) -> Result<Evaluation, TrainError> {
    Ok(predict_split(model, split, indices, batch, pad, device)?.evaluation())
}

/// The evaluation batch on a backend: the training batch (padded) where shapes must stay fixed,
/// else 1000.
pub fn eval_batch(backend: crate::BackendName, train_batch: usize) -> (usize, bool) {
    if fixed_shapes(backend) {
        (train_batch, true)
    } else {
        (1000, false)
    }
}

struct Trainer<'a> {
    config: &'a ExperimentConfig,
    data: &'a MnistData,
    run_dir: PathBuf,
    base: Device,
    device: Device,
    train_ix: Vec<u32>,
    validation_ix: Vec<u32>,
    test_ix: Vec<u32>,
    steps: usize,
}

/// The sums of an epoch in progress.
struct EpochSums {
    partial: PartialEpoch,
    losses: Vec<Tensor<1>>,
    hits: Vec<Tensor<1, Int>>,
}

impl<'a> Trainer<'a> {
    fn new(
        config: &'a ExperimentConfig,
        data: &'a MnistData,
        run_dir: &Path,
    ) -> Result<Self, TrainError> {
        let base = backend::device(&config.backend)?;
        let device = base.clone().autodiff();
        let split = train_validation(
            data.train.len(),
            config.data.validation_size,
            config.data.holdout,
            config.train.seed,
        )?;
        let mut train_ix = split.train;
        if let Some(limit) = config.data.train_limit {
            train_ix.truncate(limit);
        }
        let test_count = config
            .data
            .test_limit
            .map_or(data.test.len(), |l| l.min(data.test.len()));
        let test_ix: Vec<u32> = (0..test_count as u32).collect();
        let batch = config.train.batch_size;
        let steps = train_ix.len() / batch;
        if steps == 0 {
            return Err(TrainError::TooFewImages {
                images: train_ix.len(),
                batch_size: batch,
            });
        }
        Ok(Trainer {
            config,
            data,
            run_dir: run_dir.to_path_buf(),
            base,
            device,
            train_ix,
            validation_ix: split.validation,
            test_ix,
            steps,
        })
    }

    fn backend(&self) -> &'static str {
        backend_name(self.config.backend.name)
    }

    fn read_error(&self, error: impl std::fmt::Display) -> TrainError {
        TrainError::Device {
            backend: self.backend(),
            message: error.to_string(),
        }
    }

    fn eval_batch(&self) -> (usize, bool) {
        eval_batch(self.config.backend.name, self.config.train.batch_size)
    }

    fn run(
        self,
        checkpoint: Option<Checkpoint>,
        options: &TrainOptions,
        observer: &mut dyn Observer,
    ) -> Result<Outcome, TrainError> {
        let config = self.config;
        let mlp = config.model.resolve()?;
        let seed = config.train.seed;
        let epochs = config.train.epochs;
        let batch = config.train.batch_size;
        let mut model = mlp.init_seeded(&self.device, seed)?;

        let mut history = Vec::new();
        let mut diagnostics: Vec<DiagnosticRow> = Vec::new();
        let mut first_epoch = 1;
        // (step, sums) to continue the first epoch from.
        let mut resumed: Option<(usize, PartialEpoch)> = None;
        let mut optimizer_state = None;
        if let Some(cp) = checkpoint {
            let model_path = checkpoint::dir(&self.run_dir).join(&cp.state.model_file);
            model = run::load_weights(model, &model_path, cp.model)?;
            history = cp.state.history;
            diagnostics = cp.state.diagnostics;
            first_epoch = cp.state.epochs_completed + 1;
            if cp.state.steps_into_epoch > 0 {
                resumed = Some((
                    cp.state.steps_into_epoch,
                    cp.state.partial.unwrap_or_default(),
                ));
            }
            optimizer_state = Some((
                checkpoint::dir(&self.run_dir).join(&cp.state.optimizer_file),
                cp.optimizer,
            ));
        }
        // Built after loading: the optimizer's groups and state are keyed by the parameter ids
        // the checkpoint restored.
        let mut optim = optim::build(&config.train.optimizer, &model, &self.base);
        if let Some((path, bytes)) = optimizer_state {
            optim = optim
                .from_bytes(Bytes::from_bytes_vec(bytes))
                .map_err(|e| TrainError::Corrupt {
                    path,
                    message: format!("not an optimizer state: {e}"),
                })?;
        }

        let feed = if resident_bytes(config.backend.name) {
            TrainFeed::Resident(DeviceSplit::new(
                &self.data.train,
                &self.device,
                DeviceLayout::Bytes,
                Scaling::Unit,
            ))
        } else {
            TrainFeed::Host {
                split: &self.data.train,
                table: Scaling::Unit.table(),
                device: self.device.clone(),
            }
        };
        let loss_fn = CrossEntropyLossConfig::new().init(&self.device);
        let params = model.num_params();
        observer.started(&RunInfo {
            name: run_name(config, &self.run_dir),
            run_dir: self.run_dir.clone(),
            backend: self.backend(),
            device: config.backend.device.to_string(),
            params,
            train_samples: self.steps * batch,
            validation_samples: self.validation_ix.len(),
            test_samples: self.test_ix.len(),
            epochs,
            steps_per_epoch: self.steps,
            epochs_completed: first_epoch - 1,
            steps_into_epoch: resumed.as_ref().map_or(0, |r| r.0),
        });

        if config.train.diagnostics && first_epoch == 1 && resumed.is_none() {
            diagnostics = self.diagnose(&model, 0)?;
        }
        for epoch in first_epoch..=epochs {
            let epoch_start = Instant::now();
            let lr = config.train.lr_at(epoch);
            let order = epoch_order(&self.train_ix, seed, (epoch - 1) as u64);
            let (first_step, partial) = resumed.take().unwrap_or_default();
            let mut sums = EpochSums {
                partial,
                losses: Vec::with_capacity(options.report_every),
                hits: Vec::with_capacity(options.report_every),
            };
            observer.epoch_started(epoch, epochs, self.steps, lr);
            let clock = Instant::now();
            let earlier_seconds = sums.partial.seconds;
            for step in first_step..self.steps {
                let ids = &order[step * batch..(step + 1) * batch];
                let MnistBatch { images, targets } = feed.batch(ids)?;
                let logits = model.forward(images);
                let hits = logits
                    .clone()
                    .detach()
                    .argmax(1)
                    .reshape([batch])
                    .equal(targets.clone())
                    .int()
                    .sum();
                let loss = loss_fn.forward(logits, targets);
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(lr, model, grads);
                sums.losses.push(loss.detach());
                sums.hits.push(hits);

                let finished = step + 1;
                if sums.losses.len() >= options.report_every
                    || finished == self.steps
                    || options.stop.load(Ordering::SeqCst)
                {
                    sums.partial.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
                    self.flush(&mut sums, epoch, finished)?;
                    let seen = sums.partial.seen as f64;
                    observer.steps(&StepProgress {
                        epoch,
                        epochs,
                        step: finished,
                        steps: self.steps,
                        loss: sums.partial.loss_sum / sums.partial.steps.max(1) as f64,
                        accuracy: sums.partial.correct as f64 / seen.max(1.0),
                        samples_per_second: (finished - first_step) as f64 * batch as f64
                            / clock.elapsed().as_secs_f64().max(1e-9),
                    });
                }
                // Read again: the observer (or a signal) may have asked to stop just now.
                if options.stop.load(Ordering::SeqCst) {
                    self.flush(&mut sums, epoch, finished)?;
                    sums.partial.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
                    self.save_checkpoint(
                        &model,
                        &optim,
                        epoch - 1,
                        finished,
                        Some(sums.partial),
                        &history,
                        &diagnostics,
                    )?;
                    return Ok(Outcome::Interrupted {
                        epochs_completed: epoch - 1,
                        steps_into_epoch: finished,
                    });
                }
            }
            let seconds = earlier_seconds + clock.elapsed().as_secs_f64();
            let (val_loss, val_acc) = if self.validation_ix.is_empty() {
                (None, None)
            } else {
                let (eval_batch, pad) = self.eval_batch();
                let eval = evaluate(
                    &model.valid(),
                    &self.data.train,
                    &self.validation_ix,
                    eval_batch,
                    pad,
                    &self.base,
                )?;
                (Some(eval.loss), Some(eval.accuracy))
            };
            let record = EpochRecord {
                epoch,
                train_loss: sums.partial.loss_sum / sums.partial.steps.max(1) as f64,
                train_acc: sums.partial.correct as f64 / (sums.partial.seen.max(1)) as f64,
                val_loss,
                val_acc,
                lr,
                seconds,
                // Everything but the checkpoint and metrics writes that follow (milliseconds).
                wall_seconds: epoch_start.elapsed().as_secs_f64(),
            };
            history.push(record.clone());
            if config.train.diagnostics {
                diagnostics.extend(self.diagnose(&model, epoch)?);
            }
            self.save_checkpoint(&model, &optim, epoch, 0, None, &history, &diagnostics)?;
            write_file(
                self.run_dir.join(files::METRICS),
                run::metrics_csv(&history).as_bytes(),
            )?;
            if config.train.diagnostics {
                write_file(
                    self.run_dir.join(files::DIAGNOSTICS),
                    diagnostics::csv(&diagnostics).as_bytes(),
                )?;
            }
            observer.epoch_finished(&record, epochs);
            if options.stop.load(Ordering::SeqCst) && epoch < epochs {
                // Stopped during validation: this epoch's checkpoint is already on disk.
                return Ok(Outcome::Interrupted {
                    epochs_completed: epoch,
                    steps_into_epoch: 0,
                });
            }
        }

        observer.testing(self.test_ix.len());
        let summary = self.finish(&model, &mlp, &history, params)?;
        Ok(Outcome::Finished(summary))
    }

    /// Reads the pending per-step losses and hit counts (one synchronisation), adds them in step
    /// order, and stops the run at the first non-finite loss. `finished` steps of the epoch are
    /// done; the pending values are the last of them.
    fn flush(&self, sums: &mut EpochSums, epoch: usize, finished: usize) -> Result<(), TrainError> {
        if sums.losses.is_empty() {
            return Ok(());
        }
        let first_step = finished - sums.losses.len();
        let losses = Tensor::cat(std::mem::take(&mut sums.losses), 0)
            .try_into_data()
            .map_err(|e| self.read_error(e))?;
        let hits = Tensor::cat(std::mem::take(&mut sums.hits), 0)
            .try_into_data()
            .map_err(|e| self.read_error(e))?;
        let batch = self.config.train.batch_size as u64;
        for (i, (loss, hit)) in losses.iter::<f32>().zip(hits.iter::<i64>()).enumerate() {
            if !loss.is_finite() {
                return Err(TrainError::NonFinite {
                    epoch,
                    step: first_step + i + 1,
                    steps: self.steps,
                    loss,
                });
            }
            sums.partial.loss_sum += f64::from(loss);
            sums.partial.steps += 1;
            sums.partial.correct += u64::try_from(hit).unwrap_or(0);
            sums.partial.seen += batch;
        }
        Ok(())
    }

    /// The diagnostics of `model` after `epoch` epochs, on the probe batch: the first
    /// validation images (training images without a validation set); on GPU backends as many
    /// as a training batch, so no new kernels are compiled.
    fn diagnose(&self, model: &Mlp, epoch: usize) -> Result<Vec<DiagnosticRow>, TrainError> {
        let pool = if self.validation_ix.is_empty() {
            &self.train_ix
        } else {
            &self.validation_ix
        };
        let size = if fixed_shapes(self.config.backend.name) {
            self.config.train.batch_size
        } else {
            diagnostics::PROBE_IMAGES
        };
        let mut ids: Vec<u32> = pool.iter().copied().take(size).collect();
        if fixed_shapes(self.config.backend.name) {
            let first = ids.first().copied().unwrap_or(0);
            ids.resize(size, first);
        }
        let batch = self
            .data
            .train
            .batch_with_table(&ids, &Scaling::Unit.table(), &self.device)?;
        Ok(diagnostics::probe(model, batch.images, batch.targets)?
            .into_iter()
            .map(|layer| DiagnosticRow { epoch, layer })
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    fn save_checkpoint(
        &self,
        model: &Mlp,
        optim: &burn::optim::ModuleOptimizer,
        epochs_completed: usize,
        steps_into_epoch: usize,
        partial: Option<PartialEpoch>,
        history: &[EpochRecord],
        diagnostics: &[DiagnosticRow],
    ) -> Result<(), TrainError> {
        let cp_dir = checkpoint::dir(&self.run_dir);
        let corrupt = |e: burn::store::RecordError| TrainError::Corrupt {
            path: cp_dir.clone(),
            message: format!("cannot serialise the checkpoint: {e}"),
        };
        let model_bytes = model.valid().into_record().into_bytes().map_err(corrupt)?;
        let optim_bytes = optim.into_bytes().map_err(corrupt)?;
        let state = CheckpointState {
            format: checkpoint::FORMAT,
            epochs_completed,
            steps_into_epoch,
            partial,
            history: history.to_vec(),
            diagnostics: diagnostics.to_vec(),
            rng: RngState {
                algorithm: "chacha8".into(),
                seed: self.config.train.seed,
                stream: epochs_completed as u64 + 1,
                position: steps_into_epoch,
            },
            model_file: String::new(),
            optimizer_file: String::new(),
        };
        checkpoint::save(&self.run_dir, state, &model_bytes, &optim_bytes)
    }

    fn finish(
        &self,
        model: &Mlp,
        mlp: &actlab_model::MlpConfig,
        history: &[EpochRecord],
        params: usize,
    ) -> Result<RunSummary, TrainError> {
        let config = self.config;
        let inference = model.valid();
        let (eval_batch, pad) = self.eval_batch();
        let test = evaluate(
            &inference,
            &self.data.test,
            &self.test_ix,
            eval_batch,
            pad,
            &self.base,
        )?;
        let weights =
            inference
                .clone()
                .into_record()
                .into_bytes()
                .map_err(|e| TrainError::Corrupt {
                    path: self.run_dir.join(files::MODEL),
                    message: format!("cannot serialise the weights: {e}"),
                })?;
        write_file(self.run_dir.join(files::MODEL), &weights)?;

        let learned = inference.learned_activation_values();
        let best = history
            .iter()
            .filter_map(|r| r.val_acc.map(|a| (a, r.epoch)))
            .fold(None, |best: Option<(f64, usize)>, (a, e)| match best {
                Some((b, _)) if b >= a => best,
                _ => Some((a, e)),
            });
        let last = history.last();
        let train_seconds: f64 = history.iter().map(|r| r.seconds).sum();
        let samples = (self.steps * config.train.batch_size * history.len()) as f64;
        let summary = RunSummary {
            name: run_name(config, &self.run_dir),
            activation: mlp.activation.kind().to_string(),
            activation_label: mlp.activation.label(),
            layers: mlp.layer_sizes(),
            dataset: config.data.dataset.as_str().to_string(),
            backend: self.backend().to_string(),
            device: config.backend.device.to_string(),
            seed: config.train.seed,
            epochs: history.len(),
            batch_size: config.train.batch_size,
            optimizer: optimizer_kind(config),
            lr: config.train.optimizer.lr(),
            params,
            train_samples: self.steps * config.train.batch_size,
            validation_samples: self.validation_ix.len(),
            test_samples: test.count,
            test_accuracy: test.accuracy,
            test_correct: test.correct,
            test_loss: test.loss,
            best_val_accuracy: best.map(|b| b.0),
            best_val_epoch: best.map(|b| b.1),
            final_train_loss: last.map_or(f64::NAN, |r| r.train_loss),
            final_train_accuracy: last.map_or(f64::NAN, |r| r.train_acc),
            epoch_seconds: history.iter().map(|r| r.seconds).collect(),
            epoch_wall_seconds: history.iter().map(|r| r.wall_seconds).collect(),
            samples_per_second: samples / train_seconds.max(1e-9),
            prelu_slopes: matches!(mlp.activation, ActivationConfig::Prelu { .. })
                .then(|| learned.clone()),
            swish_beta: matches!(
                mlp.activation,
                ActivationConfig::Swish {
                    trainable: true,
                    ..
                }
            )
            .then(|| learned.iter().filter_map(|l| l.first().copied()).collect()),
            peak_rss_mb: run::peak_rss_mb(),
            burn_version: BURN_VERSION.to_string(),
            actlab_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let json = serde_json::to_vec_pretty(&summary).map_err(|e| TrainError::Corrupt {
            path: self.run_dir.join(files::SUMMARY),
            message: e.to_string(),
        })?;
        write_file(self.run_dir.join(files::SUMMARY), &json)?;
        Ok(summary)
    }
}

fn optimizer_kind(config: &ExperimentConfig) -> String {
    match config.train.optimizer {
        crate::config::OptimizerConfig::Adam { .. } => "adam",
        crate::config::OptimizerConfig::Adamw { .. } => "adamw",
        crate::config::OptimizerConfig::Sgd { .. } => "sgd",
    }
    .to_string()
}
