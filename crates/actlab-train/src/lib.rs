//! actlab's trainer: experiment configs, the backend a config names, the training loop, and the
//! run directory it leaves (see [`run`] for the layout, with every file's writer and reader).
//!
//! - [`config`] (from `actlab-format`): experiment files, raw ([`ExperimentConfig`]) → validated ([`Experiment`]).
//! - [`backend`]: `[backend]` → a [`Backend`] (the device and its facts).
//! - [`session`]: [`train`], [`resume`], [`load_data`]; [`trainer`]: the epochs; [`step`]: the
//!   one training step ([`train_steps`]); [`evaluate`]: predictions and losses on a split.
//! - [`observer`]: what a run reports while it trains; [`provenance`]: where a result came
//!   from (build, device, CPU features, data).
//! - [`checkpoint`], [`run`]: what a run leaves on disk; [`diagnostics`]: per-layer probes.
//! - [`pack`]: runs that differ only in activation and learning rate, trained as one network.

pub mod backend;
pub mod checkpoint;
pub use actlab_format::config;
pub mod diagnostics;
mod error;
pub mod evaluate;
mod feed;
pub mod observer;
mod optim;
pub mod pack;
pub mod provenance;
pub mod run;
pub mod session;
pub mod step;
mod trainer;

pub use backend::{Backend, BackendError, compiled_backends, device};
pub use config::{
    BackendName, BackendSection, ConfigError, DataSection, Dataset, DeviceSpec, Experiment,
    ExperimentConfig, Holdout, OptimizerConfig, OutputSection, Progress, ScheduleConfig,
    TrainSection,
};
pub use error::TrainError;
pub use evaluate::{Evaluation, Predictions, evaluate, predict_split};
pub use observer::{Observer, Quiet, RunInfo, StepProgress};
pub use optim::build as build_optimizer;
pub use provenance::{Adapter, BuildInfo, Provenance};
pub use run::{BURN_VERSION, EpochRecord, RunStatus, RunSummary};
pub use session::{
    Outcome, TrainOptions, load_data, recorded_config, resume, resume_config, train,
};
pub use step::{Flow, StepResult, train_steps};
