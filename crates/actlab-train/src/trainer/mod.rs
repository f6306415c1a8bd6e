//! The training loop over epochs: restore (from a checkpoint, or fresh), run an epoch (batches
//! through [`train_steps`], metrics read back every `report_every` steps), end an epoch
//! (validation, diagnostics, checkpoint, `metrics.csv`), finish (test set, `model.bpk`,
//! `summary.json`).
//!
//! Per step: an index selection (CPU backends: the split is resident as bytes) or a host batch
//! (GPU backends), then [`train_steps`]'s one step; the step's loss and correct count stay on
//! the device. Every `report_every` steps they are read back together (one synchronisation),
//! summed on the host in f64 in step order — so the sums do not depend on where a run was
//! interrupted — checked for NaN/inf, and reported.

mod finish;
pub(crate) use finish::RunEnd;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use actlab_data::{MnistData, epoch_order, train_validation};
use actlab_model::{Mlp, MlpInit};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Bytes, Device, Int, Tensor};

use crate::backend::{self, Backend};
use crate::checkpoint::{self, Checkpoint, PartialEpoch, TrainState};
use crate::config::Experiment;
use crate::diagnostics::{self, DiagnosticRow};
use crate::error::TrainError;
use crate::evaluate::evaluate;
use crate::feed::TrainFeed;
use crate::observer::{Observer, RunInfo, StepProgress};
use crate::optim;
use crate::run::{self, EpochRecord};
use crate::session::{Outcome, TrainOptions};
use crate::step::{Flow, StepResult, train_steps};

/// The sums of an epoch in progress: what is already on the host, and the per-step values
/// still on the device.
struct EpochSums {
    partial: PartialEpoch,
    losses: Vec<Tensor<1>>,
    hits: Vec<Tensor<1, Int>>,
}

/// The model, its optimizer and where the run stands.
struct Live {
    model: Mlp,
    optim: ModuleOptimizer,
    state: TrainState,
}

/// How an epoch's steps ended.
enum EpochEnd {
    /// Every step ran; the epoch's training sums and seconds.
    Done(PartialEpoch),
    /// Stopped on request; the state holds the position.
    Stopped,
}

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
            experiment.train.seed,
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
}

pub(crate) struct Trainer<'a> {
    experiment: &'a Experiment,
    data: &'a MnistData,
    run_dir: PathBuf,
    backend: Backend,
    device: Device,
    train_ix: Vec<u32>,
    validation_ix: Vec<u32>,
    test_ix: Vec<u32>,
    steps: usize,
    restarted: bool,
}

impl<'a> Trainer<'a> {
    pub(crate) fn new(
        experiment: &'a Experiment,
        data: &'a MnistData,
        run_dir: &Path,
    ) -> Result<Self, TrainError> {
        let backend = backend::device(&experiment.backend)?;
        let device = backend.device.clone().autodiff();
        let images = Images::of(experiment, data)?;
        Ok(Trainer {
            experiment,
            data,
            run_dir: run_dir.to_path_buf(),
            backend,
            device,
            train_ix: images.train,
            validation_ix: images.validation,
            test_ix: images.test,
            steps: images.steps,
            restarted: false,
        })
    }

    /// Marks a fresh run that replaces an attempt which died before its first checkpoint.
    pub(crate) fn restarted(mut self, restarted: bool) -> Self {
        self.restarted = restarted;
        self
    }

    pub(crate) fn run(
        self,
        checkpoint: Option<Checkpoint>,
        options: &TrainOptions,
        observer: &mut dyn Observer,
    ) -> Result<Outcome, TrainError> {
        let mut live = self.restore(checkpoint)?;
        let feed = TrainFeed::new(&self.data.train, &self.backend, &self.device);
        let epochs = self.experiment.train.epochs;
        observer.started(&self.info(&live));
        let fresh = live.state.epochs_completed == 0 && live.state.steps_into_epoch == 0;
        if self.experiment.train.diagnostics && fresh {
            live.state.diagnostics = self.diagnose(&live.model, 0)?;
        }
        for epoch in live.state.epochs_completed + 1..=epochs {
            let early = self.experiment.train.early_stopping;
            if early.is_some_and(|early| early.decide(&live.state.history).1) {
                break;
            }
            let epoch_start = Instant::now();
            let (next, end) = self
                .run_epoch(live, epoch, &feed, options, observer)
                .inspect_err(|e| self.record_failure(e))?;
            live = next;
            let EpochEnd::Done(sums) = end else {
                self.save_checkpoint(&live)?;
                return Ok(Outcome::Interrupted {
                    epochs_completed: live.state.epochs_completed,
                    steps_into_epoch: live.state.steps_into_epoch,
                });
            };
            self.end_epoch(&mut live, epoch, sums, epoch_start, observer)?;
            if options.stop.load(Ordering::SeqCst) && epoch < epochs {
                // Stopped during validation: this epoch's checkpoint is already on disk.
                return Ok(Outcome::Interrupted {
                    epochs_completed: epoch,
                    steps_into_epoch: 0,
                });
            }
            if options.pause_after == Some(epoch) && epoch < epochs {
                // This epoch's checkpoint is on disk: resuming continues from it.
                return Ok(Outcome::Paused {
                    epochs_completed: epoch,
                });
            }
        }
        observer.testing(self.test_ix.len());
        Ok(Outcome::Finished(self.finish(live, &options.build)?))
    }

    /// The model, optimizer and position: freshly initialised from the seed, or restored from
    /// `checkpoint`.
    fn restore(&self, checkpoint: Option<Checkpoint>) -> Result<Live, TrainError> {
        let mut model = self
            .experiment
            .model()
            .init_seeded(&self.device, self.experiment.train.seed)?;
        let Some(cp) = checkpoint else {
            run::tensorboard::remove_leftovers(&self.run_dir);
            let optim = optim::build(
                &self.experiment.train.optimizer,
                &model,
                &self.backend.device,
            );
            return Ok(Live {
                model,
                optim,
                state: TrainState::default(),
            });
        };
        let cp_dir = checkpoint::dir(&self.run_dir);
        model = run::load_weights(model, &cp_dir.join(&cp.state.model_file), cp.model)?;
        // Built after loading: the optimizer's groups and state are keyed by the parameter ids
        // the checkpoint restored.
        let optim = optim::build(
            &self.experiment.train.optimizer,
            &model,
            &self.backend.device,
        )
        .from_bytes(Bytes::from_bytes_vec(cp.optimizer))
        .map_err(|e| TrainError::Corrupt {
            path: cp_dir.join(&cp.state.optimizer_file),
            message: format!("not an optimizer state: {e}"),
        })?;
        // The state is the record: a run killed between writing it and the CSVs gets CSVs that
        // match it again (rows of an epoch the state does not have are dropped, missing ones
        // written).
        let state = cp.state.train;
        self.write_state_files(&state)?;
        Ok(Live {
            model,
            optim,
            state,
        })
    }

    fn info(&self, live: &Live) -> RunInfo {
        RunInfo {
            name: self.experiment.name(),
            run_dir: self.run_dir.clone(),
            backend: self.backend.name.as_str(),
            device: self.experiment.backend.device.to_string(),
            params: live.model.num_params(),
            train_samples: self.steps * self.experiment.train.batch_size,
            validation_samples: self.validation_ix.len(),
            test_samples: self.test_ix.len(),
            epochs: self.experiment.train.epochs,
            steps_per_epoch: self.steps,
            epochs_completed: live.state.epochs_completed,
            steps_into_epoch: live.state.steps_into_epoch,
            restarted: self.restarted,
            adapter: crate::provenance::adapter(&self.backend),
        }
    }

    /// The training steps of `epoch` (from where the state stands), with progress reports.
    fn run_epoch(
        &self,
        live: Live,
        epoch: usize,
        feed: &TrainFeed,
        options: &TrainOptions,
        observer: &mut dyn Observer,
    ) -> Result<(Live, EpochEnd), TrainError> {
        let Live {
            model,
            mut optim,
            mut state,
        } = live;
        let train = &self.experiment.train;
        let (batch, epochs) = (train.batch_size, train.epochs);
        let lr = train.lr_at(epoch);
        let order = epoch_order(&self.train_ix, train.seed, (epoch - 1) as u64);
        let first_step = state.steps_into_epoch;
        let mut sums = EpochSums {
            partial: state.partial.take().unwrap_or_default(),
            losses: Vec::with_capacity(options.report_every),
            hits: Vec::with_capacity(options.report_every),
        };
        observer.epoch_started(epoch, epochs, self.steps, lr);
        let clock = Instant::now();
        let earlier_seconds = sums.partial.seconds;
        let mut stopped = false;
        let (model, finished) = train_steps(
            model,
            &mut optim,
            lr,
            first_step..self.steps,
            |step| Ok(feed.batch(&order[step * batch..(step + 1) * batch])?),
            |step, StepResult { loss, hits }| -> Result<Flow, TrainError> {
                sums.losses.push(loss);
                sums.hits.push(hits);
                let finished = step + 1;
                let stop = options.stop.load(Ordering::SeqCst);
                if sums.losses.len() >= options.report_every || finished == self.steps || stop {
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
                    stopped = true;
                    return Ok(Flow::Stop);
                }
                Ok(Flow::Continue)
            },
        )?;
        let end = if stopped {
            state.steps_into_epoch = finished;
            state.partial = Some(sums.partial);
            EpochEnd::Stopped
        } else {
            sums.partial.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
            EpochEnd::Done(sums.partial)
        };
        Ok((
            Live {
                model,
                optim,
                state,
            },
            end,
        ))
    }

    /// Validation, diagnostics, checkpoint and `metrics.csv` after `epoch`'s steps.
    fn end_epoch(
        &self,
        live: &mut Live,
        epoch: usize,
        sums: PartialEpoch,
        epoch_start: Instant,
        observer: &mut dyn Observer,
    ) -> Result<(), TrainError> {
        let train = &self.experiment.train;
        let (val_loss, val_acc) = if self.validation_ix.is_empty() {
            (None, None)
        } else {
            let eval = evaluate(
                &live.model.valid(),
                &self.data.train,
                &self.validation_ix,
                &self.backend,
                train.batch_size,
            )?;
            (Some(eval.loss), Some(eval.accuracy))
        };
        let record = EpochRecord {
            epoch,
            train_loss: sums.loss_sum / sums.steps.max(1) as f64,
            train_acc: sums.correct as f64 / (sums.seen.max(1)) as f64,
            val_loss,
            val_acc,
            lr: train.lr_at(epoch),
            seconds: sums.seconds,
            // Everything but the checkpoint and metrics writes that follow (milliseconds).
            wall_seconds: epoch_start.elapsed().as_secs_f64(),
        };
        let state = &mut live.state;
        state.history.push(record.clone());
        state.epochs_completed = epoch;
        state.steps_into_epoch = 0;
        state.partial = None;
        if train.diagnostics {
            let rows = self.diagnose(&live.model, epoch)?;
            live.state.diagnostics.extend(rows);
        }
        // Early stopping that restores the best epoch keeps that epoch's weights: written
        // before the state that records their hash, older ones removed after it.
        let new_best = train.early_stopping.is_some_and(|early| {
            early.restore_best && early.decide(&live.state.history).0 == Some(epoch)
        });
        if new_best {
            let sha = checkpoint::write_best(&self.run_dir, epoch, live.model.valid())?;
            live.state.best_weights_sha256 = Some(sha);
        }
        self.save_checkpoint(live)?;
        if new_best {
            checkpoint::remove_older_best(&self.run_dir, epoch);
        }
        self.write_state_files(&live.state)?;
        observer.epoch_finished(&record, train.epochs);
        Ok(())
    }

    /// Reads the pending per-step losses and hit counts (one synchronisation), adds them in step
    /// order, and stops the run at the first non-finite loss. `finished` steps of the epoch are
    /// done; the pending values are the last of them.
    fn flush(&self, sums: &mut EpochSums, epoch: usize, finished: usize) -> Result<(), TrainError> {
        if sums.losses.is_empty() {
            return Ok(());
        }
        let read_error = |e: &dyn std::fmt::Display| TrainError::Device {
            backend: self.backend.name.as_str(),
            message: e.to_string(),
        };
        let first_step = finished - sums.losses.len();
        let losses = Tensor::cat(std::mem::take(&mut sums.losses), 0)
            .try_into_data()
            .map_err(|e| read_error(&e))?;
        let hits = Tensor::cat(std::mem::take(&mut sums.hits), 0)
            .try_into_data()
            .map_err(|e| read_error(&e))?;
        let batch = self.experiment.train.batch_size as u64;
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

    /// The diagnostics of `model` after `epoch` epochs: [`diagnostics::probe_epoch`].
    fn diagnose(&self, model: &Mlp, epoch: usize) -> Result<Vec<DiagnosticRow>, TrainError> {
        diagnostics::probe_epoch(
            model,
            &self.data.train,
            [&self.validation_ix, &self.train_ix],
            self.backend
                .fixed_shapes
                .then_some(self.experiment.train.batch_size),
            epoch,
        )
    }

    fn save_checkpoint(&self, live: &Live) -> Result<(), TrainError> {
        let corrupt = |e: burn::store::RecordError| TrainError::Corrupt {
            path: checkpoint::dir(&self.run_dir),
            message: format!("cannot serialise the checkpoint: {e}"),
        };
        let model = live
            .model
            .valid()
            .into_record()
            .into_bytes()
            .map_err(corrupt)?;
        let optim = live.optim.into_bytes().map_err(corrupt)?;
        checkpoint::save_state(
            &self.run_dir,
            self.experiment.train.seed,
            &live.state,
            &model,
            &optim,
        )
    }
}
