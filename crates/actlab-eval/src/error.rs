//! What can go wrong while reading a run.

use std::path::PathBuf;

use actlab_train::TrainError;

use crate::PlotError;

/// Why an evaluation or prediction failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The directory is not a (finished) run.
    #[error("{dir} is not a finished run: {missing} is missing (train it with `actlab train`)")]
    NotARun {
        /// The directory.
        dir: PathBuf,
        /// The missing file.
        missing: &'static str,
    },
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
    /// Writing a report failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Drawing failed.
    #[error(transparent)]
    Plot(#[from] PlotError),
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
