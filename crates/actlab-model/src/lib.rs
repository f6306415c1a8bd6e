//! actlab's models: activation functions as Burn modules, an MLP generic over them, and the two
//! models of the reference article as presets.
//!
//! Architecture invariant: this crate never touches the file system, the network, the command
//! line or the environment. It turns configs into Burn modules and nothing else.

pub mod activation;
mod error;
pub mod mlp;
pub mod preset;
pub mod summary;

pub use activation::{Activation, ActivationConfig, activation_kinds};
pub use error::ModelError;
pub use mlp::{Init, Mlp, MlpConfig, ModelSpec};
pub use preset::Preset;
pub use summary::{LayerSummary, ModelSummary};
