//! actlab's file formats: everything it reads from a user or from a run directory, parsed and
//! validated **without Burn**, so that `cargo fuzz` can reach every parser quickly (a fuzz
//! build with sanitizers never compiles Burn) and the vocabulary (datasets, activations,
//! models, experiments) has one definition that every other crate uses.
//!
//! - [`dataset`]: the datasets, their files, checksums, mirrors and class names; `Holdout`.
//! - [`activation`], [`model`], [`cnn`], [`preset`]: what a model is (`ActivationConfig`,
//!   `MlpConfig`, `CnnConfig`, `NetworkConfig`, `Preset`); `actlab-model` builds it. [`expr`], [`rational`]: formula and
//!   rational activations.
//! - [`config`]: experiment files (strict TOML → `ExperimentConfig` → `Experiment`) and the
//!   reader every config file shares; [`sweep`], [`shard`], [`tuning`], [`diagnose`]: the other
//!   config files and what follows from them.
//! - [`run`], [`state`], [`provenance`]: the files of a run directory (metrics, diagnostics,
//!   summary, checkpoint state), written and read here.
//! - [`image`]: images for `predict`; [`fsio`]: bounded reads and atomic writes;
//!   [`invariants`]: what every reader must hold on any input (fuzz targets, mutation tests).
//!
//! Architecture invariant: no Burn, no network; files are read only through [`fsio`]'s bounded,
//! regular-file-only reader.

pub mod activation;
pub mod cnn;
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
pub mod provenance;
pub mod rational;
pub mod run;
pub mod search;
pub mod shard;
pub mod state;
pub mod sweep;
pub mod tuning;
