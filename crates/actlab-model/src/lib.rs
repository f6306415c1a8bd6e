//! actlab's models: activation functions as Burn modules, and the networks built from them — an
//! MLP or a CNN, one [`Network`] type for the trainer and everything after it.
//!
//! Architecture invariant: this crate never touches the file system, the network, the command
//! line or the environment. It turns configs into Burn modules and nothing else. The configs
//! themselves (`ActivationConfig`, `MlpConfig`, `ModelSpec`, `Preset`, `ModelError`) are
//! defined in the Burn-free `actlab-format`.

pub mod activation;
pub mod cnn;
pub mod mlp;
pub mod network;
pub mod pack;
pub mod summary;

pub use activation::{Activation, ActivationInit};
pub use cnn::{Cnn, CnnInit};
pub use mlp::{Mlp, MlpInit};
pub use network::{Network, NetworkInit};
pub use pack::PackedMlp;
pub use summary::{LayerSummary, ModelSummary};
