//! actlab's trainer: experiment configs, the backend a config names, the training loop, and the
//! run directory it leaves (see [`run`] for the layout).

pub mod backend;
pub mod checkpoint;
pub mod config;
pub mod diagnostics;
mod error;
mod optim;
pub mod run;
pub mod train;

pub use backend::{BackendError, compiled_backends, device};
pub use config::{
    BackendName, BackendSection, ConfigError, DataSection, Dataset, DeviceSpec, ExperimentConfig,
    Holdout, OptimizerConfig, OutputSection, Progress, ScheduleConfig, TrainSection,
};
pub use error::TrainError;
pub use optim::build as build_optimizer;
pub use run::{BURN_VERSION, EpochRecord, RunSummary};
pub use train::{
    Evaluation, Observer, Outcome, Predictions, Quiet, RunInfo, StepProgress, TrainOptions,
    eval_batch, evaluate, load_data, predict_split, resume, resume_config, train,
};
