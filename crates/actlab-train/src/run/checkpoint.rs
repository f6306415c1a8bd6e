//! Checkpoints: model, optimizer state, position in training and the metrics so far.
//!
//! `checkpoint/state.toml` (written and read by `actlab_format::state`) names the model and
//! optimizer files of its generation (`model-e0003-s000000.bpk`, …). Each file is written
//! atomically, the state last, and older generations are deleted only after the new state is in
//! place: a crash at any moment leaves a state whose files all exist.
//!
//! The only randomness in training is the shuffle, and an epoch's order is a pure function of
//! `(seed, epoch)` (ChaCha8, stream `1 + epoch`; see `actlab_data::split`). The RNG state of a
//! run is therefore fully described by the seed and the position (epoch, step), which is what
//! `state.toml` records under `rng`.

use std::path::{Path, PathBuf};

use actlab_format::state::{CheckpointState, FORMAT, RngState, STATE, TrainState};
use actlab_model::Network;

pub use actlab_format::state::dir;

use super::{sha256, verify, write_file};
use crate::error::TrainError;

/// A loaded checkpoint.
#[derive(Debug)]
pub struct Checkpoint {
    /// The state.
    pub state: CheckpointState,
    /// Burnpack bytes of the model record.
    pub model: Vec<u8>,
    /// Burnpack bytes of the optimizer record.
    pub optimizer: Vec<u8>,
}

/// Saves `train` with the model and optimizer of that moment as a new generation, then removes
/// older ones. The RNG position follows from the run's seed and the position (see the module
/// docs).
pub fn save_state(
    run_dir: &Path,
    seed: u64,
    train: &TrainState,
    model: &[u8],
    optimizer: &[u8],
) -> Result<(), TrainError> {
    let state = CheckpointState {
        format: FORMAT,
        rng: RngState {
            algorithm: "chacha8".into(),
            seed,
            stream: train.epochs_completed as u64 + 1,
            position: train.steps_into_epoch,
        },
        train: train.clone(),
        model_file: String::new(),
        optimizer_file: String::new(),
        model_sha256: String::new(),
        optimizer_sha256: String::new(),
    };
    save(run_dir, state, model, optimizer)
}

/// Writes a checkpoint generation, then removes older ones.
pub fn save(
    run_dir: &Path,
    mut state: CheckpointState,
    model: &[u8],
    optimizer: &[u8],
) -> Result<(), TrainError> {
    let dir = dir(run_dir);
    std::fs::create_dir_all(&dir).map_err(TrainError::io(&dir))?;
    let generation = format!(
        "e{:04}-s{:06}",
        state.train.epochs_completed, state.train.steps_into_epoch
    );
    state.model_file = format!("model-{generation}.bpk");
    state.optimizer_file = format!("optimizer-{generation}.bpk");
    state.model_sha256 = sha256(model);
    state.optimizer_sha256 = sha256(optimizer);
    write_file(dir.join(&state.model_file), model)?;
    write_file(dir.join(&state.optimizer_file), optimizer)?;
    state.write(run_dir)?;
    remove_other_generations(&dir, &state);
    Ok(())
}

/// Removes the generation files in `dir` that `state` does not name, and the temporary files
/// of killed writes: garbage once `state` is in place (failing to delete one only costs disk
/// space). After a save; and on loading, for a run killed between writing its state and this.
fn remove_other_generations(dir: &Path, state: &CheckpointState) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name == state.model_file || name == state.optimizer_file || name == STATE;
            let generation_file = (name.starts_with("model-") || name.starts_with("optimizer-"))
                && name.ends_with(".bpk");
            // A write killed half-way leaves its temporary file (`.tmpXXXXXX`).
            let leftover = name.starts_with(".tmp");
            if (generation_file || leftover) && !ours {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// `checkpoint/best-eNNNN.bpk`: under early stopping with `restore_best`, the weights of best
/// validation epoch `epoch`.
fn best_path(run_dir: &Path, epoch: usize) -> PathBuf {
    dir(run_dir).join(format!("best-e{epoch:04}.bpk"))
}

/// Writes the weights of a new best validation epoch; returns their SHA-256 for the state,
/// which is saved after them (so a crash leaves the state's best file in place).
pub fn write_best(run_dir: &Path, epoch: usize, model: Network) -> Result<String, TrainError> {
    let dir = dir(run_dir);
    std::fs::create_dir_all(&dir).map_err(TrainError::io(&dir))?;
    super::write_weights_to(&best_path(run_dir, epoch), model)
}

/// Removes the best-epoch weights of other epochs, once the state names `epoch`'s (failing
/// only costs disk space).
pub fn remove_older_best(run_dir: &Path, epoch: usize) {
    let keep = best_path(run_dir, epoch);
    if let Ok(entries) = std::fs::read_dir(dir(run_dir)) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("best-e") && name.ends_with(".bpk") && entry.path() != keep {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Loads best epoch `epoch`'s weights into `model`, checked against the SHA-256 the state
/// recorded.
pub fn load_best(
    run_dir: &Path,
    epoch: usize,
    recorded: &str,
    model: Network,
) -> Result<Network, TrainError> {
    let path = best_path(run_dir, epoch);
    let bytes = std::fs::read(&path).map_err(TrainError::io(&path))?;
    verify(&path, &bytes, recorded, STATE)?;
    super::load_weights(model, &path, bytes)
}

/// Reads the checkpoint of `run_dir`, its generation files checked against the SHA-256s the
/// state recorded; then removes the files of other generations (the caller holds the run's
/// lock: loading is for resuming).
pub fn load(run_dir: &Path) -> Result<Checkpoint, TrainError> {
    let dir = dir(run_dir);
    let Some(state) = CheckpointState::read(run_dir)? else {
        return Err(TrainError::NoCheckpoint {
            dir: run_dir.to_path_buf(),
            reason: format!("{} is missing", dir.join(STATE).display()),
        });
    };
    let read = |name: &str, recorded: &str| {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(TrainError::io(&path))?;
        verify(&path, &bytes, recorded, STATE)?;
        Ok::<_, TrainError>(bytes)
    };
    let model = read(&state.model_file, &state.model_sha256)?;
    let optimizer = read(&state.optimizer_file, &state.optimizer_sha256)?;
    // The state and its files are sound: whatever else a killed save left is not needed.
    remove_other_generations(&dir, &state);
    Ok(Checkpoint {
        state,
        model,
        optimizer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(epochs: usize) -> CheckpointState {
        CheckpointState {
            format: FORMAT,
            train: TrainState {
                epochs_completed: epochs,
                history: (1..=epochs)
                    .map(|epoch| actlab_format::state::EpochRecord {
                        epoch,
                        train_loss: 0.5,
                        train_acc: 0.8,
                        val_loss: Some(0.6),
                        val_acc: Some(0.75),
                        lr: 1e-3,
                        seconds: 1.0,
                        wall_seconds: 1.2,
                    })
                    .collect(),
                ..TrainState::default()
            },
            rng: RngState {
                algorithm: "chacha8".into(),
                seed: 1,
                stream: epochs as u64 + 1,
                position: 0,
            },
            model_file: String::new(),
            optimizer_file: String::new(),
            model_sha256: String::new(),
            optimizer_sha256: String::new(),
        }
    }

    /// The file names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn saves_load_back_and_old_generations_are_removed() {
        let run = tempfile::tempdir().unwrap();
        save(run.path(), state(1), b"m1", b"o1").unwrap();
        save(run.path(), state(2), b"m2", b"o2").unwrap();
        let loaded = load(run.path()).unwrap();
        assert_eq!(loaded.state.train.epochs_completed, 2);
        assert_eq!(actlab_format::state::position(run.path()), Some((2, 0)));
        assert_eq!(loaded.model, b"m2");
        assert_eq!(loaded.optimizer, b"o2");
        assert_eq!(
            names(&dir(run.path())),
            [
                "model-e0002-s000000.bpk",
                "optimizer-e0002-s000000.bpk",
                "state.toml"
            ]
        );
    }

    /// A save killed after writing its state but before removing the previous generation
    /// leaves that generation's files: loading (to resume) removes them, and a temporary file
    /// of a killed write, and keeps the generation the state names.
    #[test]
    fn loading_removes_a_killed_saves_previous_generation() {
        let run = tempfile::tempdir().unwrap();
        save(run.path(), state(1), b"m1", b"o1").unwrap();
        let cp = dir(run.path());
        let kept: Vec<(String, Vec<u8>)> =
            ["model-e0001-s000000.bpk", "optimizer-e0001-s000000.bpk"]
                .iter()
                .map(|n| (n.to_string(), std::fs::read(cp.join(n)).unwrap()))
                .collect();
        save(run.path(), state(2), b"m2", b"o2").unwrap();
        // The kill: epoch 1's files are back, as if never removed, and a half-written file.
        for (name, bytes) in &kept {
            std::fs::write(cp.join(name), bytes).unwrap();
        }
        std::fs::write(cp.join(".tmpAbC123"), b"half").unwrap();
        std::fs::write(cp.join("notes.txt"), b"the user's").unwrap();
        let loaded = load(run.path()).unwrap();
        assert_eq!(loaded.model, b"m2");
        assert_eq!(
            names(&cp),
            [
                "model-e0002-s000000.bpk",
                "notes.txt",
                "optimizer-e0002-s000000.bpk",
                "state.toml"
            ]
        );
    }

    #[test]
    fn missing_and_corrupt_checkpoints_are_clear_errors() {
        let run = tempfile::tempdir().unwrap();
        let error = load(run.path()).unwrap_err();
        assert!(matches!(error, TrainError::NoCheckpoint { .. }), "{error}");

        save(run.path(), state(1), b"m", b"o").unwrap();
        std::fs::write(dir(run.path()).join(STATE), "{ not json").unwrap();
        let error = load(run.path()).unwrap_err().to_string();
        assert!(
            error.contains("state.toml") && error.contains("not a checkpoint"),
            "{error}"
        );

        save(run.path(), state(1), b"m", b"o").unwrap();
        std::fs::remove_file(dir(run.path()).join("model-e0001-s000000.bpk")).unwrap();
        let error = load(run.path()).unwrap_err().to_string();
        assert!(error.contains("model-e0001-s000000.bpk"), "{error}");

        // One byte changed after writing: the recorded hash says so, naming the file.
        save(run.path(), state(1), b"model", b"optim").unwrap();
        std::fs::write(
            dir(run.path()).join("optimizer-e0001-s000000.bpk"),
            b"optiM",
        )
        .unwrap();
        let error = load(run.path()).unwrap_err().to_string();
        assert!(
            error.contains("optimizer-e0001-s000000.bpk") && error.contains("SHA-256"),
            "{error}"
        );
    }
}
