//! actlab's file formats: everything it reads from a user or from a run directory, parsed and
//! validated **without Burn**, so that `cargo fuzz` can reach every parser quickly (a fuzz
//! build with sanitizers never compiles Burn) and the vocabulary (datasets, activations,
//! models, experiments) has one definition that every other crate re-exports.
//!
//! - [`dataset`]: the datasets, their files, checksums, mirrors and class names; [`Holdout`].
//! - [`activation`], [`model`], [`preset`]: what a model is ([`ActivationConfig`],
//!   [`MlpConfig`], [`ModelSpec`], [`Preset`]); `actlab-model` builds it.
//! - [`config`]: experiment files (strict TOML → [`ExperimentConfig`] → [`Experiment`]) and the
//!   reader every config file shares.
//! - [`fsio`]: bounded reads and atomic writes.
//!
//! Architecture invariant: no Burn, no network; files are read only through [`fsio`]'s bounded,
//! regular-file-only reader.

pub mod activation;
pub mod config;
pub mod dataset;
pub mod diagnose;
pub mod error;
pub mod expr;
pub mod fsio;
pub mod image;
pub mod invariants;
pub mod model;
pub mod preset;
pub mod rational;
pub mod shard;
pub mod state;
pub mod sweep;
pub mod tune;

pub use activation::{ActivationConfig, activation_kinds};
pub use config::{ConfigError, Experiment, ExperimentConfig};
pub use dataset::{DatasetName, Holdout};
pub use error::ModelError;
pub use model::{Init, MlpConfig, ModelSpec};
pub use preset::Preset;
