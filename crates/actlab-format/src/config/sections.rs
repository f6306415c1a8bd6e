//! The sections of an experiment file: `[data]`, `[train]` (optimizer, schedule) and `[output]`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::dataset::{DatasetName, Holdout};
use crate::state::EpochRecord;

fn default_validation_size() -> usize {
    5_000
}

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// `mnist`, `fashion-mnist` or `kmnist` [fashion-mnist].
    #[serde(default)]
    pub dataset: DatasetName,
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
            dataset: DatasetName::default(),
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
    /// The kind as a config names it (`adam`, `adamw`, `sgd`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Adam { .. } => "adam",
            Self::Adamw { .. } => "adamw",
            Self::Sgd { .. } => "sgd",
        }
    }

    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            Self::Adam { lr, .. } | Self::Adamw { lr, .. } | Self::Sgd { lr, .. } => *lr,
        }
    }

    /// Sets the base learning rate.
    pub fn set_lr(&mut self, value: f64) {
        match self {
            Self::Adam { lr, .. } | Self::Adamw { lr, .. } | Self::Sgd { lr, .. } => *lr = value,
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
pub enum ProgressDisplay {
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
    /// Seed for the validation split and each epoch's order alone [none: `seed`]: with it,
    /// `seed` draws only the initial weights, so the two sources of a run's spread can be
    /// varied apart (`[grid] seeds = { init = [...], data = [...] }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_seed: Option<u64>,
    /// `bar` or `plain` [bar]: a display choice of the command line, read from the file but
    /// never written into a run's resolved `config.toml`.
    #[serde(default, skip_serializing)]
    pub progress: ProgressDisplay,
    /// Measure per-layer gradient norms, dead and saturated units and learned parameters on a
    /// probe batch at initialisation and after every epoch → `diagnostics.csv` [false].
    #[serde(default)]
    pub diagnostics: bool,
    /// Stop when validation accuracy has not improved for `patience` epochs [off].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopping>,
}

fn yes() -> bool {
    true
}

/// `[train] early_stopping = { patience = 3, restore_best = true }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStopping {
    /// Epochs without a new best validation accuracy before stopping (ties are no improvement).
    pub patience: usize,
    /// End with the weights of the best validation epoch (the test numbers are theirs) [true].
    #[serde(default = "yes")]
    pub restore_best: bool,
}

impl EarlyStopping {
    /// The epoch (1-based) of the best validation accuracy in `history` (the earliest of
    /// equals), and whether training should stop after it: a pure function of the history, so a
    /// resumed run decides exactly as an uninterrupted one.
    pub fn decide(&self, history: &[EpochRecord]) -> (Option<usize>, bool) {
        let mut best: Option<(usize, f64)> = None;
        for (i, acc) in history.iter().map(|r| r.val_acc).enumerate() {
            if let Some(acc) = acc
                && best.is_none_or(|(_, b)| acc > b)
            {
                best = Some((i + 1, acc));
            }
        }
        let stop = best.is_some_and(|(epoch, _)| history.len() - epoch >= self.patience);
        (best.map(|(epoch, _)| epoch), stop)
    }
}

impl Default for TrainSection {
    fn default() -> Self {
        Self {
            epochs: default_epochs(),
            batch_size: default_batch_size(),
            optimizer: OptimizerConfig::default(),
            schedule: None,
            seed: default_seed(),
            data_seed: None,
            progress: ProgressDisplay::default(),
            diagnostics: false,
            early_stopping: None,
        }
    }
}

impl TrainSection {
    /// The seed of the validation split and of each epoch's order: `data_seed`, or `seed`.
    pub fn data_seed(&self) -> u64 {
        self.data_seed.unwrap_or(self.seed)
    }

    /// The learning rate of epoch `epoch` (1-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        let base = self.optimizer.lr();
        match &self.schedule {
            Some(schedule) => schedule.lr(base, epoch, self.epochs),
            None => base,
        }
    }
}

/// `[output]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// The run directory [runs/<name>].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Write TensorBoard event files to `<run dir>/tensorboard/` [true]. Written out only when
    /// off, so configs recorded before it existed read back unchanged.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub tensorboard: bool,
}

impl Default for OutputSection {
    fn default() -> Self {
        OutputSection {
            dir: None,
            tensorboard: true,
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_yes(value: &bool) -> bool {
    *value
}
