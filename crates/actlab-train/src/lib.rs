//! actlab's trainer: the backend a config names, the training loops, and what they leave in a
//! run directory. The vocabulary (configs, the run directory's text files, checkpoint state) is
//! `actlab-format`'s.
//!
//! - [`backend`]: `[backend]` → a [`Backend`] (the device and its facts).
//! - [`session`]: [`train`], [`resume`], [`load_data`]; [`control`]: what a caller controls
//!   ([`TrainOptions`]) and gets back ([`Outcome`]).
//! - `epochs`: the one loop over epochs and the end-of-epoch bookkeeping, shared by `trainer`
//!   (one run) and [`pack`] (runs that differ only in activation and rate, trained as one
//!   network); [`step`]: the one training step ([`train_steps`]); [`evaluate`]: predictions and
//!   losses on a split.
//! - [`observer`]: what a run reports while it trains; [`provenance`]: where a result came
//!   from (build, device, CPU features, data).
//! - [`run`]: what training writes into a run directory (config, weights, checkpoint,
//!   TensorBoard, lock); [`diagnostics`]: per-layer probes.

pub mod backend;
pub mod control;
pub mod diagnostics;
mod epochs;
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
pub use control::{Outcome, TrainOptions};
pub use error::TrainError;
pub use evaluate::{Evaluation, Predictions, evaluate, predict_split};
pub use observer::{Observer, Quiet, RunInfo, StepProgress};
pub use optim::build as build_optimizer;
pub use session::{load_data, recorded_config, resume, resume_config, train};
pub use step::{Flow, StepResult, train_steps};
