//! Starting and continuing runs: [`train`] (a fresh run directory), [`resume`] (from its
//! checkpoint), [`load_data`] (the dataset a config names). The loop itself is
//! `crate::trainer`.

use std::path::Path;

use actlab_data::{FetchProgress, MnistData, Sources};
use actlab_format::config::{ConfigError, Experiment, ExperimentConfig};
use actlab_format::run::{RunStatus, RunSummary, files};

use crate::control::{Outcome, TrainOptions};
use crate::error::TrainError;
use crate::observer::Observer;
use crate::run::checkpoint::{self, Checkpoint};
use crate::run::{self, DirLock};
use crate::trainer::Trainer;

/// Finds and loads the dataset a config names: `[data] dir` first, then the usual sources.
pub fn load_data(
    config: &ExperimentConfig,
    mut sources: Sources,
    progress: &mut dyn FetchProgress,
) -> Result<MnistData, TrainError> {
    if let Some(dir) = &config.data.dir {
        sources.config_dir = Some(dir.clone());
    }
    let located = actlab_data::locate(config.data.dataset, &sources, progress)?;
    Ok(actlab_data::load_dir(&located.dir, config.data.dataset)?)
}

/// Starts a fresh run in `experiment.run_dir()`. Refuses a directory that already holds a run,
/// and one that holds anything else.
pub fn train(
    experiment: &Experiment,
    data: &MnistData,
    options: &TrainOptions,
    observer: &mut dyn Observer,
) -> Result<Outcome, TrainError> {
    let lock = fresh_run_dir(experiment)?;
    start(experiment, data, lock, None, options, observer)
}

/// The run directory of a fresh run, created and locked; an error when it holds a run or
/// anything else, or another command works there.
pub(crate) fn fresh_run_dir(experiment: &Experiment) -> Result<DirLock, TrainError> {
    let run_dir = experiment.run_dir();
    // Someone else's directory is refused before anything (the lock file) is written into it.
    if RunStatus::of(&run_dir) == RunStatus::NotARun {
        return Err(TrainError::NotARunDir { dir: run_dir });
    }
    let lock = DirLock::acquire(&run_dir)?;
    let exists = |found: &str| TrainError::RunExists {
        dir: run_dir.clone(),
        found: found.into(),
    };
    match RunStatus::of(&run_dir) {
        RunStatus::Finished => Err(exists("a summary.json")),
        RunStatus::Checkpointed { .. } => Err(exists("a checkpoint")),
        RunStatus::NotARun => Err(TrainError::NotARunDir { dir: run_dir }),
        RunStatus::Empty if run_dir.join(files::MODEL).exists() => Err(exists("final weights")),
        RunStatus::Empty => Ok(lock),
    }
}

/// Records the resolved config in the locked run directory and runs the loop (from
/// `checkpoint`, if any). The temporary files of writes killed earlier are removed first.
fn start(
    experiment: &Experiment,
    data: &MnistData,
    lock: DirLock,
    checkpoint: Option<Checkpoint>,
    options: &TrainOptions,
    observer: &mut dyn Observer,
) -> Result<Outcome, TrainError> {
    let run_dir = lock.dir();
    // A fresh start where a checkpoint directory exists: an earlier attempt died before its
    // first complete checkpoint (its files go with the first checkpoint written now).
    let restarted = checkpoint.is_none() && checkpoint::dir(run_dir).exists();
    if let Ok(entries) = std::fs::read_dir(run_dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    run::write_config(run_dir, experiment)?;
    Trainer::new(experiment, data, run_dir)?
        .restarted(restarted)
        .run(checkpoint, options, observer)
}

/// The raw config recorded in `run_dir`, to resume it: change what the command line says
/// (more epochs, another backend), then validate. A directory without one has nothing to
/// resume.
pub fn recorded_config(run_dir: &Path) -> Result<ExperimentConfig, TrainError> {
    let path = run_dir.join(files::CONFIG);
    if !path.is_file() {
        return Err(TrainError::NoCheckpoint {
            dir: run_dir.to_path_buf(),
            reason: format!("{} is missing", path.display()),
        });
    }
    run::run_config(run_dir)
}

/// The experiment recorded in `run_dir`, for [`resume`]; `epochs` raises (or confirms) the
/// total.
pub fn resume_config(run_dir: &Path, epochs: Option<usize>) -> Result<Experiment, TrainError> {
    let mut config = recorded_config(run_dir)?;
    if let Some(epochs) = epochs {
        config.train.epochs = epochs;
    }
    Ok(config.validate(&run_dir.join(files::CONFIG))?)
}

/// Continues the run in `experiment.run_dir()` from its checkpoint (see [`resume_config`]).
pub fn resume(
    experiment: &Experiment,
    data: &MnistData,
    options: &TrainOptions,
    observer: &mut dyn Observer,
) -> Result<Outcome, TrainError> {
    let run_dir = experiment.run_dir();
    if !run_dir.is_dir() {
        return Err(TrainError::NoCheckpoint {
            reason: "no such directory".into(),
            dir: run_dir,
        });
    }
    let lock = DirLock::acquire(&run_dir)?;
    let checkpoint = checkpoint::load(&run_dir)?;
    let mates = &checkpoint.state.train.packed_with;
    if !mates.is_empty() {
        return Err(TrainError::PackedRun {
            dir: run_dir,
            mates: mates.clone(),
        });
    }
    let done = checkpoint.state.train.epochs_completed;
    let too_few = |expected: String| -> TrainError {
        let path = run_dir.join(files::CONFIG);
        let value = experiment.train.epochs.to_string();
        ConfigError::invalid(&path, "train.epochs (--epochs)", value, expected).into()
    };
    if experiment.train.epochs < done {
        return Err(too_few(format!(
            "at least the {done} epochs this run has already trained"
        )));
    }
    if checkpoint.state.train.steps_into_epoch > 0 && experiment.train.epochs <= done {
        let next = done + 1;
        return Err(too_few(format!(
            "at least {next}: the run stopped part-way through epoch {next}"
        )));
    }
    if experiment.train.epochs == done
        && let Ok(summary) = RunSummary::load(&run_dir)
        && summary.epochs == done
    {
        return Ok(Outcome::AlreadyComplete(summary));
    }
    start(experiment, data, lock, Some(checkpoint), options, observer)
}
