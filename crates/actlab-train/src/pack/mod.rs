//! Packed training: runs that differ only in activation and learning rate, trained as one
//! network in one process ([`actlab_model::PackedMlp`]; the step and its per-member Adam in
//! `step.rs`). Same seed, so the same split, batches and batch order; every member starts from
//! the weights `init_seeded` gives its unpacked run and leaves the run directory an unpacked run
//! leaves (`config.toml`, `metrics.csv`, `model.bpk` as a plain `Mlp`, `summary.json` with
//! `packed_with`), so eval, predict and reports need no change. Validation runs every member
//! in one packed forward per batch; the test set runs each member's extracted `Mlp`, exactly
//! as `actlab eval` will.
//!
//! After every epoch, and at the step where Ctrl-C stops it, each member's `checkpoint/` gets
//! its state (with `packed_with` and the epoch's sums so far), weights and share of the Adam
//! state (`checkpoint.rs`); a stopped pack continues from there ([`resume_pack`],
//! bit-identical on CPU backends), or pauses after an epoch (`--pause-after`, the tuning
//! stage's halving) and continues in another grouping (its survivors). With `[train]
//! diagnostics`, each member is probed as its extracted `Mlp` by the trainer's own function, so
//! its `diagnostics.csv` is what the run alone would write. With early stopping, a member that
//! stops improving is frozen (rate 0) and ends with the others, through the trainer's own end
//! (`RunEnd`: its best epoch's weights restored as alone). A member whose loss stops being
//! finite is frozen (rate 0), loses its checkpoint (it no longer resumes with the pack) and
//! fails alone with the unpacked run's error; the others go on.

pub mod bench;
mod checkpoint;
mod eval;
mod step;

use std::sync::atomic::Ordering;
use std::time::Instant;

use actlab_data::{MnistData, epoch_order};
use actlab_model::{ActivationConfig, MlpInit, PackedMlp};
use burn::module::Module;
use burn::tensor::{Int, Tensor};

use crate::backend;
use crate::checkpoint::{PartialEpoch, TrainState};
use crate::config::{Experiment, OptimizerConfig};
use crate::error::TrainError;
use crate::feed::TrainFeed;
use crate::run::{self, DirLock, EpochRecord, files};
use crate::session::{Outcome, TrainOptions};
use crate::trainer::RunEnd;
use step::PackStep;

/// What runs must share to be packed: everything but the activation, the learning rate, the
/// name and the output directory (so runs with diagnostics or early stopping pack only with
/// runs with the same). `None` for a run that is never packed (an optimizer other than Adam).
pub fn pack_key(experiment: &Experiment) -> Option<String> {
    let train = &experiment.train;
    let OptimizerConfig::Adam { weight_decay, .. } = train.optimizer else {
        return None;
    };
    let mut model = experiment.model().clone();
    model.activation = ActivationConfig::Identity;
    let mut train = train.clone();
    train.optimizer = OptimizerConfig::Adam {
        lr: 0.0,
        weight_decay,
    };
    train.progress = Default::default();
    serde_json::to_string(&(model, &experiment.data, train, &experiment.backend)).ok()
}

/// Checks that `experiments` can share a pack.
fn check_keys(experiments: &[Experiment]) -> Result<(), TrainError> {
    let key = experiments.first().and_then(pack_key);
    if key.is_none() || experiments.iter().any(|e| pack_key(e) != key) {
        return Err(TrainError::Pack(
            "the runs of a pack must differ only in activation and learning rate, and use Adam"
                .into(),
        ));
    }
    Ok(())
}

/// Each member's end: [`Outcome::Finished`] with its summary, [`Outcome::Paused`] at
/// `--pause-after`, or its own error (it diverged). In the pack's order.
pub type MemberResults = Vec<Result<Outcome, TrainError>>;

/// Trains `experiments` as one pack. The outer error stops the whole pack (a directory in the
/// way, the device, a stop — after the last finished epoch's checkpoint); each member's own
/// result is in the list, in order. With [`TrainOptions::pause_after`], the pack stops with
/// its checkpoints after that epoch. `say` gets a line per epoch.
pub fn train_pack(
    experiments: &[Experiment],
    data: &MnistData,
    options: &TrainOptions,
    say: &mut dyn FnMut(String),
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
        let mut resolved = experiment.config().clone();
        resolved.name = Some(experiment.name());
        resolved.output.dir = Some(lock.dir().to_path_buf());
        resolved.write_atomic(&lock.dir().join(files::CONFIG))?;
    }
    run(experiments, &locks, None, data, options, say)
}

/// Continues packed runs from their checkpoints, as one pack: runs that were checkpointed in
/// packs, after the same epoch, and could share a pack ([`pack_key`]). Resumed as the pack they
/// were (every member, as `compare` does), the result is bit-identical on CPU backends to a pack
/// that never stopped; regrouped (part of a pack, as the tuning stage does with the survivors
/// of a halving, or members of several packs), each member continues its own training from
/// its own state, up to the rounding of a GEMM of another width.
pub fn resume_pack(
    run_dirs: &[std::path::PathBuf],
    data: &MnistData,
    options: &TrainOptions,
    say: &mut dyn FnMut(String),
) -> Result<MemberResults, TrainError> {
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
        .map(|dir| crate::checkpoint::load(dir))
        .collect::<Result<Vec<_>, _>>()?;
    for (m, cp) in checkpoints.iter().enumerate() {
        let state = &cp.state.train;
        if state.packed_with.is_empty() {
            return Err(TrainError::Pack(format!(
                "{} was not trained in a pack: continue it with `actlab train --resume`",
                run_dirs[m].display()
            )));
        }
        let first = &checkpoints[0].state.train;
        let at = |s: &TrainState| (s.epochs_completed, s.steps_into_epoch);
        if at(state) != at(first) {
            let show = |(e, s): (usize, usize)| match s {
                0 => format!("after epoch {e}"),
                s => format!("at step {s} of epoch {}", e + 1),
            };
            return Err(TrainError::Pack(format!(
                "{} was checkpointed {}, {} {}: a pack resumes runs checkpointed at the same \
                 point",
                run_dirs[m].display(),
                show(at(state)),
                run_dirs[0].display(),
                show(at(first))
            )));
        }
    }
    run(&experiments, &locks, Some(checkpoints), data, options, say)
}

/// The pack's epochs, from the seed or from `restored` checkpoints.
fn run(
    experiments: &[Experiment],
    locks: &[DirLock],
    restored: Option<Vec<crate::checkpoint::Checkpoint>>,
    data: &MnistData,
    options: &TrainOptions,
    say: &mut dyn FnMut(String),
) -> Result<MemberResults, TrainError> {
    let first = &experiments[0];
    let backend = backend::device(&first.backend)?;
    let device = backend.device.clone().autodiff();
    let train = &first.train;
    let crate::trainer::Images {
        train: train_ix,
        validation: validation_ix,
        test: test_ix,
        steps,
    } = crate::trainer::Images::of(first, data)?;
    let batch = train.batch_size;
    let configs: Vec<ActivationConfig> = experiments
        .iter()
        .map(|e| e.model().activation.clone())
        .collect();
    let weight_decay = match train.optimizer {
        OptimizerConfig::Adam { weight_decay, .. } => weight_decay,
        _ => 0.0,
    };
    let k = experiments.len();
    let fixed = backend.fixed_shapes.then_some(batch);
    let diagnose = |member: &actlab_model::Mlp, epoch: usize| {
        crate::diagnostics::probe_epoch(
            member,
            &data.train,
            [&validation_ix, &train_ix],
            fixed,
            epoch,
        )
    };
    // Where the pack stands: epochs finished, steps into the next one.
    let (mut pack, mut records, (done, into)) = match restored {
        None => {
            let members = experiments
                .iter()
                .map(|e| e.model().init_seeded(&device, train.seed))
                .collect::<Result<Vec<_>, _>>()?;
            let mut records = vec![TrainState::default(); k];
            if train.diagnostics {
                for (record, member) in records.iter_mut().zip(&members) {
                    record.diagnostics = diagnose(member, 0)?;
                }
            }
            let net = PackedMlp::new(&members, &configs)?;
            for lock in locks {
                run::tensorboard::remove_leftovers(lock.dir());
            }
            (PackStep::new(net, weight_decay), records, (0, 0))
        }
        Some(checkpoints) => {
            let state = &checkpoints[0].state.train;
            let done = (state.epochs_completed, state.steps_into_epoch);
            // A pack saves only inside an epoch (a damaged or hand-edited state.toml otherwise).
            if done.1 >= steps.max(1) {
                return Err(TrainError::Corrupt {
                    path: crate::checkpoint::dir(locks[0].dir()).join("state.toml"),
                    message: format!("it is at step {} of an epoch of {steps} steps", done.1),
                });
            }
            let (pack, records) = checkpoint::restore(
                experiments,
                checkpoints,
                &configs,
                &device,
                weight_decay,
                done.0 * steps + done.1,
            )?;
            // The state is the record (as for a run alone): files that match it again.
            for (m, experiment) in experiments.iter().enumerate() {
                let record = &records[m];
                run::write_state_files(
                    locks[m].dir(),
                    experiment,
                    &record.history,
                    &record.diagnostics,
                )?;
            }
            (pack, records, done)
        }
    };
    let feed = TrainFeed::new(&data.train, &backend, &device);
    let mut failed: Vec<Option<TrainError>> = (0..k).map(|_| None).collect();
    // Early stopping: a member whose validation stopped improving is frozen (rate 0, its
    // weights unchanged) and stays in the pack, so a resumed pack is the pack it was; it
    // finishes with the others, or at a pause.
    let early = train.early_stopping;
    let names: Vec<String> = experiments.iter().map(Experiment::name).collect();
    // A member ends exactly as a run alone does (`RunEnd`), with its mates in `packed_with`.
    let finish = |pack: &PackStep, m: usize, record: &TrainState| {
        let experiment = &experiments[m];
        let last = pack
            .net
            .member(m, experiment.model().output_activation.as_ref())?
            .valid();
        let mates = names
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != m)
            .map(|(_, n)| n.clone())
            .collect();
        let end = RunEnd {
            experiment,
            run_dir: locks[m].dir(),
            data,
            test_ix: &test_ix,
            backend: &backend,
            samples: (steps * batch, validation_ix.len()),
            build: &options.build,
        };
        end.finish(last, record, Some(mates))
    };
    let mut stopped: Vec<bool> = records
        .iter()
        .map(|r| early.is_some_and(|e| e.decide(&r.history).1))
        .collect();
    say(format!(
        "pack of {k} on {} ({} activation call(s) per layer): {}",
        backend.name.as_str(),
        pack.net.activation_groups(),
        names.join(", ")
    ));
    for epoch in done + 1..=train.epochs {
        let training: Vec<usize> = (0..k)
            .filter(|&m| failed[m].is_none() && !stopped[m])
            .collect();
        if training.is_empty() {
            break;
        }
        let epoch_start = Instant::now();
        let mut lrs: Vec<f64> = (0..k)
            .map(|m| {
                if training.contains(&m) {
                    experiments[m].train.lr_at(epoch)
                } else {
                    0.0
                }
            })
            .collect();
        let order = epoch_order(&train_ix, train.seed, (epoch - 1) as u64);
        // The epoch's sums so far: from a checkpoint taken in its middle, or from zero.
        let start = if epoch == done + 1 { into } else { 0 };
        let mut sums: Vec<PartialEpoch> = records
            .iter_mut()
            .map(|r| r.partial.take().filter(|_| start > 0).unwrap_or_default())
            .collect();
        let earlier: Vec<f64> = sums.iter().map(|p| p.seconds).collect();
        let mut pending: Vec<(Tensor<1>, Tensor<1, Int>)> = Vec::new();
        let mut s = start;
        loop {
            let stopping = options.stop.load(Ordering::SeqCst);
            if !stopping && s < steps {
                let b = feed.batch(&order[s * batch..(s + 1) * batch])?;
                pending.push(pack.step(b.images, b.targets, &lrs));
                s += 1;
            }
            if !pending.is_empty()
                && (pending.len() >= options.report_every || s == steps || stopping)
            {
                let first_step = s - pending.len();
                let (losses, hits) = eval::read_back(std::mem::take(&mut pending), &backend)?;
                for (i, (row, hit_row)) in losses.chunks(k).zip(hits.chunks(k)).enumerate() {
                    for m in 0..k {
                        if failed[m].is_some() || stopped[m] {
                            continue;
                        }
                        if !row[m].is_finite() {
                            failed[m] = Some(TrainError::NonFinite {
                                epoch,
                                step: first_step + i + 1,
                                steps,
                                loss: row[m],
                            });
                            lrs[m] = 0.0;
                            // Its last checkpoint is from before: it no longer resumes with
                            // the pack (a later compare trains it again, alone).
                            let _ = std::fs::remove_dir_all(crate::checkpoint::dir(locks[m].dir()));
                            let _ = run::tensorboard::failed(locks[m].dir(), &experiments[m]);
                            say(format!("{}: training diverged; stopped alone", names[m]));
                            continue;
                        }
                        let sum = &mut sums[m];
                        sum.loss_sum += f64::from(row[m]);
                        sum.steps += 1;
                        sum.correct += u64::try_from(hit_row[m]).unwrap_or(0);
                        sum.seen += batch as u64;
                    }
                }
                if s < steps && !stopping {
                    say(format!(
                        "epoch {epoch}/{}: step {s} of {steps}",
                        train.epochs
                    ));
                }
            }
            if stopping {
                // Ctrl-C: every member's checkpoint at this step (the sums so far in it), so
                // a resumed pack continues here, bit-identically on CPU backends.
                if s > start {
                    for (m, sum) in sums.iter_mut().enumerate() {
                        sum.seconds = earlier[m] + epoch_start.elapsed().as_secs_f64() / k as f64;
                        records[m].partial = Some(sum.clone());
                    }
                    checkpoint::save(&pack, experiments, locks, &records, &failed, (epoch - 1, s))?;
                }
                let at = if s > 0 {
                    format!("after step {s} of {steps}")
                } else {
                    "at its start".to_string()
                };
                return Err(TrainError::Pack(format!(
                    "stopped in epoch {epoch} {at}: its runs continue from their checkpoints \
                     (`actlab train-pack --resume`, or `compare` again)"
                )));
            }
            if s >= steps {
                break;
            }
        }
        // Each member's share of the pack's time: what it cost in this pack.
        let share = epoch_start.elapsed().as_secs_f64() / k as f64;
        let mut line = Vec::new();
        // Validation through the packed network: one forward per batch for every member.
        let validation = if validation_ix.is_empty() {
            Vec::new()
        } else {
            eval::evaluate_pack(&pack.net, &data.train, &validation_ix, &backend, batch)?
        };
        let training: Vec<usize> = training
            .into_iter()
            .filter(|&m| failed[m].is_none())
            .collect();
        for &m in &training {
            let (val_loss, val_acc) = match validation.get(m) {
                None => (None, None),
                Some(eval) => {
                    line.push(format!("{} {:.2}%", names[m], 100.0 * eval.accuracy));
                    (Some(eval.loss), Some(eval.accuracy))
                }
            };
            records[m].history.push(EpochRecord {
                epoch,
                train_loss: sums[m].loss_sum / steps as f64,
                train_acc: sums[m].correct as f64 / (steps * batch) as f64,
                val_loss,
                val_acc,
                lr: experiments[m].train.lr_at(epoch),
                seconds: earlier[m] + share,
                wall_seconds: earlier[m] + epoch_start.elapsed().as_secs_f64() / k as f64,
            });
        }
        let mut new_best = Vec::new();
        let restore_best = early.is_some_and(|e| e.restore_best);
        for &m in training
            .iter()
            .filter(|_| train.diagnostics || restore_best)
        {
            let member = pack
                .net
                .member(m, experiments[m].model().output_activation.as_ref())?;
            if train.diagnostics {
                let rows = diagnose(&member, epoch)?;
                records[m].diagnostics.extend(rows);
            }
            // As alone: a new best epoch's weights are written before the state naming them.
            if restore_best && early.is_some_and(|e| e.decide(&records[m].history).0 == Some(epoch))
            {
                let sha = crate::checkpoint::write_best(locks[m].dir(), epoch, member.valid())?;
                records[m].best_weights_sha256 = Some(sha);
                new_best.push(m);
            }
        }
        checkpoint::save(&pack, experiments, locks, &records, &failed, (epoch, 0))?;
        for &m in &new_best {
            crate::checkpoint::remove_older_best(locks[m].dir(), epoch);
        }
        for &m in &training {
            let record = &records[m];
            run::write_state_files(
                locks[m].dir(),
                &experiments[m],
                &record.history,
                &record.diagnostics,
            )?;
            if early.is_some_and(|e| e.decide(&record.history).1) {
                stopped[m] = true;
                say(format!("{}: early stopping after epoch {epoch}", names[m]));
            }
        }
        say(format!(
            "epoch {epoch}/{}: validation {}",
            train.epochs,
            line.join(", ")
        ));
        if options.pause_after == Some(epoch) && epoch < train.epochs {
            // Every live member's checkpoint is this epoch's: resuming continues from it. A
            // member that stopped early is finished (it would train no further).
            say(format!("paused after epoch {epoch} (--pause-after)"));
            let mut results = Vec::with_capacity(k);
            for m in 0..k {
                results.push(match failed[m].take() {
                    Some(error) => Err(error),
                    None if stopped[m] => Ok(Outcome::Finished(finish(&pack, m, &records[m])?)),
                    None => Ok(Outcome::Paused {
                        epochs_completed: epoch,
                    }),
                });
            }
            return Ok(results);
        }
    }
    let mut results = Vec::with_capacity(k);
    for m in 0..k {
        results.push(match failed[m].take() {
            Some(error) => Err(error),
            None => Ok(Outcome::Finished(finish(&pack, m, &records[m])?)),
        });
    }
    Ok(results)
}
