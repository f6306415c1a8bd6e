//! actlab's models: activation functions as Burn modules, an MLP generic over them, and the two
//! models of the reference article as presets.
//!
//! Architecture invariant: this crate never touches the file system, the network, the command
//! line or the environment. It turns configs into Burn modules and nothing else. The configs
//! themselves ([`ActivationConfig`], [`MlpConfig`], [`ModelSpec`], [`Preset`], [`ModelError`])
//! are defined in the Burn-free `actlab-format` and re-exported here.

pub mod activation;
pub mod mlp;
pub mod pack;
pub mod summary;

pub use activation::{Activation, ActivationConfig, ActivationInit, activation_kinds};
pub use actlab_format::preset;
pub use actlab_format::{ModelError, Preset};
pub use mlp::{Init, Mlp, MlpConfig, MlpInit, ModelSpec};
pub use pack::PackedMlp;
pub use summary::{LayerSummary, ModelSummary};
