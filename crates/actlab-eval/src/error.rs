//! What can go wrong on the read side.

use std::path::PathBuf;

use actlab_format::config::ConfigError;
use actlab_format::error::FileError;
use actlab_train::TrainError;

/// Why an evaluation, a prediction, a report or a diagnosis failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Loading the model, the data or the backend failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// A search's space could not be built (its templates are checked when the file loads, so
    /// this is a file changed in between).
    #[error("search: {message}")]
    Search {
        /// What is wrong.
        message: String,
    },
    /// An input image could not be used.
    #[error("{path}: {message}")]
    Image {
        /// The image.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `predict` on a run whose dataset is not 28×28 grey images (MNIST-1D, CIFAR-10).
    #[error(
        "`actlab predict` classifies 28×28 grey images, and a run on {dataset} takes {}; \
         `actlab eval` measures it on its test set",
        .dataset.shape_words()
    )]
    NotImages {
        /// The run's dataset.
        dataset: actlab_format::dataset::DatasetName,
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
}

impl From<actlab_data::DataError> for EvalError {
    fn from(error: actlab_data::DataError) -> Self {
        EvalError::Train(TrainError::Data(error))
    }
}

impl From<actlab_format::error::ModelError> for EvalError {
    fn from(error: actlab_format::error::ModelError) -> Self {
        EvalError::Train(TrainError::Model(error))
    }
}

impl From<ConfigError> for EvalError {
    fn from(error: ConfigError) -> Self {
        EvalError::Train(TrainError::Config(error))
    }
}

impl From<FileError> for EvalError {
    fn from(error: FileError) -> Self {
        EvalError::Train(TrainError::from(error))
    }
}

/// What can go wrong while plotting.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The output directory could not be created.
    #[error("cannot create {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Drawing or writing an image failed.
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The image file.
        path: PathBuf,
        /// What plotters said.
        message: String,
    },
    /// The embedded font could not be loaded.
    #[error("cannot load the embedded font")]
    Font,
    /// A tensor could not be read back.
    #[error("cannot read the computed curve: {0}")]
    Tensor(String),
    /// The activation cannot be built (a formula that fails its checks).
    #[error(transparent)]
    Model(#[from] actlab_format::error::ModelError),
}
