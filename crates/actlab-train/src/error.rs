//! What can stop a training run.

use std::path::PathBuf;

use actlab_data::DataError;
use actlab_model::ModelError;

use crate::backend::BackendError;
use crate::config::ConfigError;

/// Why a run could not start, continue or finish.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Runs that cannot be trained as one pack, or a pack that stopped.
    #[error("pack: {0}")]
    Pack(String),
    /// The backend cannot be used.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The dataset could not be found or read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The model could not be built.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A fresh run would overwrite an earlier one.
    #[error(
        "{dir} already holds a run (it has {found}); continue it with `actlab train --resume {dir}`, \
         or choose another directory with --out (nothing was overwritten)"
    )]
    RunExists {
        /// The run directory.
        dir: PathBuf,
        /// What was found there.
        found: String,
    },
    /// Another command works in the directory.
    #[error(
        "{dir} is in use by process {pid} (another actlab command); wait for it to finish, or \
         use another directory"
    )]
    Busy {
        /// The directory.
        dir: PathBuf,
        /// The holder's process id, as it wrote it.
        pid: String,
    },
    /// A fresh run would write into a directory that holds other things than a run.
    #[error(
        "{dir} exists and is not an actlab run directory (it holds other files); nothing was \
         written there: choose another directory with --out"
    )]
    NotARunDir {
        /// The directory.
        dir: PathBuf,
    },
    /// A directory read as a run lacks one of its files.
    #[error("{dir} is not a finished run: {missing} is missing (train it with `actlab train`)")]
    NotARun {
        /// The directory.
        dir: PathBuf,
        /// The missing file.
        missing: &'static str,
    },
    /// `--resume` on a directory without a checkpoint.
    #[error("{dir} has no checkpoint to resume from ({reason})")]
    NoCheckpoint {
        /// The run directory.
        dir: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A checkpoint or weights file exists but cannot be used.
    #[error("{path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing the run directory failed.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error (quoted in the message, so not also a `source`: printed once).
        error: std::io::Error,
    },
    /// The loss stopped being a finite number.
    #[error(
        "the training loss became {loss} at epoch {epoch}, step {step} of {steps}: training \
         diverged, so the run stopped (the checkpoint of the last finished epoch is kept). Try a \
         lower train.optimizer.lr"
    )]
    NonFinite {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based step within the epoch.
        step: usize,
        /// Steps per epoch.
        steps: usize,
        /// The value (NaN or ±inf).
        loss: f32,
    },
    /// The training part is smaller than one batch.
    #[error(
        "{images} training images make no full batch of train.batch_size = {batch_size}: lower \
         the batch size, data.validation_size, or raise data.train_limit"
    )]
    TooFewImages {
        /// Training images after the hold-out and limit.
        images: usize,
        /// The batch size.
        batch_size: usize,
    },
    /// The device failed while reading a result back.
    #[error("the {backend} device failed: {message}")]
    Device {
        /// The backend.
        backend: &'static str,
        /// What it reported.
        message: String,
    },
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TrainError {
        let path = path.into();
        move |error| TrainError::Io { path, error }
    }
}
