//! What can stop a training run.

use std::path::PathBuf;

use actlab_data::DataError;
use actlab_format::config::ConfigError;
use actlab_format::error::FileError;
use actlab_format::error::ModelError;

use crate::backend::BackendError;

/// Why a run could not start, continue or finish.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Runs given as one pack that differ in more than activation and learning rate
    /// (`actlab_train::pack::PackKey`).
    #[error(
        "the runs of a pack must differ only in activation and learning rate: {dir} differs \
         from {first} in more"
    )]
    NotPackable {
        /// The first run that differs.
        dir: PathBuf,
        /// The pack's first run.
        first: PathBuf,
    },
    /// A run given to a pack that does not use Adam (the packed step is an Adam).
    #[error(
        "{dir} uses another optimizer than Adam: only runs with Adam train in packs (train it \
         with `actlab train`)"
    )]
    PackNeedsAdam {
        /// The run directory.
        dir: PathBuf,
    },
    /// A convolutional run given to a pack (packs hold MLPs only).
    #[error(
        "{dir} is a convolutional network: CNN runs train alone (train it with `actlab train`; \
         `compare --pack` trains them alone by itself)"
    )]
    PackNeedsMlp {
        /// The run directory.
        dir: PathBuf,
    },
    /// `train-pack --resume` on a run that was trained alone.
    #[error("{dir} was not trained in a pack: continue it with `actlab train --resume {dir}`")]
    NotPacked {
        /// The run directory.
        dir: PathBuf,
    },
    /// `train --resume` on a run trained in a pack.
    #[error(
        "{dir} was trained in a pack with {}: resume them together with `actlab train-pack \
         --resume` on every one of their run directories (or run `actlab compare --pack` again)",
        .mates.join(", ")
    )]
    PackedRun {
        /// The run directory.
        dir: PathBuf,
        /// The other members of its pack.
        mates: Vec<String>,
    },
    /// Packed runs checkpointed at different points cannot continue as one pack.
    #[error(
        "{dir} was checkpointed {}, {first} {}: a pack resumes runs checkpointed at the same \
         point",
        show_position(.at), show_position(.first_at)
    )]
    PackPositions {
        /// A run at another position.
        dir: PathBuf,
        /// Its position (epochs finished, steps into the next).
        at: (usize, usize),
        /// The pack's first run.
        first: PathBuf,
        /// Its position.
        first_at: (usize, usize),
    },
    /// A pack's Adam counts steps in an `i32`.
    #[error(
        "{steps} steps (epochs × steps per epoch) are more than a pack's Adam step count holds \
         ({}): train fewer epochs or larger batches",
        i32::MAX
    )]
    TooManySteps {
        /// The step count.
        steps: usize,
    },
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
        "{dir} is in use by {} (another actlab command); wait for it to finish, or use another \
         directory",
        pid.map_or("another process".to_string(), |p| format!("process {p}"))
    )]
    Busy {
        /// The directory.
        dir: PathBuf,
        /// The holder's process id, when it has written it (a live process's).
        pid: Option<u32>,
    },
    /// Outputs (a report, plots) would go into a directory actlab did not make.
    #[error(
        "{dir} holds files and was not made by actlab (it has no .actlab.lock); nothing was \
         written there: choose a new or empty directory with --out"
    )]
    NotOurs {
        /// The directory.
        dir: PathBuf,
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
    /// Final weights with no SHA-256 recorded for them anywhere.
    #[error(
        "{path}: no SHA-256 is recorded for these weights (model.bpk.sha256 and summary.json's \
         model_sha256 are both missing), so they cannot be verified; --unverified uses them \
         anyway"
    )]
    Unverifiable {
        /// The weights file.
        path: PathBuf,
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

/// `after epoch 2`, `at step 6 of epoch 3`.
fn show_position(&(epochs, steps): &(usize, usize)) -> String {
    match steps {
        0 => format!("after epoch {epochs}"),
        s => format!("at step {s} of epoch {}", epochs + 1),
    }
}

impl From<FileError> for TrainError {
    fn from(error: FileError) -> TrainError {
        match error {
            FileError::Io { path, error } => TrainError::Io { path, error },
            FileError::Corrupt { path, message } => TrainError::Corrupt { path, message },
        }
    }
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TrainError {
        let path = path.into();
        move |error| TrainError::Io { path, error }
    }
}
