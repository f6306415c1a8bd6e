//! `actlab diagnose` files: `[base]` (an experiment's data, optimizer, batch size, seed and
//! backend) + `[diagnose]` (the deep MLP to build for each activation). Running them is
//! `actlab_eval::diagnose`'s job.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::activation::ActivationConfig;
use crate::config::{ConfigError, ConfigFile, ExperimentConfig};
use crate::model::{Init, MlpConfig};
use crate::sweep::default_activations;

fn default_depth() -> usize {
    10
}
fn default_width() -> usize {
    128
}
fn default_steps() -> usize {
    200
}

/// The most training steps between the two measurements (more is a typo: at ~1 ms a step on a
/// CPU, a million steps is already a quarter of an hour per activation).
pub const MAX_STEPS: usize = 1_000_000;

/// `[diagnose]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseSection {
    /// Hidden layers [10].
    #[serde(default = "default_depth")]
    pub depth: usize,
    /// Units per hidden layer [128].
    #[serde(default = "default_width")]
    pub width: usize,
    /// Training steps between the two measurements [200].
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// Initialisation [pytorch].
    #[serde(default)]
    pub init: Init,
    /// Activations [the sweep's default 13].
    #[serde(default = "default_activations")]
    pub activations: Vec<ActivationConfig>,
}

/// A diagnose file: `[base]` (data, optimizer, batch size, seed, backend) + `[diagnose]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseConfig {
    /// Name [the file's stem]; output in `runs/<name>/`.
    #[serde(default)]
    pub name: Option<String>,
    /// Training settings (its `[model]` is replaced by the deep MLP).
    pub base: ExperimentConfig,
    /// What to build.
    pub diagnose: DiagnoseSection,
}

impl ConfigFile for DiagnoseConfig {
    type Valid = DiagnoseConfig;
    type Error = ConfigError;

    fn name_mut(&mut self) -> &mut Option<String> {
        &mut self.name
    }

    fn validate(&self, path: &Path) -> Result<DiagnoseConfig, ConfigError> {
        self.check(path)?;
        Ok(self.clone())
    }
}

impl DiagnoseConfig {
    /// Reads and validates a diagnose file.
    pub fn load(path: &Path) -> Result<DiagnoseConfig, ConfigError> {
        crate::config::load::<Self>(path)
    }

    /// Checks sizes and every activation's model.
    pub fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        if let Some(name) = &self.name {
            crate::config::check_name(path, "name", name)?;
        }
        let d = &self.diagnose;
        if d.depth == 0 || d.depth > 100 {
            return Err(invalid(
                "diagnose.depth",
                d.depth.to_string(),
                "1 to 100 hidden layers",
            ));
        }
        if d.width == 0 || d.width > 4096 {
            return Err(invalid(
                "diagnose.width",
                d.width.to_string(),
                "1 to 4096 units",
            ));
        }
        if d.steps > MAX_STEPS {
            return Err(invalid(
                "diagnose.steps",
                d.steps.to_string(),
                &format!("at most {MAX_STEPS} steps"),
            ));
        }
        if d.activations.is_empty() {
            return Err(invalid(
                "diagnose.activations",
                "[]".into(),
                "at least one activation",
            ));
        }
        for activation in &d.activations {
            self.mlp(activation)
                .validate()
                .map_err(|error| ConfigError::Model {
                    path: path.to_path_buf(),
                    error,
                })?;
        }
        self.base.validate(path)?;
        Ok(())
    }

    /// The deep MLP for one activation.
    pub fn mlp(&self, activation: &ActivationConfig) -> MlpConfig {
        MlpConfig {
            input_size: 784,
            hidden: vec![self.diagnose.width; self.diagnose.depth],
            activation: activation.clone(),
            output_size: 10,
            output_activation: None,
            init: self.diagnose.init,
        }
    }

    /// `runs/<name>`.
    pub fn out_dir(&self) -> PathBuf {
        Path::new("runs").join(self.name.as_deref().unwrap_or("deep"))
    }
}
