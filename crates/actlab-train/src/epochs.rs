//! What every training loop does around its steps — the trainer's one run and a pack's K runs —
//! written once so the two cannot drift:
//!
//! - [`run_epochs`]: the loop over epochs, with early stopping, Ctrl-C and `--pause-after`
//!   decided in one place for any [`EpochLoop`];
//! - [`Images`]: which images a run trains, validates and tests on;
//! - [`read_back`] and [`add_step`]: the per-step losses and hit counts, read back in one
//!   synchronisation and summed on the host in f64 in step order (so the sums do not depend on
//!   where a run was interrupted), a loss that is not finite stopping the run;
//! - [`close_epoch`] and [`after_checkpoint`]: one run's end of an epoch around its
//!   checkpoint — the record, the diagnostics, the best epoch's weights, the derived files.

use std::path::Path;
use std::sync::atomic::Ordering;

use actlab_data::{MnistData, train_validation};
use actlab_format::config::Experiment;
use actlab_format::state::{DiagnosticRow, EpochRecord, PartialEpoch, TrainState};
use actlab_model::Network;
use burn::module::Module;
use burn::tensor::{Int, Tensor};

use crate::backend::Backend;
use crate::control::TrainOptions;
use crate::error::TrainError;
use crate::evaluate::Evaluation;
use crate::run::{self, checkpoint};

/// Which images a run trains, validates and tests on, and its steps per epoch.
pub(crate) struct Images {
    pub(crate) train: Vec<u32>,
    pub(crate) validation: Vec<u32>,
    pub(crate) test: Vec<u32>,
    pub(crate) steps: usize,
}

impl Images {
    /// The run's split (seeded), `train_limit`/`test_limit` applied; an error when the training
    /// part makes no full batch.
    pub(crate) fn of(experiment: &Experiment, data: &MnistData) -> Result<Images, TrainError> {
        let split = train_validation(
            data.train.len(),
            experiment.data.validation_size,
            experiment.data.holdout,
            experiment.train.data_seed(),
        )?;
        let mut train = split.train;
        if let Some(limit) = experiment.data.train_limit {
            train.truncate(limit);
        }
        let test_count = experiment
            .data
            .test_limit
            .map_or(data.test.len(), |l| l.min(data.test.len()));
        let batch = experiment.train.batch_size;
        let steps = train.len() / batch;
        if steps == 0 {
            return Err(TrainError::TooFewImages {
                images: train.len(),
                batch_size: batch,
            });
        }
        Ok(Images {
            train,
            validation: split.validation,
            test: (0..test_count as u32).collect(),
            steps,
        })
    }

    /// Training images per epoch (whole batches) and validation images, for the summary.
    pub(crate) fn samples(&self, batch: usize) -> (usize, usize) {
        (self.steps * batch, self.validation.len())
    }
}

/// How an epoch's steps ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Steps {
    /// Every step ran; the epoch's sums are in each run's `TrainState::partial`.
    Done,
    /// Stopped on request, after the checkpoint of the steps taken (if any).
    Stopped,
}

/// How [`run_epochs`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoopEnd {
    /// Every epoch ran, or early stopping ended every run: the caller finishes.
    Finished,
    /// Ctrl-C or SIGTERM: checkpointed at this position.
    Interrupted {
        epochs_completed: usize,
        steps_into_epoch: usize,
    },
    /// `--pause-after`: checkpointed after this epoch.
    Paused { epochs_completed: usize },
}

/// A training loop in the trainer's shape: its steps over one epoch, then the epoch's end.
/// The trainer (one run) and a pack (K runs) implement it; [`run_epochs`] drives it. `State`
/// is what training changes (the model, optimizer and records), passed by value because a
/// training step consumes the model.
pub(crate) trait EpochLoop {
    /// Weights, optimizer state and the runs' records.
    type State;
    /// Epochs to train in all.
    fn epochs(&self) -> usize;
    /// Where training stands: epochs finished, steps into the next.
    fn position(&self, state: &Self::State) -> (usize, usize);
    /// Whether a run is left to train (early stopping may have ended every one).
    fn training(&self, state: &Self::State) -> bool;
    /// Epoch `epoch`'s steps from where the state stands. Stopped by Ctrl-C, it checkpoints
    /// the steps taken before it returns [`Steps::Stopped`].
    fn run_epoch(
        &mut self,
        state: Self::State,
        epoch: usize,
        options: &TrainOptions,
    ) -> Result<(Self::State, Steps), TrainError>;
    /// Validation, diagnostics, the checkpoint and the derived files after epoch `epoch`'s
    /// steps.
    fn end_epoch(&mut self, state: &mut Self::State, epoch: usize) -> Result<(), TrainError>;
}

/// The epochs of `lp` from where `state` stands: each epoch's steps and end, until the last
/// epoch, early stopping, Ctrl-C (at a step, or during an epoch's end: that epoch's
/// checkpoint is on disk) or `--pause-after`.
pub(crate) fn run_epochs<L: EpochLoop>(
    lp: &mut L,
    mut state: L::State,
    options: &TrainOptions,
) -> Result<(L::State, LoopEnd), TrainError> {
    let epochs = lp.epochs();
    for epoch in lp.position(&state).0 + 1..=epochs {
        if !lp.training(&state) {
            break;
        }
        let (next, steps) = lp.run_epoch(state, epoch, options)?;
        state = next;
        if steps == Steps::Stopped {
            let (epochs_completed, steps_into_epoch) = lp.position(&state);
            let end = LoopEnd::Interrupted {
                epochs_completed,
                steps_into_epoch,
            };
            return Ok((state, end));
        }
        lp.end_epoch(&mut state, epoch)?;
        if epoch < epochs && options.stop.load(Ordering::SeqCst) {
            let end = LoopEnd::Interrupted {
                epochs_completed: epoch,
                steps_into_epoch: 0,
            };
            return Ok((state, end));
        }
        if epoch < epochs && options.pause_after == Some(epoch) {
            let end = LoopEnd::Paused {
                epochs_completed: epoch,
            };
            return Ok((state, end));
        }
    }
    Ok((state, LoopEnd::Finished))
}

/// Steps whose loss and hit count are still on the device.
pub(crate) type Pending = Vec<(Tensor<1>, Tensor<1, Int>)>;

/// The pending losses and hit counts, read back in one synchronisation, step-major (a pack's
/// steps hold one value per member).
pub(crate) fn read_back(
    pending: Pending,
    backend: &Backend,
) -> Result<(Vec<f32>, Vec<i64>), TrainError> {
    let read_error = |e: &dyn std::fmt::Display| TrainError::Device {
        backend: backend.name.as_str(),
        message: e.to_string(),
    };
    let (losses, hits): (Vec<_>, Vec<_>) = pending.into_iter().unzip();
    let losses = Tensor::cat(losses, 0)
        .try_into_data()
        .map_err(|e| read_error(&e))?;
    let hits = Tensor::cat(hits, 0)
        .try_into_data()
        .map_err(|e| read_error(&e))?;
    Ok((losses.iter::<f32>().collect(), hits.iter::<i64>().collect()))
}

/// Where a step is: 1-based epoch, 1-based step, steps per epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepAt {
    pub(crate) epoch: usize,
    pub(crate) step: usize,
    pub(crate) steps: usize,
}

/// Adds one step's mean loss and hit count (of `batch` images) to an epoch's sums; a loss
/// that is not finite is the run's [`TrainError::NonFinite`], and nothing is added.
pub(crate) fn add_step(
    sums: &mut PartialEpoch,
    at: StepAt,
    loss: f32,
    hits: i64,
    batch: usize,
) -> Result<(), TrainError> {
    if !loss.is_finite() {
        return Err(TrainError::NonFinite {
            epoch: at.epoch,
            step: at.step,
            steps: at.steps,
            loss,
        });
    }
    sums.loss_sum += f64::from(loss);
    sums.steps += 1;
    sums.correct += u64::try_from(hits).unwrap_or(0);
    sums.seen += batch as u64;
    Ok(())
}

/// A finished epoch's record from its sums and validation.
pub(crate) fn record(
    epoch: usize,
    sums: &PartialEpoch,
    validation: Option<&Evaluation>,
    lr: f64,
    wall_seconds: f64,
) -> EpochRecord {
    EpochRecord {
        epoch,
        train_loss: sums.loss_sum / sums.steps.max(1) as f64,
        train_acc: sums.correct as f64 / sums.seen.max(1) as f64,
        val_loss: validation.map(|v| v.loss),
        val_acc: validation.map(|v| v.accuracy),
        lr,
        seconds: sums.seconds,
        wall_seconds,
    }
}

/// Diagnostics of a model after some epochs (`diagnostics::probe_epoch` on the run's images).
pub(crate) type Probe<'a> = dyn Fn(&Network, usize) -> Result<Vec<DiagnosticRow>, TrainError> + 'a;

/// One run's end of an epoch, before its checkpoint: `record` appended and the position moved
/// to the epoch's end; with `[train] diagnostics`, the model (from `model`, asked for only
/// when needed) probed; under early stopping with `restore_best`, a new best epoch's weights
/// written before the checkpoint that records their hash. Returns whether it was a new best
/// (for [`after_checkpoint`]).
pub(crate) fn close_epoch(
    experiment: &Experiment,
    run_dir: &Path,
    state: &mut TrainState,
    record: EpochRecord,
    model: &dyn Fn() -> Result<Network, TrainError>,
    probe: &Probe,
) -> Result<bool, TrainError> {
    let train = &experiment.train;
    let epoch = record.epoch;
    state.history.push(record);
    state.epochs_completed = epoch;
    state.steps_into_epoch = 0;
    state.partial = None;
    let new_best = train
        .early_stopping
        .is_some_and(|early| early.restore_best && early.decide(&state.history).0 == Some(epoch));
    if !(train.diagnostics || new_best) {
        return Ok(false);
    }
    let model = model()?;
    if train.diagnostics {
        let rows = probe(&model, epoch)?;
        state.diagnostics.extend(rows);
    }
    if new_best {
        let sha = checkpoint::write_best(run_dir, epoch, model.valid())?;
        state.best_weights_sha256 = Some(sha);
    }
    Ok(new_best)
}

/// One run's end of an epoch, after its checkpoint: the older best weights removed, the files
/// derived from the state written (`metrics.csv`, `diagnostics.csv`, TensorBoard). Returns
/// whether early stopping ends the run now.
pub(crate) fn after_checkpoint(
    experiment: &Experiment,
    run_dir: &Path,
    state: &TrainState,
    new_best: bool,
) -> Result<bool, TrainError> {
    if new_best {
        checkpoint::remove_older_best(run_dir, state.epochs_completed);
    }
    run::write_state_files(run_dir, experiment, &state.history, &state.diagnostics)?;
    Ok(stops_early(experiment, state))
}

/// Whether early stopping has ended a run with this history.
pub(crate) fn stops_early(experiment: &Experiment, state: &TrainState) -> bool {
    experiment
        .train
        .early_stopping
        .is_some_and(|early| early.decide(&state.history).1)
}
