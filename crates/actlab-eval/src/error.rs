//! What can go wrong on the read side.

use std::path::PathBuf;

use actlab_train::TrainError;

use crate::plot::PlotError;

/// Why an evaluation, a prediction, a report or a diagnosis failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Loading the model, the data or the backend failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// An input image could not be used.
    #[error("{path}: {message}")]
    Image {
        /// The image.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `--test-index` past the end of the test set.
    #[error("--test-index {index} is out of range: the test set has {count} images (0 to {})", count.saturating_sub(1))]
    TestIndex {
        /// The index asked for.
        index: usize,
        /// Test images.
        count: usize,
    },
    /// A directory to read from does not exist.
    #[error("{path}: no such directory")]
    NoDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Writing a report failed.
    #[error("cannot write {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error (quoted in the message, so not also a `source`: printed once).
        error: std::io::Error,
    },
    /// Drawing failed.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A file the report reads (e.g. `tune/selection.json`) is not what actlab writes.
    #[error("{path}: {message}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl From<actlab_data::DataError> for EvalError {
    fn from(error: actlab_data::DataError) -> Self {
        EvalError::Train(TrainError::Data(error))
    }
}

impl From<actlab_model::ModelError> for EvalError {
    fn from(error: actlab_model::ModelError) -> Self {
        EvalError::Train(TrainError::Model(error))
    }
}

impl From<actlab_train::ConfigError> for EvalError {
    fn from(error: actlab_train::ConfigError) -> Self {
        EvalError::Train(TrainError::Config(error))
    }
}
