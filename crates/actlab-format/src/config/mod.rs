//! Experiment configs: one TOML file with `[model]`, `[data]`, `[train]`, `[backend]` and
//! `[output]` sections, parsed strictly (unknown fields are errors) into an [`ExperimentConfig`]
//! — the raw form, which command-line overrides may still change — and validated once into an
//! [`Experiment`], the form the trainer requires (model spec resolved, every value checked).
//! Every error names the file and the dotted field, and says what is allowed.

mod backend;
mod file;
pub mod model;
mod sections;
#[cfg(test)]
mod tests;

use std::ops::Deref;
use std::path::{Path, PathBuf};

use crate::model::{MlpConfig, NetworkConfig};
pub use model::{IMAGE_INPUT, ModelSpec};
use serde::{Deserialize, Serialize};

pub use backend::{BackendName, BackendSection, DeviceSpec};
pub use file::{ConfigError, ConfigFile, check_name, load, name_from_path, parse_toml, read_toml};
pub use sections::{
    DataSection, EarlyStopping, OptimizerConfig, OutputSection, ProgressDisplay, ScheduleConfig,
    TrainSection,
};

/// A whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// The run's name [the config file's stem].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The model: a preset, an MLP spec, or a preset with overrides.
    pub model: ModelSpec,
    /// The dataset.
    #[serde(default)]
    pub data: DataSection,
    /// Training hyper-parameters.
    #[serde(default)]
    pub train: TrainSection,
    /// Where to run.
    #[serde(default)]
    pub backend: BackendSection,
    /// Where results go.
    #[serde(default)]
    pub output: OutputSection,
}

/// An experiment whose config has been validated: the model spec resolved (once) into an
/// [`NetworkConfig`], every value in range. The trainer takes nothing else. Reads as its
/// [`ExperimentConfig`] (which holds the resolved model spec).
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    config: ExperimentConfig,
    model: NetworkConfig,
}

impl Deref for Experiment {
    type Target = ExperimentConfig;

    fn deref(&self) -> &ExperimentConfig {
        &self.config
    }
}

impl Experiment {
    /// The model to build, resolved from the `[model]` section.
    pub fn network(&self) -> &NetworkConfig {
        &self.model
    }

    /// The model when it is an MLP (packs train only MLPs).
    pub fn mlp(&self) -> Option<&MlpConfig> {
        self.model.mlp()
    }

    /// The validated config (model spec resolved).
    pub fn config(&self) -> &ExperimentConfig {
        &self.config
    }

    /// The raw config again, to change and validate anew.
    pub fn into_config(self) -> ExperimentConfig {
        self.config
    }

    /// This experiment with `change` applied to its config, validated again; the model is
    /// resolved again only when `change` touched `[model]` or `[data]` (a sweep's tuning runs
    /// and final runs are its points at other rates and seeds). `path` names the file in
    /// errors.
    pub fn revised(
        &self,
        path: &Path,
        change: impl FnOnce(&mut ExperimentConfig),
    ) -> Result<Experiment, ConfigError> {
        let mut config = self.config.clone();
        change(&mut config);
        if config.model != self.config.model || config.data != self.config.data {
            return config.validate(path);
        }
        config.check_ranges(path)?;
        Ok(Experiment {
            config,
            model: self.model.clone(),
        })
    }

    /// The run's name: `name`, else the run directory's last component.
    pub fn name(&self) -> String {
        self.config.name.clone().unwrap_or_else(|| {
            self.run_dir()
                .file_name()
                .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned())
        })
    }
}

impl ConfigFile for ExperimentConfig {
    type Valid = Experiment;
    type Error = ConfigError;

    fn name_mut(&mut self) -> &mut Option<String> {
        &mut self.name
    }

    fn validate(&self, path: &Path) -> Result<Experiment, ConfigError> {
        ExperimentConfig::validate(self, path)
    }
}

impl ExperimentConfig {
    /// Reads and parses a config file without validating it (the name defaults to the file's
    /// stem): apply overrides, then [`ExperimentConfig::validate`].
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        <Self as ConfigFile>::read(path)
    }

    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Experiment, ConfigError> {
        load::<Self>(path)
    }

    /// Parses config text without validating it; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        parse_toml(text, path)
    }

    /// Validates the config into an [`Experiment`]: the model spec is resolved here, once.
    pub fn validate(&self, path: &Path) -> Result<Experiment, ConfigError> {
        let dataset = self.data.dataset;
        let input = dataset.input_shape();
        let model =
            self.model
                .resolve_for_dataset(dataset)
                .map_err(|error| ConfigError::Model {
                    path: path.to_path_buf(),
                    error,
                })?;
        // A model of other sizes than the dataset's cannot train on it.
        let shape = match &model {
            NetworkConfig::Mlp(mlp) => ("model.input_size", mlp.input_size.to_string()),
            NetworkConfig::Cnn(cnn) => ("model.input", format!("{:?}", cnn.input)),
        };
        let classes = dataset.num_classes();
        let words = format!(
            "the {} in {classes} classes of {dataset}",
            dataset.shape_words()
        );
        if model.input_features() != dataset.features()
            || model.cnn().is_some_and(|cnn| cnn.input != input)
        {
            let expected = match &model {
                NetworkConfig::Mlp(_) => dataset.features().to_string(),
                NetworkConfig::Cnn(_) => format!("{input:?}"),
            };
            return Err(ConfigError::invalid(
                path,
                shape.0,
                shape.1,
                format!("{expected} ({words})"),
            ));
        }
        if model.output_size() != classes {
            return Err(ConfigError::invalid(
                path,
                "model.output_size",
                model.output_size().to_string(),
                format!("{classes} ({words})"),
            ));
        }
        self.check_ranges(path)?;
        let mut config = self.clone();
        config.model = self.model.filled(&model);
        Ok(Experiment { config, model })
    }

    /// Checks the values that parsed but are out of range (everything but the model).
    fn check_ranges(&self, path: &Path) -> Result<(), ConfigError> {
        self.check_run(path)?;
        self.check_optimizer(path)
    }

    /// The name, early stopping, epochs, batch size and image counts.
    fn check_run(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        if let Some(name) = &self.name {
            check_name(path, "name", name)?;
        }
        if let Some(early) = &self.train.early_stopping {
            if early.patience == 0 {
                return Err(invalid(
                    "train.early_stopping.patience",
                    "0".into(),
                    "at least 1 epoch",
                ));
            }
            if self.data.validation_size == 0 {
                return Err(invalid(
                    "train.early_stopping",
                    format!("{{ patience = {} }}", early.patience),
                    "a validation set to watch (data.validation_size > 0)",
                ));
            }
        }
        if self.train.epochs == 0 {
            return Err(invalid("train.epochs", "0".into(), "at least 1"));
        }
        let train_images = self.data.dataset.train_count();
        if !(1..=train_images).contains(&self.train.batch_size) {
            return Err(invalid(
                "train.batch_size",
                self.train.batch_size.to_string(),
                &format!("1 to {train_images} (no larger than the training set)"),
            ));
        }
        if self.data.validation_size >= train_images {
            return Err(invalid(
                "data.validation_size",
                self.data.validation_size.to_string(),
                &format!("fewer than the {train_images} training images"),
            ));
        }
        for (field, limit) in [
            ("data.train_limit", self.data.train_limit),
            ("data.test_limit", self.data.test_limit),
        ] {
            if limit == Some(0) {
                return Err(invalid(
                    field,
                    "0".into(),
                    "at least 1 (or leave it out: all)",
                ));
            }
        }
        Ok(())
    }

    /// The schedule, seed, learning rate and the optimizer's own parameters.
    fn check_optimizer(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        match self.train.schedule {
            Some(ScheduleConfig::Cosine { min_lr })
                if !(min_lr.is_finite()
                    && min_lr >= 0.0
                    && min_lr <= self.train.optimizer.lr()) =>
            {
                return Err(invalid(
                    "train.schedule.min_lr",
                    min_lr.to_string(),
                    "a number in [0, train.optimizer.lr]",
                ));
            }
            Some(ScheduleConfig::Step { step_size: 0, .. }) => {
                return Err(invalid(
                    "train.schedule.step_size",
                    "0".into(),
                    "at least 1",
                ));
            }
            Some(ScheduleConfig::Step { gamma, .. }) if !(gamma.is_finite() && gamma > 0.0) => {
                return Err(invalid(
                    "train.schedule.gamma",
                    gamma.to_string(),
                    "a finite number > 0",
                ));
            }
            _ => {}
        }
        for (field, seed) in [
            ("train.seed", Some(self.train.seed)),
            ("train.data_seed", self.train.data_seed),
        ] {
            if let Some(seed) = seed.filter(|s| i64::try_from(*s).is_err()) {
                return Err(invalid(
                    field,
                    seed.to_string(),
                    "an integer ≤ 9223372036854775807 (TOML integers are signed 64-bit)",
                ));
            }
        }
        let lr = self.train.optimizer.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(invalid(
                "train.optimizer.lr",
                lr.to_string(),
                "a finite number > 0",
            ));
        }
        match self.train.optimizer {
            OptimizerConfig::Adam { weight_decay, .. }
            | OptimizerConfig::Adamw { weight_decay, .. }
            | OptimizerConfig::Sgd { weight_decay, .. }
                if !(weight_decay.is_finite() && weight_decay >= 0.0) =>
            {
                return Err(invalid(
                    "train.optimizer.weight_decay",
                    weight_decay.to_string(),
                    "a finite number ≥ 0",
                ));
            }
            OptimizerConfig::Sgd { momentum, .. } if !(0.0..1.0).contains(&momentum) => {
                return Err(invalid(
                    "train.optimizer.momentum",
                    momentum.to_string(),
                    "a number in [0, 1)",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// The run directory: `[output] dir`, or `runs/<name>`.
    pub fn run_dir(&self) -> PathBuf {
        match &self.output.dir {
            Some(dir) => dir.clone(),
            None => Path::new("runs").join(self.name.as_deref().unwrap_or("run")),
        }
    }

    /// The config as TOML, every default written out (what a run directory records).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// Writes [`ExperimentConfig::to_toml`] to `path` atomically: a temp file in the same
    /// directory, renamed over `path`, so a crash never leaves a half-written config.
    pub fn write_atomic(&self, path: &Path) -> Result<(), ConfigError> {
        let write_error = |source: std::io::Error| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        let text = self
            .to_toml()
            .map_err(|e| write_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        crate::fsio::write_atomic(path, text.as_bytes()).map_err(write_error)?;
        Ok(())
    }
}
