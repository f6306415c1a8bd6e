//! Packed training: runs that differ only in activation and learning rate, trained as one
//! network in one process ([`actlab_model::PackedMlp`]; the step and its per-member Adam in
//! `step.rs`). Same seed, so the same split, batches and batch order; every member starts from
//! the weights `init_seeded` gives its unpacked run and leaves the run directory an unpacked run
//! leaves (`config.toml`, `metrics.csv`, `model.bpk` as a plain `Mlp`, `summary.json` with
//! `packed_with`), so eval, predict and reports need no change.
//!
//! A pack has the trainer's shape: restore, then the epochs through the trainer's own loop
//! ([`crate::epochs::run_epochs`] over `epochs.rs`'s `EpochLoop`), each member's end of epoch
//! through the trainer's bookkeeping (record, diagnostics probed on its extracted `Mlp`, the
//! best epoch's weights, checkpoint, derived files), and each member's end through the
//! trainer's [`crate::trainer::RunEnd`]. What is a pack's own: validation in one packed forward
//! per batch, a checkpoint that is every member's own (`checkpoint.rs`, resumed bit-identically
//! on CPU backends by [`resume_pack`], or regrouped after a `--pause-after`), a member frozen
//! (rate 0) when it stops early or its loss stops being finite — the latter loses its
//! checkpoint and fails alone with the unpacked run's error while the others go on.

pub mod bench;
mod checkpoint;
mod epochs;
mod eval;
mod step;

use std::path::PathBuf;

use actlab_data::MnistData;
use actlab_format::activation::ActivationConfig;
use actlab_format::config::{
    BackendSection, DataSection, Experiment, OptimizerConfig, TrainSection,
};
use actlab_format::model::MlpConfig;
use actlab_format::state::TrainState;

use crate::control::{Outcome, TrainOptions};
use crate::epochs::LoopEnd;
use crate::error::TrainError;
use crate::run::{self, DirLock};

/// What runs must share to be packed: everything but the activation, the learning rate, the
/// name and the output directory (so runs with diagnostics or early stopping pack only with
/// runs with the same).
#[derive(Debug, Clone, PartialEq)]
pub struct PackKey {
    model: MlpConfig,
    data: DataSection,
    train: TrainSection,
    backend: BackendSection,
}

/// The [`PackKey`] of a run; `None` for a run that is never packed (an optimizer other than
/// Adam: the packed step is an Adam implementation; a CNN: packs hold MLPs).
pub fn pack_key(experiment: &Experiment) -> Option<PackKey> {
    let OptimizerConfig::Adam { weight_decay, .. } = experiment.train.optimizer else {
        return None;
    };
    let mut model = experiment.mlp()?.clone();
    model.activation = ActivationConfig::Identity;
    let mut train = experiment.train.clone();
    train.optimizer = OptimizerConfig::Adam {
        lr: 0.0,
        weight_decay,
    };
    train.progress = Default::default();
    Some(PackKey {
        model,
        data: experiment.data.clone(),
        train,
        backend: experiment.backend.clone(),
    })
}

/// A pack member's MLP (every member is one: [`check_keys`] refuses the others).
pub(crate) fn member_mlp(experiment: &Experiment) -> Result<&MlpConfig, TrainError> {
    experiment.mlp().ok_or_else(|| TrainError::PackNeedsMlp {
        dir: experiment.run_dir(),
    })
}

/// Checks that `experiments` can share a pack.
fn check_keys(experiments: &[Experiment]) -> Result<(), TrainError> {
    let Some(first) = experiments.first() else {
        return Ok(());
    };
    let mut keys = Vec::with_capacity(experiments.len());
    for experiment in experiments {
        match pack_key(experiment) {
            Some(key) => keys.push(key),
            None if experiment.mlp().is_none() => {
                return Err(TrainError::PackNeedsMlp {
                    dir: experiment.run_dir(),
                });
            }
            None => {
                return Err(TrainError::PackNeedsAdam {
                    dir: experiment.run_dir(),
                });
            }
        }
    }
    match experiments.iter().zip(&keys).find(|(_, k)| **k != keys[0]) {
        Some((odd, _)) => Err(TrainError::NotPackable {
            dir: odd.run_dir(),
            first: first.run_dir(),
        }),
        None => Ok(()),
    }
}

/// What a pack tells whoever watches it (the CLI renders these as lines).
#[derive(Debug, Clone, PartialEq)]
pub enum PackEvent<'a> {
    /// The pack is built and about to train.
    Started {
        /// The backend.
        backend: &'static str,
        /// Activation calls per layer (consecutive members of one parameter-free activation
        /// share one).
        activation_calls: usize,
        /// The members' names, in the pack's order.
        members: &'a [String],
    },
    /// Progress inside an epoch, at every read-back before its last step.
    Steps {
        /// 1-based epoch.
        epoch: usize,
        /// Total epochs.
        epochs: usize,
        /// Steps finished in this epoch.
        step: usize,
        /// Steps in the epoch.
        steps: usize,
    },
    /// A member's loss stopped being finite: it stopped alone (the others go on).
    Diverged {
        /// The member.
        member: &'a str,
    },
    /// An epoch ended: each member still training, with its validation accuracy.
    EpochFinished {
        /// 1-based epoch.
        epoch: usize,
        /// Total epochs.
        epochs: usize,
        /// Members and their validation accuracies (empty without a validation split).
        validation: Vec<(&'a str, f64)>,
    },
    /// A member's validation accuracy stopped improving: it is frozen until the pack ends.
    EarlyStopped {
        /// The member.
        member: &'a str,
        /// After this epoch.
        epoch: usize,
    },
    /// `--pause-after`: every member still training is checkpointed after this epoch.
    Paused {
        /// The epoch.
        epoch: usize,
    },
}

/// Each member's end, in the pack's order: [`Outcome::Finished`] with its summary,
/// [`Outcome::Paused`] at `--pause-after`, [`Outcome::Interrupted`] after Ctrl-C (its
/// checkpoint holds where), or its own error (it diverged).
pub type MemberResults = Vec<Result<Outcome, TrainError>>;

/// Trains `experiments` as one pack. The outer error stops the whole pack (a directory in the
/// way, the device); each member's own result is in the list, in order. `watch` gets the
/// pack's [`PackEvent`]s.
pub fn train_pack(
    experiments: &[Experiment],
    data: &MnistData,
    options: &TrainOptions,
    watch: &mut dyn FnMut(PackEvent),
) -> Result<MemberResults, TrainError> {
    if experiments.is_empty() {
        return Ok(Vec::new());
    }
    check_keys(experiments)?;
    let locks: Vec<DirLock> = experiments
        .iter()
        .map(crate::session::fresh_run_dir)
        .collect::<Result<_, _>>()?;
    for (experiment, lock) in experiments.iter().zip(&locks) {
        run::write_config(lock.dir(), experiment)?;
    }
    let pack = epochs::PackRun::new(experiments, &locks, data, options)?;
    let (live, end) = pack.train(None, watch)?;
    pack.results(live, end)
}

/// Continues packed runs from their checkpoints, as one pack: runs that were checkpointed in
/// packs, at the same point, and could share a pack ([`pack_key`]). Resumed as the pack they
/// were (every member, as `compare` does), the result is bit-identical on CPU backends to a pack
/// that never stopped; regrouped (part of a pack, as the tuning stage does with the survivors
/// of a halving, or members of several packs), each member continues its own training from
/// its own state, up to the rounding of a GEMM of another width.
pub fn resume_pack(
    run_dirs: &[PathBuf],
    data: &MnistData,
    options: &TrainOptions,
    watch: &mut dyn FnMut(PackEvent),
) -> Result<MemberResults, TrainError> {
    if run_dirs.is_empty() {
        return Ok(Vec::new());
    }
    let experiments = run_dirs
        .iter()
        .map(|dir| crate::session::resume_config(dir, None))
        .collect::<Result<Vec<_>, _>>()?;
    check_keys(&experiments)?;
    let locks: Vec<DirLock> = run_dirs
        .iter()
        .map(|dir| DirLock::acquire(dir))
        .collect::<Result<_, _>>()?;
    let checkpoints = run_dirs
        .iter()
        .map(|dir| run::checkpoint::load(dir))
        .collect::<Result<Vec<_>, _>>()?;
    let at = |s: &TrainState| (s.epochs_completed, s.steps_into_epoch);
    for (dir, cp) in run_dirs.iter().zip(&checkpoints) {
        let state = &cp.state.train;
        if state.packed_with.is_empty() {
            return Err(TrainError::NotPacked { dir: dir.clone() });
        }
        let first = &checkpoints[0].state.train;
        if at(state) != at(first) {
            return Err(TrainError::PackPositions {
                dir: dir.clone(),
                at: at(state),
                first: run_dirs[0].clone(),
                first_at: at(first),
            });
        }
    }
    let pack = epochs::PackRun::new(&experiments, &locks, data, options)?;
    let (live, end) = pack.train(Some(checkpoints), watch)?;
    pack.results(live, end)
}

impl epochs::PackRun<'_> {
    /// Each member's end after the pack's epochs ended as `end`: a member that failed, its
    /// error; when every epoch ran, each finishes; paused, a member that stopped early
    /// finishes (it would train no further) and the others are paused; interrupted, each is.
    fn results(
        &self,
        mut live: epochs::PackLive,
        end: LoopEnd,
    ) -> Result<MemberResults, TrainError> {
        let mut results = Vec::with_capacity(self.members());
        for m in 0..self.members() {
            results.push(match (live.failed[m].take(), end) {
                (Some(error), _) => Err(error),
                (None, LoopEnd::Finished) => Ok(Outcome::Finished(self.finish(&live, m)?)),
                (None, LoopEnd::Paused { .. }) if live.stopped[m] => {
                    Ok(Outcome::Finished(self.finish(&live, m)?))
                }
                (None, LoopEnd::Paused { epochs_completed }) => {
                    Ok(Outcome::Paused { epochs_completed })
                }
                (
                    None,
                    LoopEnd::Interrupted {
                        epochs_completed,
                        steps_into_epoch,
                    },
                ) => Ok(Outcome::Interrupted {
                    epochs_completed,
                    steps_into_epoch,
                }),
            });
        }
        Ok(results)
    }
}
