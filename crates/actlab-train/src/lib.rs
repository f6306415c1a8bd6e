//! actlab's trainer: experiment configs now; the backend mapping, the training loop and the run
//! directory arrive with the trainer issue.

pub mod config;

pub use config::{
    BackendName, BackendSection, ConfigError, DataSection, Dataset, DeviceSpec, ExperimentConfig,
    Holdout, OptimizerConfig, OutputSection, Progress, TrainSection,
};
