//! Experiment configs: one TOML file with `[model]`, `[data]`, `[train]`, `[backend]` and
//! `[output]` sections, parsed strictly (unknown fields are errors) and validated. Every error
//! names the file and the dotted field, and says what is allowed.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use actlab_model::{ModelError, ModelSpec};
use serde::{Deserialize, Serialize};

/// What can be wrong with a config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config could not be written.
    #[error("cannot write config {path}")]
    Write {
        /// The destination.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a field has the wrong name, type or value.
    #[error("{path}: {field}: {message}")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The dotted field path (`model.activation`), or `(top level)`.
        field: String,
        /// What the parser said, with the line it points at.
        message: String,
    },
    /// A field parsed but its value is not allowed.
    #[error("{path}: {field} = {value} is invalid: expected {expected}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The dotted field path.
        field: String,
        /// The value found.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// The `[model]` section does not describe a valid model.
    #[error("{path}: {error}")]
    Model {
        /// The config file.
        path: PathBuf,
        /// What is wrong with the model.
        error: ModelError,
    },
}

impl ConfigError {
    /// `path: field = value is invalid: expected …`.
    pub fn invalid(
        path: &Path,
        field: &str,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            field: field.to_string(),
            value: value.into(),
            expected: expected.into(),
        }
    }
}

/// A run's or sweep's default name: the config file's stem.
pub fn name_from_path(path: &Path) -> Option<String> {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
}

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

/// The datasets actlab reads (defined by the data crate).
pub use actlab_data::DatasetName as Dataset;
/// Which training images are held out for validation.
pub use actlab_data::Holdout;

fn default_validation_size() -> usize {
    5_000
}

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// `mnist` or `fashion-mnist` [fashion-mnist].
    #[serde(default)]
    pub dataset: Dataset,
    /// A directory holding the IDX files, tried before the usual places.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Training images held out for validation [5000].
    #[serde(default = "default_validation_size")]
    pub validation_size: usize,
    /// `last` (the tail of the training file) or `random` (seeded with `train.seed`) [last].
    #[serde(default)]
    pub holdout: Holdout,
    /// Train on only the first N images of the training part (after the hold-out) [all]: quick
    /// runs, sweeps on a subset, tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_limit: Option<usize>,
    /// Evaluate on only the first N test images [all 10,000].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_limit: Option<usize>,
}

impl Default for DataSection {
    fn default() -> Self {
        Self {
            dataset: Dataset::default(),
            dir: None,
            validation_size: default_validation_size(),
            holdout: Holdout::default(),
            train_limit: None,
            test_limit: None,
        }
    }
}

fn default_lr() -> f64 {
    1e-3
}

/// The optimizer (`optimizer = { kind = "adam", lr = 1e-3 }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerConfig {
    /// Adam (Kingma & Ba) with L2 weight decay added to the gradient.
    Adam {
        /// Learning rate [1e-3].
        #[serde(default = "default_lr")]
        lr: f64,
        /// L2 penalty [0]; never applied to PReLU slopes or Swish β.
        #[serde(default)]
        weight_decay: f64,
    },
    /// AdamW: Adam with decoupled weight decay.
    Adamw {
        /// Learning rate [1e-3].
        #[serde(default = "default_lr")]
        lr: f64,
        /// Decoupled weight decay [0.01]; never applied to PReLU slopes or Swish β.
        #[serde(default = "default_adamw_decay")]
        weight_decay: f64,
    },
    /// Stochastic gradient descent with optional momentum.
    Sgd {
        /// Learning rate [1e-3].
        #[serde(default = "default_lr")]
        lr: f64,
        /// Momentum [0].
        #[serde(default)]
        momentum: f64,
        /// L2 penalty [0]; never applied to PReLU slopes or Swish β.
        #[serde(default)]
        weight_decay: f64,
    },
}

fn default_adamw_decay() -> f64 {
    0.01
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self::Adam {
            lr: default_lr(),
            weight_decay: 0.0,
        }
    }
}

impl OptimizerConfig {
    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            Self::Adam { lr, .. } | Self::Adamw { lr, .. } | Self::Sgd { lr, .. } => *lr,
        }
    }
}

/// A learning-rate schedule over epochs (`schedule = { kind = "cosine" }`). The rate is set at
/// the start of each epoch and depends only on the epoch, so a resumed run follows it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleConfig {
    /// The optimizer's rate throughout.
    Constant,
    /// Cosine annealing from the optimizer's rate (epoch 1) towards `min_lr` (reached after the
    /// last epoch): `lr_e = min_lr + (lr − min_lr)·(1 + cos(π·(e−1)/epochs))/2`.
    Cosine {
        /// The floor [0].
        #[serde(default)]
        min_lr: f64,
    },
    /// Multiply the rate by `gamma` every `step_size` epochs.
    Step {
        /// Epochs between decays [1].
        #[serde(default = "default_step_size")]
        step_size: usize,
        /// Factor [0.1].
        #[serde(default = "default_gamma")]
        gamma: f64,
    },
}

fn default_step_size() -> usize {
    1
}
fn default_gamma() -> f64 {
    0.1
}

impl ScheduleConfig {
    /// The learning rate of epoch `epoch` (1-based) of `epochs`, starting from `base`.
    pub fn lr(&self, base: f64, epoch: usize, epochs: usize) -> f64 {
        let done = epoch.saturating_sub(1);
        match *self {
            Self::Constant => base,
            Self::Cosine { min_lr } => {
                let t = done as f64 / epochs.max(1) as f64;
                min_lr + (base - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            Self::Step { step_size, gamma } => {
                let decays = i32::try_from(done / step_size.max(1)).unwrap_or(i32::MAX);
                base * gamma.powi(decays)
            }
        }
    }
}

/// How training reports progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// A live bar on a terminal (plain lines when output is not a terminal).
    #[default]
    Bar,
    /// One line per epoch.
    Plain,
}

fn default_epochs() -> usize {
    10
}
fn default_batch_size() -> usize {
    64
}
fn default_seed() -> u64 {
    42
}

/// `[train]`; defaults follow the article: Adam 1e-3, batch 64, 10 epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSection {
    /// Epochs [10].
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Mini-batch size [64].
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// The optimizer [adam, lr 1e-3].
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    /// Learning-rate schedule over epochs [constant].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleConfig>,
    /// Seed for initialisation, shuffling and the validation split [42].
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// `bar` or `plain` [bar].
    #[serde(default)]
    pub progress: Progress,
    /// Measure per-layer gradient norms, dead and saturated units and learned parameters on a
    /// probe batch at initialisation and after every epoch → `diagnostics.csv` [false].
    #[serde(default)]
    pub diagnostics: bool,
}

impl Default for TrainSection {
    fn default() -> Self {
        Self {
            epochs: default_epochs(),
            batch_size: default_batch_size(),
            optimizer: OptimizerConfig::default(),
            schedule: None,
            seed: default_seed(),
            progress: Progress::default(),
            diagnostics: false,
        }
    }
}

impl TrainSection {
    /// The learning rate of epoch `epoch` (1-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        let base = self.optimizer.lr();
        match &self.schedule {
            Some(schedule) => schedule.lr(base, epoch, self.epochs),
            None => base,
        }
    }
}

/// The Burn backends a config can name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendName {
    /// Burn's pure-Rust CPU backend (the default).
    #[default]
    Flex,
    /// The ndarray CPU backend (deprecated by Burn 0.22 in favour of flex, still supported).
    Ndarray,
    /// GPUs through wgpu (Vulkan, Metal, DX12; Mesa's lavapipe on a machine without one).
    Wgpu,
    /// NVIDIA GPUs through CUDA (cargo feature `cuda`).
    Cuda,
}

/// Which device of the backend: `default`, `cpu`, `discrete:N`, `integrated:N`, or `N`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeviceSpec {
    /// The backend's default device.
    #[default]
    Default,
    /// A CPU device (wgpu: the software adapter).
    Cpu,
    /// The N-th discrete GPU.
    Discrete(usize),
    /// The N-th integrated GPU.
    Integrated(usize),
    /// Device N (CUDA ordinal).
    Index(usize),
}

const DEVICE_FORMS: &str = "\"default\", \"cpu\", \"discrete:N\", \"integrated:N\" or \"N\"";

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let index = |n: &str| {
            n.parse::<usize>()
                .map_err(|_| format!("unknown device \"{s}\", expected {DEVICE_FORMS}"))
        };
        match s {
            "default" => Ok(Self::Default),
            "cpu" => Ok(Self::Cpu),
            _ => {
                if let Some(n) = s.strip_prefix("discrete:") {
                    index(n).map(Self::Discrete)
                } else if let Some(n) = s.strip_prefix("integrated:") {
                    index(n).map(Self::Integrated)
                } else {
                    index(s).map(Self::Index)
                }
            }
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::Cpu => f.write_str("cpu"),
            Self::Discrete(n) => write!(f, "discrete:{n}"),
            Self::Integrated(n) => write!(f, "integrated:{n}"),
            Self::Index(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for DeviceSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `[backend]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendSection {
    /// `flex` | `ndarray` | `wgpu` | `cuda` [flex].
    #[serde(default)]
    pub name: BackendName,
    /// [default]
    #[serde(default)]
    pub device: DeviceSpec,
}

/// `[output]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// The run directory [runs/<name>].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

/// Parses TOML text into `T`, strictly: a syntax error, an unknown field or a wrong value is a
/// [`ConfigError::Parse`] naming `path` and the dotted field (`train.epochs`).
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ConfigError> {
    let parse_error = |field: String, error: toml::de::Error| ConfigError::Parse {
        path: path.to_path_buf(),
        field,
        message: error.to_string().trim_end().to_string(),
    };
    let deserializer =
        toml::Deserializer::parse(text).map_err(|e| parse_error("(syntax)".into(), e))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." {
            "(top level)".to_string()
        } else {
            field
        };
        parse_error(field, e.into_inner())
    })
}

/// Reads the TOML file `path` into `T` (see [`parse_toml`]).
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_toml(&text, path)
}

impl ExperimentConfig {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Self::parse(&text, path)?;
        if config.name.is_none() {
            config.name = name_from_path(path);
        }
        Ok(config)
    }

    /// Parses and validates config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Self = parse_toml(text, path)?;
        config.validate(path)?;
        Ok(config)
    }

    /// Checks values that parsed but are out of range.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field: &str, value: String, expected: &str| {
            ConfigError::invalid(path, field, value, expected)
        };
        self.model.resolve().map_err(|error| ConfigError::Model {
            path: path.to_path_buf(),
            error,
        })?;
        if let Some(name) = &self.name
            && (name.is_empty() || name.contains(['/', '\\']))
        {
            return Err(invalid(
                "name",
                format!("{name:?}"),
                "a non-empty name without path separators",
            ));
        }
        if self.train.epochs == 0 {
            return Err(invalid("train.epochs", "0".into(), "at least 1"));
        }
        if self.train.batch_size == 0 {
            return Err(invalid("train.batch_size", "0".into(), "at least 1"));
        }
        if self.data.validation_size >= 60_000 {
            return Err(invalid(
                "data.validation_size",
                self.data.validation_size.to_string(),
                "fewer than the 60000 training images",
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
        if i64::try_from(self.train.seed).is_err() {
            return Err(invalid(
                "train.seed",
                self.train.seed.to_string(),
                "an integer ≤ 9223372036854775807 (TOML integers are signed 64-bit)",
            ));
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
        crate::run::write_atomic(path, text.as_bytes()).map_err(write_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ExperimentConfig, ConfigError> {
        ExperimentConfig::parse(text, Path::new("configs/test.toml"))
    }

    fn message(text: &str) -> String {
        match parse(text) {
            Ok(config) => panic!("accepted {config:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn minimal_config_gets_the_articles_defaults() {
        let config = parse("[model]\npreset = \"prelu-mlp\"\n").unwrap();
        assert_eq!(config.train.epochs, 10);
        assert_eq!(config.train.batch_size, 64);
        assert_eq!(config.train.optimizer, OptimizerConfig::default());
        assert_eq!(config.train.optimizer.lr(), 1e-3);
        assert_eq!(config.data.dataset, Dataset::FashionMnist);
        assert_eq!(config.backend.name, BackendName::Flex);
        assert_eq!(config.backend.device, DeviceSpec::Default);
    }

    #[test]
    fn round_trips_through_toml() {
        let text = r#"
            name = "x"
            [model]
            preset = "swish-mlp"
            activation = { kind = "swish", beta = 1.0, trainable = true }
            [data]
            dataset = "mnist"
            validation_size = 1000
            [train]
            epochs = 3
            optimizer = { kind = "sgd", lr = 0.1, momentum = 0.9 }
            progress = "plain"
            [backend]
            name = "wgpu"
            device = "discrete:1"
            [output]
            dir = "runs/elsewhere"
        "#;
        let config = parse(text).unwrap();
        assert_eq!(config.backend.device, DeviceSpec::Discrete(1));
        let again = parse(&config.to_toml().unwrap()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn errors_name_the_file_the_field_and_what_is_allowed() {
        let m = message("[model]\npreset = \"prelu-mlp\"\nactivation = \"rellu\"\n");
        assert!(m.starts_with("configs/test.toml: model.activation"), "{m}");
        assert!(m.contains("rellu") && m.contains("leaky_relu"), "{m}");

        let m = message("[model]\npreset = \"prelu-mlp\"\n[backend]\nname = \"tpu\"\n");
        assert!(
            m.contains("backend.name") && m.contains("tpu") && m.contains("wgpu"),
            "{m}"
        );

        let m = message("[model]\npreset = \"prelu-mlp\"\n[backend]\ndevice = \"gpu:0\"\n");
        assert!(
            m.contains("backend.device") && m.contains("discrete:N"),
            "{m}"
        );

        let m = message("[model]\npreset = \"prelu-mlp\"\n[train]\nepochz = 3\n");
        assert!(m.contains("train") && m.contains("epochz"), "{m}");

        let m = message("[model]\npreset = \"prelu-mlp\"\n[train]\nepochs = \"ten\"\n");
        assert!(m.contains("train.epochs"), "{m}");

        let m = message("[model]\npreset = \"prelu-mlp\"\n[train]\nepochs = 0\n");
        assert!(m.contains("train.epochs = 0"), "{m}");

        let m = message(
            "[model]\npreset = \"prelu-mlp\"\n[train]\noptimizer = { kind = \"adam\", lr = -1.0 }\n",
        );
        assert!(m.contains("train.optimizer.lr"), "{m}");

        let m = message("[model]\nhidden = [64]\n");
        assert!(m.contains("model.activation is missing"), "{m}");

        let m = message(
            "[model]\npreset = \"prelu-mlp\"\nactivation = { kind = \"elu\", alpha = -2.0 }\n",
        );
        assert!(m.contains("model.activation.alpha"), "{m}");

        let m = message("[model\n");
        assert!(m.starts_with("configs/test.toml: (syntax)"), "{m}");

        let m = message("[data]\ndataset = \"mnist\"\n");
        assert!(m.contains("model"), "{m}");
    }

    #[test]
    fn schedules_follow_their_formulas() {
        let cosine = ScheduleConfig::Cosine { min_lr: 0.0 };
        assert_eq!(cosine.lr(1e-3, 1, 10), 1e-3);
        assert!((cosine.lr(1e-3, 6, 10) - 0.5e-3).abs() < 1e-15);
        assert!(cosine.lr(1e-3, 10, 10) > 0.0 && cosine.lr(1e-3, 10, 10) < 0.03e-3);
        let step = ScheduleConfig::Step {
            step_size: 3,
            gamma: 0.5,
        };
        let lrs: Vec<f64> = (1..=7).map(|e| step.lr(1.0, e, 7)).collect();
        assert_eq!(lrs, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]);
        let config = parse(
            "[model]\npreset = \"prelu-mlp\"\n[train]\nepochs = 4\n\
             schedule = { kind = \"cosine\", min_lr = 1e-4 }\n",
        )
        .unwrap();
        assert_eq!(config.train.lr_at(1), 1e-3);
        assert!((config.train.lr_at(3) - 0.55e-3).abs() < 1e-15);
        let constant = parse("[model]\npreset = \"prelu-mlp\"\n").unwrap();
        assert_eq!(constant.train.lr_at(7), 1e-3);
    }

    #[test]
    fn new_fields_are_validated() {
        let base = "[model]\npreset = \"prelu-mlp\"\n";
        let m = message(&format!(
            "{base}[train]\nschedule = {{ kind = \"step\", step_size = 0 }}\n"
        ));
        assert!(m.contains("train.schedule.step_size = 0"), "{m}");
        let m = message(&format!(
            "{base}[train]\nschedule = {{ kind = \"cosine\", min_lr = 1.0 }}\n"
        ));
        assert!(m.contains("train.schedule.min_lr"), "{m}");
        let m = message(&format!(
            "{base}[train]\nschedule = {{ kind = \"linear\" }}\n"
        ));
        assert!(m.contains("train.schedule") && m.contains("cosine"), "{m}");
        let m = message(&format!("{base}[data]\ntrain_limit = 0\n"));
        assert!(m.contains("data.train_limit = 0"), "{m}");
        let m = message(&format!("{base}[train]\nseed = -1\n"));
        assert!(m.contains("train.seed"), "{m}");
        let mut config = parse(base).unwrap();
        config.train.seed = u64::MAX;
        let e = config
            .validate(Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("train.seed"), "{e}");
        let ok = parse(&format!(
            "{base}[data]\ntrain_limit = 100\ntest_limit = 50\n[train]\n\
             schedule = {{ kind = \"step\", step_size = 2, gamma = 0.5 }}\n"
        ))
        .unwrap();
        assert_eq!(parse(&ok.to_toml().unwrap()).unwrap(), ok);
    }

    #[test]
    fn run_dir_defaults_to_runs_and_the_name() {
        let mut config = parse("name = \"abc\"\n[model]\npreset = \"prelu-mlp\"\n").unwrap();
        assert_eq!(config.run_dir(), Path::new("runs/abc"));
        config.output.dir = Some(PathBuf::from("/tmp/x"));
        assert_eq!(config.run_dir(), Path::new("/tmp/x"));
    }

    #[test]
    fn written_configs_load_back_identically_and_leave_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let config = parse("name = \"a\"\n[model]\npreset = \"prelu-mlp\"\n").unwrap();
        config.write_atomic(&path).unwrap();
        config.write_atomic(&path).unwrap(); // overwriting works too
        assert_eq!(ExperimentConfig::load(&path).unwrap(), config);
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 1, "only config.toml is left");
        let missing_dir = dir.path().join("no/such/dir/config.toml");
        let err = config.write_atomic(&missing_dir).unwrap_err();
        assert!(matches!(err, ConfigError::Write { .. }), "{err}");
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = ExperimentConfig::load(Path::new("/nonexistent/actlab.toml")).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
        assert!(err.to_string().contains("/nonexistent/actlab.toml"));
    }

    #[test]
    fn name_defaults_to_the_file_stem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my-run.toml");
        std::fs::write(&path, "[model]\npreset = \"swish-mlp\"\n").unwrap();
        assert_eq!(
            ExperimentConfig::load(&path).unwrap().name.as_deref(),
            Some("my-run")
        );
    }
}
