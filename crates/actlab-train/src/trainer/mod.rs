//! One run's training: restore (from a checkpoint, or fresh), then the epochs
//! ([`crate::epochs::run_epochs`] over this module's [`EpochLoop`]: an epoch's batches through
//! [`train_steps`], metrics read back every `report_every` steps; its end — validation,
//! diagnostics, checkpoint, `metrics.csv`), then the end of the run ([`RunEnd`]: test set,
//! `model.bpk`, `summary.json`).
//!
//! Per step: an index selection on the device (the training split is resident there: bytes on
//! CPU backends, scaled f32 chunks on GPU backends, `crate::feed`), then [`train_steps`]'s one
//! step; the step's loss and correct count stay on the device until the next read-back.

mod finish;
pub(crate) use finish::RunEnd;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use actlab_data::{MnistData, epoch_order};
use actlab_format::config::Experiment;
use actlab_format::state::{DiagnosticRow, PartialEpoch, TrainState};
use actlab_model::{Network, NetworkInit};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Bytes, Device};

use crate::backend::{self, Backend};
use crate::control::{Outcome, TrainOptions};
use crate::diagnostics;
use crate::epochs::{
    self, EpochLoop, Images, LoopEnd, Pending, StepAt, Steps, add_step, read_back, run_epochs,
};
use crate::error::TrainError;
use crate::evaluate::evaluate;
use crate::feed::TrainFeed;
use crate::observer::{Observer, RunInfo, StepProgress};
use crate::optim;
use crate::run::{self, checkpoint::Checkpoint};
use crate::step::{Flow, StepResult, train_steps};

/// The model, its optimizer and where the run stands.
pub(crate) struct Live {
    model: Network,
    optim: ModuleOptimizer,
    state: TrainState,
}

/// A run being trained: what it trains on and where (nothing here changes while it trains).
pub(crate) struct Trainer<'a> {
    experiment: &'a Experiment,
    data: &'a MnistData,
    run_dir: PathBuf,
    backend: Backend,
    device: Device,
    images: Images,
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
        Ok(Trainer {
            experiment,
            data,
            run_dir: run_dir.to_path_buf(),
            images: Images::of(experiment, data)?,
            backend,
            device,
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
        observer.started(&self.info(&live));
        let fresh = live.state.epochs_completed == 0 && live.state.steps_into_epoch == 0;
        if self.experiment.train.diagnostics && fresh {
            live.state.diagnostics = self.diagnose(&live.model, 0)?;
        }
        let mut epochs = Epochs {
            trainer: &self,
            feed: TrainFeed::new(&self.data.train, &self.backend, &self.device),
            observer: &mut *observer,
            epoch_start: Instant::now(),
        };
        let (live, end) =
            run_epochs(&mut epochs, live, options).inspect_err(|e| self.record_failure(e))?;
        Ok(match end {
            LoopEnd::Finished => {
                observer.testing(self.images.test.len());
                Outcome::Finished(self.finish(live, &options.build)?)
            }
            LoopEnd::Interrupted {
                epochs_completed,
                steps_into_epoch,
            } => Outcome::Interrupted {
                epochs_completed,
                steps_into_epoch,
            },
            LoopEnd::Paused { epochs_completed } => Outcome::Paused { epochs_completed },
        })
    }

    /// The model, optimizer and position: freshly initialised from the seed, or restored from
    /// `checkpoint`.
    fn restore(&self, checkpoint: Option<Checkpoint>) -> Result<Live, TrainError> {
        let train = &self.experiment.train;
        let mut model = self
            .experiment
            .network()
            .init_seeded(&self.device, train.seed)?;
        let Some(cp) = checkpoint else {
            run::tensorboard::remove_leftovers(&self.run_dir);
            let optim = optim::build(&train.optimizer, &model, &self.backend.device);
            return Ok(Live {
                model,
                optim,
                state: TrainState::default(),
            });
        };
        let cp_dir = run::checkpoint::dir(&self.run_dir);
        let state_path = cp_dir.join(actlab_format::state::STATE);
        cp.state
            .check_run(train.seed, self.images.steps, train.batch_size, &state_path)?;
        model = run::load_weights(model, &cp_dir.join(&cp.state.model_file), cp.model)?;
        // Built after loading: the optimizer's groups and state are keyed by the parameter ids
        // the checkpoint restored.
        let optim = optim::build(&train.optimizer, &model, &self.backend.device)
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
        let (train_samples, validation_samples) =
            self.images.samples(self.experiment.train.batch_size);
        RunInfo {
            name: self.experiment.name(),
            run_dir: self.run_dir.clone(),
            backend: self.backend.name.as_str(),
            device: self.experiment.backend.device.to_string(),
            params: live.model.parameter_count(),
            train_samples,
            validation_samples,
            test_samples: self.images.test.len(),
            epochs: self.experiment.train.epochs,
            steps_per_epoch: self.images.steps,
            epochs_completed: live.state.epochs_completed,
            steps_into_epoch: live.state.steps_into_epoch,
            restarted: self.restarted,
            adapter: crate::provenance::adapter(&self.backend),
        }
    }

    /// The diagnostics of `model` after `epoch` epochs: [`diagnostics::probe_epoch`].
    fn diagnose(&self, model: &Network, epoch: usize) -> Result<Vec<DiagnosticRow>, TrainError> {
        diagnostics::probe_epoch(
            model,
            &self.data.train,
            [&self.images.validation, &self.images.train],
            self.backend
                .fixed_shapes
                .then_some(self.experiment.train.batch_size),
            epoch,
        )
    }

    fn save_checkpoint(&self, live: &Live) -> Result<(), TrainError> {
        let corrupt = |e: burn::store::RecordError| TrainError::Corrupt {
            path: run::checkpoint::dir(&self.run_dir),
            message: format!("cannot serialise the checkpoint: {e}"),
        };
        let model = live
            .model
            .valid()
            .into_record()
            .into_bytes()
            .map_err(corrupt)?;
        let optim = live.optim.into_bytes().map_err(corrupt)?;
        run::checkpoint::save_state(
            &self.run_dir,
            self.experiment.train.seed,
            &live.state,
            &model,
            &optim,
        )
    }
}

/// The trainer's epochs, as [`run_epochs`] drives them: the trainer, its feed, who watches, and
/// when the current epoch began.
struct Epochs<'t> {
    trainer: &'t Trainer<'t>,
    feed: TrainFeed<'t>,
    observer: &'t mut dyn Observer,
    epoch_start: Instant,
}

impl EpochLoop for Epochs<'_> {
    type State = Live;

    fn epochs(&self) -> usize {
        self.trainer.experiment.train.epochs
    }

    fn position(&self, live: &Live) -> (usize, usize) {
        (live.state.epochs_completed, live.state.steps_into_epoch)
    }

    fn training(&self, live: &Live) -> bool {
        !epochs::stops_early(self.trainer.experiment, &live.state)
    }

    fn run_epoch(
        &mut self,
        live: Live,
        epoch: usize,
        options: &TrainOptions,
    ) -> Result<(Live, Steps), TrainError> {
        let t = self.trainer;
        let Live {
            model,
            mut optim,
            mut state,
        } = live;
        let train = &t.experiment.train;
        let (batch, epochs, steps) = (train.batch_size, train.epochs, t.images.steps);
        let lr = train.lr_at(epoch);
        let order = epoch_order(&t.images.train, train.data_seed(), (epoch - 1) as u64);
        let first_step = state.steps_into_epoch;
        let mut sums = state.partial.take().unwrap_or_default();
        let mut pending: Pending = Vec::with_capacity(options.report_every);
        self.observer.epoch_started(epoch, epochs, steps, lr);
        self.epoch_start = Instant::now();
        let clock = Instant::now();
        let earlier_seconds = sums.seconds;
        let observer = &mut *self.observer;
        let mut stopped = false;
        let (model, finished) = train_steps(
            model,
            &mut optim,
            lr,
            first_step..steps,
            |step| Ok(self.feed.batch(&order[step * batch..(step + 1) * batch])?),
            |step, StepResult { loss, hits }| -> Result<Flow, TrainError> {
                pending.push((loss, hits));
                let finished = step + 1;
                let stop = options.stop.load(Ordering::SeqCst);
                if pending.len() >= options.report_every || finished == steps || stop {
                    sums.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
                    t.flush(&mut sums, &mut pending, epoch, finished)?;
                    observer.steps(&StepProgress {
                        epoch,
                        epochs,
                        step: finished,
                        steps,
                        loss: sums.loss_sum / sums.steps.max(1) as f64,
                        accuracy: sums.correct as f64 / (sums.seen as f64).max(1.0),
                        samples_per_second: (finished - first_step) as f64 * batch as f64
                            / clock.elapsed().as_secs_f64().max(1e-9),
                    });
                }
                // Read again: the observer (or a signal) may have asked to stop just now.
                if options.stop.load(Ordering::SeqCst) {
                    t.flush(&mut sums, &mut pending, epoch, finished)?;
                    sums.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
                    stopped = true;
                    return Ok(Flow::Stop);
                }
                Ok(Flow::Continue)
            },
        )?;
        if !stopped {
            sums.seconds = earlier_seconds + clock.elapsed().as_secs_f64();
        }
        state.partial = Some(sums);
        let live = Live {
            model,
            optim,
            state,
        };
        if !stopped {
            return Ok((live, Steps::Done));
        }
        let mut live = live;
        live.state.steps_into_epoch = finished;
        t.save_checkpoint(&live)?;
        Ok((live, Steps::Stopped))
    }

    fn end_epoch(&mut self, live: &mut Live, epoch: usize) -> Result<(), TrainError> {
        let t = self.trainer;
        let train = &t.experiment.train;
        let validation = if t.images.validation.is_empty() {
            None
        } else {
            let split = &t.data.train;
            let model = live.model.valid();
            let ix = &t.images.validation;
            Some(evaluate(&model, split, ix, &t.backend, train.batch_size)?)
        };
        let sums = live.state.partial.take().unwrap_or_default();
        let record = epochs::record(
            epoch,
            &sums,
            validation.as_ref(),
            train.lr_at(epoch),
            // Everything but the checkpoint and metrics writes that follow (milliseconds).
            self.epoch_start.elapsed().as_secs_f64(),
        );
        let new_best = epochs::close_epoch(
            t.experiment,
            &t.run_dir,
            &mut live.state,
            record.clone(),
            &|| Ok(live.model.clone()),
            &|model, epoch| t.diagnose(model, epoch),
        )?;
        t.save_checkpoint(live)?;
        epochs::after_checkpoint(t.experiment, &t.run_dir, &live.state, new_best)?;
        self.observer.epoch_finished(&record, train.epochs);
        Ok(())
    }
}

impl Trainer<'_> {
    /// Reads the pending per-step losses and hit counts (one synchronisation) and adds them in
    /// step order; the first loss that is not finite stops the run. `finished` steps of the
    /// epoch are done; the pending values are the last of them.
    fn flush(
        &self,
        sums: &mut PartialEpoch,
        pending: &mut Pending,
        epoch: usize,
        finished: usize,
    ) -> Result<(), TrainError> {
        if pending.is_empty() {
            return Ok(());
        }
        let first_step = finished - pending.len();
        let (losses, hits) = read_back(std::mem::take(pending), &self.backend)?;
        let batch = self.experiment.train.batch_size;
        for (i, (loss, hit)) in losses.into_iter().zip(hits).enumerate() {
            let at = StepAt {
                epoch,
                step: first_step + i + 1,
                steps: self.images.steps,
            };
            add_step(sums, at, loss, hit, batch)?;
        }
        Ok(())
    }
}
