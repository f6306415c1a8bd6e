//! A pack's training in the trainer's shape: [`PackRun::train`] restores the pack (fresh from
//! the seed, or from its members' checkpoints), runs its epochs through
//! [`crate::epochs::run_epochs`] — `run_epoch`: the shared batches through the packed step,
//! each member's sums read back together; `end_epoch`: validation in one packed forward per
//! batch, then each member's end of epoch through the trainer's bookkeeping — and
//! [`PackRun::finish`] ends a member as a run alone ends.

use std::sync::atomic::Ordering;
use std::time::Instant;

use actlab_data::{MnistData, epoch_order};
use actlab_format::activation::ActivationConfig;
use actlab_format::config::{Experiment, OptimizerConfig};
use actlab_format::run::RunSummary;
use actlab_format::state::{DiagnosticRow, PartialEpoch, TrainState};
use actlab_model::{Mlp, MlpInit, Network, PackedMlp};
use burn::module::Module;
use burn::tensor::Device;

use super::step::PackStep;
use super::{PackEvent, checkpoint, eval};
use crate::backend::{self, Backend};
use crate::control::TrainOptions;
use crate::epochs::{
    self, EpochLoop, Images, LoopEnd, Pending, StepAt, Steps, add_step, read_back, run_epochs,
};
use crate::error::TrainError;
use crate::feed::TrainFeed;
use crate::run::{self, DirLock};
use crate::trainer::RunEnd;

/// A pack being trained: its members' experiments and locked directories, what they train on
/// and where (nothing here changes while it trains).
pub(super) struct PackRun<'a> {
    experiments: &'a [Experiment],
    locks: &'a [DirLock],
    data: &'a MnistData,
    options: &'a TrainOptions,
    backend: Backend,
    device: Device,
    images: Images,
    names: Vec<String>,
}

/// What training changes: the packed network and its Adam state, each member's record, and
/// which members are out (diverged: their error; stopped early: frozen).
pub(super) struct PackLive {
    pack: PackStep,
    records: Vec<TrainState>,
    pub(super) failed: Vec<Option<TrainError>>,
    pub(super) stopped: Vec<bool>,
    /// Epochs finished, steps into the next.
    position: (usize, usize),
}

impl PackLive {
    /// The members still training.
    fn training(&self) -> Vec<usize> {
        (0..self.records.len())
            .filter(|&m| self.failed[m].is_none() && !self.stopped[m])
            .collect()
    }
}

impl<'a> PackRun<'a> {
    pub(super) fn new(
        experiments: &'a [Experiment],
        locks: &'a [DirLock],
        data: &'a MnistData,
        options: &'a TrainOptions,
    ) -> Result<Self, TrainError> {
        let first = &experiments[0];
        let backend = backend::device(&first.backend)?;
        let device = backend.device.clone().autodiff();
        Ok(PackRun {
            experiments,
            locks,
            data,
            options,
            images: Images::of(first, data)?,
            names: experiments.iter().map(Experiment::name).collect(),
            backend,
            device,
        })
    }

    pub(super) fn members(&self) -> usize {
        self.experiments.len()
    }

    /// The pack's shared training section (the members differ only in activation and rate).
    fn train_section(&self) -> &actlab_format::config::TrainSection {
        &self.experiments[0].train
    }

    /// Restores the pack and runs its epochs; `watch` sees them.
    pub(super) fn train(
        &self,
        restored: Option<Vec<run::checkpoint::Checkpoint>>,
        watch: &mut dyn FnMut(PackEvent),
    ) -> Result<(PackLive, LoopEnd), TrainError> {
        let live = match restored {
            None => self.fresh()?,
            Some(checkpoints) => self.restore(checkpoints)?,
        };
        watch(PackEvent::Started {
            backend: self.backend.name.as_str(),
            activation_calls: live.pack.net.activation_groups(),
            members: &self.names,
        });
        let mut epochs = PackEpochs {
            run: self,
            feed: TrainFeed::new(&self.data.train, &self.backend, &self.device),
            watch,
            epoch_start: Instant::now(),
            earlier: Vec::new(),
        };
        let (live, end) = run_epochs(&mut epochs, live, self.options)?;
        if let LoopEnd::Paused { epochs_completed } = end {
            (epochs.watch)(PackEvent::Paused {
                epoch: epochs_completed,
            });
        }
        Ok((live, end))
    }

    fn weight_decay(&self) -> f64 {
        match self.train_section().optimizer {
            OptimizerConfig::Adam { weight_decay, .. } => weight_decay,
            _ => 0.0,
        }
    }

    fn activations(&self) -> Vec<ActivationConfig> {
        self.experiments
            .iter()
            .map(|e| e.network().activation().clone())
            .collect()
    }

    /// Every member from its seed, probed at initialisation when the runs measure diagnostics.
    fn fresh(&self) -> Result<PackLive, TrainError> {
        let seed = self.train_section().seed;
        let members = self
            .experiments
            .iter()
            .map(|e| Ok::<_, TrainError>(super::member_mlp(e)?.init_seeded(&self.device, seed)?))
            .collect::<Result<Vec<_>, _>>()?;
        let mut records = vec![TrainState::default(); members.len()];
        if self.train_section().diagnostics {
            for (record, member) in records.iter_mut().zip(&members) {
                record.diagnostics = self.diagnose(&Network::Mlp(member.clone()), 0)?;
            }
        }
        let net = PackedMlp::new(&members, &self.activations())?;
        for lock in self.locks {
            run::tensorboard::remove_leftovers(lock.dir());
        }
        Ok(self.live(PackStep::new(net, self.weight_decay()), records, (0, 0)))
    }

    /// The pack as its members' checkpoints left it; their files made to match the state again
    /// (as for a run alone).
    fn restore(
        &self,
        checkpoints: Vec<run::checkpoint::Checkpoint>,
    ) -> Result<PackLive, TrainError> {
        let steps = self.images.steps;
        for (cp, (experiment, lock)) in checkpoints
            .iter()
            .zip(self.experiments.iter().zip(self.locks))
        {
            let path = run::checkpoint::dir(lock.dir()).join(actlab_format::state::STATE);
            let train = &experiment.train;
            cp.state
                .check_run(train.seed, steps, train.batch_size, &path)?;
        }
        let state = &checkpoints[0].state.train;
        let position = (state.epochs_completed, state.steps_into_epoch);
        // A pack saves only inside an epoch (a damaged or hand-edited state.toml otherwise).
        if position.1 >= steps.max(1) {
            return Err(TrainError::Corrupt {
                path: run::checkpoint::dir(self.locks[0].dir()).join("state.toml"),
                message: format!("it is at step {} of an epoch of {steps} steps", position.1),
            });
        }
        let (pack, records) = checkpoint::restore(
            self.experiments,
            checkpoints,
            &self.activations(),
            &self.device,
            self.weight_decay(),
            position.0 * steps + position.1,
        )?;
        for (m, record) in records.iter().enumerate() {
            run::write_state_files(
                self.locks[m].dir(),
                &self.experiments[m],
                &record.history,
                &record.diagnostics,
            )?;
        }
        Ok(self.live(pack, records, position))
    }

    fn live(&self, pack: PackStep, records: Vec<TrainState>, position: (usize, usize)) -> PackLive {
        let stopped = self
            .experiments
            .iter()
            .zip(&records)
            .map(|(e, r)| epochs::stops_early(e, r))
            .collect();
        PackLive {
            pack,
            failed: (0..records.len()).map(|_| None).collect(),
            records,
            stopped,
            position,
        }
    }

    /// A member's diagnostics as the trainer measures them ([`crate::diagnostics::probe_epoch`]).
    fn diagnose(&self, member: &Network, epoch: usize) -> Result<Vec<DiagnosticRow>, TrainError> {
        let batch = self.train_section().batch_size;
        crate::diagnostics::probe_epoch(
            member,
            &self.data.train,
            [&self.images.validation, &self.images.train],
            self.backend.fixed_shapes.then_some(batch),
            epoch,
        )
    }

    /// Member `m` copied out of the pack as a plain `Mlp`.
    fn member(&self, pack: &PackStep, m: usize) -> Result<Mlp, TrainError> {
        let output = super::member_mlp(&self.experiments[m])?
            .output_activation
            .as_ref();
        Ok(pack.net.member(m, output)?)
    }

    /// Member `m` ends exactly as a run alone does ([`RunEnd`]), with its mates in
    /// `packed_with`.
    pub(super) fn finish(&self, live: &PackLive, m: usize) -> Result<RunSummary, TrainError> {
        let experiment = &self.experiments[m];
        let last = self.member(&live.pack, m)?.valid();
        let mates = self
            .names
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != m)
            .map(|(_, n)| n.clone())
            .collect();
        let end = RunEnd {
            experiment,
            run_dir: self.locks[m].dir(),
            data: self.data,
            test_ix: &self.images.test,
            backend: &self.backend,
            samples: self.images.samples(self.train_section().batch_size),
            build: &self.options.build,
        };
        end.finish(Network::Mlp(last), &live.records[m], Some(mates))
    }

    /// Every live member's checkpoint at the pack's position.
    fn save(&self, live: &PackLive) -> Result<(), TrainError> {
        let (records, failed) = (&live.records, &live.failed);
        let (experiments, locks) = (self.experiments, self.locks);
        checkpoint::save(
            &live.pack,
            experiments,
            locks,
            records,
            failed,
            live.position,
        )
    }

    /// A member whose loss stopped being finite: frozen, its checkpoint removed (the last one
    /// is from before: it no longer resumes with the pack, and a later `compare` trains it
    /// again, alone), its TensorBoard session ended as failed.
    fn diverged(&self, live: &mut PackLive, m: usize, error: TrainError) {
        live.failed[m] = Some(error);
        let dir = self.locks[m].dir();
        let _ = std::fs::remove_dir_all(run::checkpoint::dir(dir));
        let _ = run::tensorboard::failed(dir, &self.experiments[m]);
    }
}

/// The pack's epochs, as [`run_epochs`] drives them: the pack, its feed, who watches, when the
/// current epoch began and each member's training seconds from before it (a resumed epoch).
struct PackEpochs<'r, 'w> {
    run: &'r PackRun<'r>,
    feed: TrainFeed<'r>,
    watch: &'w mut dyn FnMut(PackEvent),
    epoch_start: Instant,
    earlier: Vec<f64>,
}

impl PackEpochs<'_, '_> {
    /// Adds read-back losses and hit counts (step-major, one per member) to the members' sums;
    /// the first steps of `pending` end at step `first_step`. A member whose loss is not finite
    /// diverges alone.
    fn flush(
        &mut self,
        live: &mut PackLive,
        sums: &mut [PartialEpoch],
        pending: Pending,
        (epoch, first_step): (usize, usize),
    ) -> Result<(), TrainError> {
        let run = self.run;
        let k = run.members();
        let (losses, hits) = read_back(pending, &run.backend)?;
        let batch = run.train_section().batch_size;
        for (i, (row, hit_row)) in losses.chunks(k).zip(hits.chunks(k)).enumerate() {
            let at = StepAt {
                epoch,
                step: first_step + i + 1,
                steps: run.images.steps,
            };
            for m in live.training() {
                if let Err(error) = add_step(&mut sums[m], at, row[m], hit_row[m], batch) {
                    run.diverged(live, m, error);
                    (self.watch)(PackEvent::Diverged {
                        member: &run.names[m],
                    });
                }
            }
        }
        Ok(())
    }
}

impl EpochLoop for PackEpochs<'_, '_> {
    type State = PackLive;

    fn epochs(&self) -> usize {
        self.run.train_section().epochs
    }

    fn position(&self, live: &PackLive) -> (usize, usize) {
        live.position
    }

    fn training(&self, live: &PackLive) -> bool {
        !live.training().is_empty()
    }

    fn run_epoch(
        &mut self,
        mut live: PackLive,
        epoch: usize,
        options: &TrainOptions,
    ) -> Result<(PackLive, Steps), TrainError> {
        let run = self.run;
        let train = run.train_section();
        let (batch, steps, k) = (train.batch_size, run.images.steps, run.members());
        self.epoch_start = Instant::now();
        let training = live.training();
        let mut lrs: Vec<f64> = (0..k)
            .map(|m| match training.contains(&m) {
                true => run.experiments[m].train.lr_at(epoch),
                false => 0.0,
            })
            .collect();
        let order = epoch_order(&run.images.train, train.data_seed(), (epoch - 1) as u64);
        // The epoch's sums so far: from a checkpoint taken in its middle, or from zero.
        let start = live.position.1;
        let mut sums: Vec<PartialEpoch> = live
            .records
            .iter_mut()
            .map(|r| r.partial.take().filter(|_| start > 0).unwrap_or_default())
            .collect();
        self.earlier = sums.iter().map(|p| p.seconds).collect();
        let mut pending: Pending = Vec::new();
        let mut s = start;
        let stopping = loop {
            let stopping = options.stop.load(Ordering::SeqCst);
            if !stopping && s < steps {
                let b = self.feed.batch(&order[s * batch..(s + 1) * batch])?;
                pending.push(live.pack.step(b.images, b.targets, &lrs));
                s += 1;
            }
            let due = pending.len() >= options.report_every || s == steps || stopping;
            if !pending.is_empty() && due {
                let first_step = s - pending.len();
                let read = std::mem::take(&mut pending);
                self.flush(&mut live, &mut sums, read, (epoch, first_step))?;
                for m in (0..k).filter(|&m| live.failed[m].is_some()) {
                    lrs[m] = 0.0;
                }
                if s < steps && !stopping {
                    let (epochs, step) = (train.epochs, s);
                    (self.watch)(PackEvent::Steps {
                        epoch,
                        epochs,
                        step,
                        steps,
                    });
                }
            }
            if stopping || s >= steps {
                break stopping;
            }
        };
        // Each member's share of the pack's time: what it cost in this pack.
        let share = self.epoch_start.elapsed().as_secs_f64() / k as f64;
        // Done: the sums of the members still training, for `end_epoch`. Stopped: every
        // member's, for the checkpoint.
        let keep = if stopping {
            (0..k).collect()
        } else {
            live.training()
        };
        for (m, mut sum) in sums.into_iter().enumerate() {
            if keep.contains(&m) {
                sum.seconds = self.earlier[m] + share;
                live.records[m].partial = Some(sum);
            }
        }
        if !stopping {
            return Ok((live, Steps::Done));
        }
        // Ctrl-C: every member's checkpoint at this step (the sums so far in it), so a resumed
        // pack continues here, bit-identically on CPU backends.
        if s > start {
            live.position = (epoch - 1, s);
            run.save(&live)?;
        }
        Ok((live, Steps::Stopped))
    }

    fn end_epoch(&mut self, live: &mut PackLive, epoch: usize) -> Result<(), TrainError> {
        let run = self.run;
        let train = run.train_section();
        // Validation through the packed network: one forward per batch for every member.
        let validation = if run.images.validation.is_empty() {
            Vec::new()
        } else {
            let split = &run.data.train;
            let ix = &run.images.validation;
            eval::evaluate_pack(&live.pack.net, split, ix, &run.backend, train.batch_size)?
        };
        let k = run.members() as f64;
        let training = live.training();
        let mut new_best = vec![false; run.members()];
        for &m in &training {
            let sums = live.records[m].partial.take().unwrap_or_default();
            let wall = self.earlier[m] + self.epoch_start.elapsed().as_secs_f64() / k;
            let lr = run.experiments[m].train.lr_at(epoch);
            let record = epochs::record(epoch, &sums, validation.get(m), lr, wall);
            let pack = &live.pack;
            new_best[m] = epochs::close_epoch(
                &run.experiments[m],
                run.locks[m].dir(),
                &mut live.records[m],
                record,
                &|| run.member(pack, m).map(Network::Mlp),
                &|member, epoch| run.diagnose(member, epoch),
            )?;
        }
        live.position = (epoch, 0);
        run.save(live)?;
        for &m in &training {
            let experiment = &run.experiments[m];
            let state = &live.records[m];
            if epochs::after_checkpoint(experiment, run.locks[m].dir(), state, new_best[m])? {
                live.stopped[m] = true;
                (self.watch)(PackEvent::EarlyStopped {
                    member: &run.names[m],
                    epoch,
                });
            }
        }
        let accuracies = training
            .iter()
            .filter_map(|&m| Some((run.names[m].as_str(), validation.get(m)?.accuracy)))
            .collect();
        (self.watch)(PackEvent::EpochFinished {
            epoch,
            epochs: train.epochs,
            validation: accuracies,
        });
        Ok(())
    }
}
