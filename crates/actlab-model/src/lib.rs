//! actlab's models: activation functions as Burn modules, an MLP generic over them, and the two
//! models of the reference article as presets.
//!
//! Architecture invariant: this crate never touches the file system, the network, the command
//! line or the environment. It turns configs into Burn modules and nothing else. The configs
//! themselves (`ActivationConfig`, `MlpConfig`, `ModelSpec`, `Preset`, `ModelError`) are
//! defined in the Burn-free `actlab-format`.

pub mod activation;
pub mod mlp;
pub mod pack;
pub mod summary;

pub use activation::{Activation, ActivationInit};
pub use mlp::{Mlp, MlpInit};
pub use pack::PackedMlp;
pub use summary::{LayerSummary, ModelSummary};
