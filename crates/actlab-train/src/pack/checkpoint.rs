//! A pack's checkpoint is its members' own: each member's `checkpoint/` holds the usual
//! `state.toml` (its history, the position, `packed_with` naming the other members), its
//! weights as a plain `Mlp` record, and — as its optimizer file — its share of the pack's Adam
//! state: the two moments as `Mlp`-shaped records and its activation optimizer's Burn record,
//! framed as `MAGIC`, then three (length, bytes) parts. Adam's step count is not stored: every
//! step of every epoch counts, so it is `epochs × steps per epoch`.

use std::path::Path;

use actlab_format::activation::ActivationConfig;
use actlab_format::config::Experiment;
use actlab_format::state::TrainState;
use actlab_model::{Mlp, MlpInit, PackedMlp};
use burn::module::Module;
use burn::optim::ModuleOptimizer;

use super::step::PackStep;
use crate::error::TrainError;
use crate::run::{self, DirLock, checkpoint};

const MAGIC: &[u8] = b"actlab pack adam v1\n";

/// `MAGIC`, then each part as a little-endian u64 length and its bytes.
fn encode(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    for part in parts {
        out.extend((part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// The parts of an [`encode`]d file; `None` when it is not one (wrong magic, a length past the
/// end, bytes left over).
fn decode(bytes: &[u8], parts: usize) -> Option<Vec<Vec<u8>>> {
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let mut out = Vec::with_capacity(parts);
    for _ in 0..parts {
        let (len, tail) = rest.split_first_chunk::<8>()?;
        let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        if len > tail.len() {
            return None;
        }
        let (part, tail) = tail.split_at(len);
        out.push(part.to_vec());
        rest = tail;
    }
    rest.is_empty().then_some(out)
}

fn record_bytes(model: Mlp, dir: &Path) -> Result<Vec<u8>, TrainError> {
    model
        .into_record()
        .into_bytes()
        .map(|b| b.to_vec())
        .map_err(|e| TrainError::Corrupt {
            path: checkpoint::dir(dir),
            message: format!("cannot serialise the checkpoint: {e}"),
        })
}

/// Saves one member's checkpoint: `state`, its weights, its Adam moments (`m`, `v`, shaped as
/// its model) and its activation optimizer (if it has learnable activation parameters).
pub(super) fn save_member(
    run_dir: &Path,
    seed: u64,
    state: &TrainState,
    weights: Mlp,
    moments: (Mlp, Mlp),
    activation_optim: Option<&ModuleOptimizer>,
) -> Result<(), TrainError> {
    let corrupt = |e: burn::store::RecordError| TrainError::Corrupt {
        path: checkpoint::dir(run_dir),
        message: format!("cannot serialise the checkpoint: {e}"),
    };
    let model = record_bytes(weights, run_dir)?;
    let m = record_bytes(moments.0, run_dir)?;
    let v = record_bytes(moments.1, run_dir)?;
    let activations = match activation_optim {
        Some(optim) => optim.into_bytes().map_err(corrupt)?.to_vec(),
        None => Vec::new(),
    };
    let optimizer = encode(&[&m, &v, &activations]);
    checkpoint::save_state(run_dir, seed, state, &model, &optimizer)
}

/// A member's saved Adam share: `(m record, v record, activation optimizer record)`.
pub(super) fn moments(run_dir: &Path, bytes: &[u8]) -> Result<Vec<Vec<u8>>, TrainError> {
    decode(bytes, 3).ok_or_else(|| TrainError::Corrupt {
        path: checkpoint::dir(run_dir),
        message: "the optimizer file is not a pack's Adam state".into(),
    })
}

/// Each live member's checkpoint at `position` (epochs finished, steps into the next; a
/// member's sums so far in that epoch are its record's `partial`).
pub(super) fn save(
    pack: &PackStep,
    experiments: &[Experiment],
    locks: &[DirLock],
    records: &[TrainState],
    failed: &[Option<TrainError>],
    position: (usize, usize),
) -> Result<(), TrainError> {
    let names: Vec<String> = experiments.iter().map(Experiment::name).collect();
    let live: Vec<usize> = (0..experiments.len())
        .filter(|&m| failed[m].is_none())
        .collect();
    for (m, experiment) in experiments.iter().enumerate() {
        if failed[m].is_some() {
            continue;
        }
        let Some(moments) = pack.member_moments(m)? else {
            continue;
        };
        // The member's record (history, diagnostics, best-epoch hash, the epoch's sums so far)
        // at the pack's position, with the members that resume with it: the live ones (itself
        // alone, when the others have diverged: still a pack's checkpoint, resumed by
        // `resume_pack`).
        let mates: Vec<String> = live
            .iter()
            .filter(|&&i| i != m)
            .map(|&i| names[i].clone())
            .collect();
        let state = TrainState {
            epochs_completed: position.0,
            steps_into_epoch: position.1,
            packed_with: if mates.is_empty() {
                vec![names[m].clone()]
            } else {
                mates
            },
            ..records[m].clone()
        };
        let weights = pack
            .net
            .member(m, super::member_mlp(experiment)?.output_activation.as_ref())?
            .valid();
        save_member(
            locks[m].dir(),
            experiment.train.seed,
            &state,
            weights,
            moments,
            pack.activation_optim(m),
        )?;
    }
    Ok(())
}

/// The pack as its members' checkpoints left it, with their records (history, diagnostics).
pub(super) fn restore(
    experiments: &[Experiment],
    checkpoints: Vec<checkpoint::Checkpoint>,
    configs: &[ActivationConfig],
    device: &burn::tensor::Device,
    weight_decay: f64,
    time: usize,
) -> Result<(PackStep, Vec<TrainState>), TrainError> {
    let mut members = Vec::new();
    let mut ms = Vec::new();
    let mut vs = Vec::new();
    let mut optims = Vec::new();
    let mut records = Vec::new();
    for (experiment, cp) in experiments.iter().zip(checkpoints) {
        let dir = experiment.run_dir();
        let cp_dir = checkpoint::dir(&dir);
        let config = super::member_mlp(experiment)?;
        let blank = || config.init(device);
        let model = run::load_mlp(blank()?, &cp_dir.join(&cp.state.model_file), cp.model)?;
        let parts = moments(&dir, &cp.optimizer)?;
        let optimizer_path = cp_dir.join(&cp.state.optimizer_file);
        let mut parts = parts.into_iter();
        let mut next = || parts.next().unwrap_or_default();
        ms.push(run::load_mlp(blank()?, &optimizer_path, next())?);
        vs.push(run::load_mlp(blank()?, &optimizer_path, next())?);
        let activation_state = next();
        let has_params = model.activations.iter().any(|a| a.num_params() > 0);
        optims.push(if has_params {
            let optim = burn::optim::AdamConfig::new()
                .with_epsilon(crate::optim::ADAM_EPSILON)
                .init()
                .from_bytes(burn::tensor::Bytes::from_bytes_vec(activation_state))
                .map_err(|e| TrainError::Corrupt {
                    path: optimizer_path.clone(),
                    message: format!("not a pack's activation optimizer state: {e}"),
                })?;
            Some(optim)
        } else {
            None
        });
        records.push(cp.state.train);
        members.push(model);
    }
    let net = PackedMlp::new(&members, configs)?;
    let moments = (PackedMlp::new(&ms, configs)?, PackedMlp::new(&vs, configs)?);
    let time = i32::try_from(time).map_err(|_| TrainError::TooManySteps { steps: time })?;
    let pack = PackStep::resumed(net, weight_decay, time, moments, optims);
    Ok((pack, records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_damage_is_refused() {
        let bytes = encode(&[b"abc", b"", b"xyz12"]);
        assert_eq!(
            decode(&bytes, 3),
            Some(vec![b"abc".to_vec(), Vec::new(), b"xyz12".to_vec()])
        );
        assert_eq!(decode(&bytes[..bytes.len() - 1], 3), None);
        assert_eq!(decode(&[bytes.as_slice(), b"!"].concat(), 3), None);
        assert_eq!(decode(b"not a pack", 3), None);
        let mut huge = MAGIC.to_vec();
        huge.extend(u64::MAX.to_le_bytes());
        assert_eq!(decode(&huge, 3), None);
    }
}
