//! `summary.json`: what a finished run says about itself. Writer, reader, and the one place
//! that assembles it.

use std::path::Path;

use actlab_model::ActivationConfig;
use serde::{Deserialize, Serialize};

use super::{BURN_VERSION, EpochRecord, files, write_file};
use crate::config::Experiment;
use crate::error::TrainError;
use crate::evaluate::Evaluation;
use crate::provenance::Provenance;

/// `summary.json`: what a finished run says about itself. Reports are built from these alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's name.
    pub name: String,
    /// The hidden activation's kind (`prelu`, `swish`, …).
    pub activation: String,
    /// The activation with its parameters (`swish(β=1, learnable)`).
    pub activation_label: String,
    /// The activation as its config, in the shape a config file accepts (`"relu"`,
    /// `{"kind": "prelu", "slope": 0.25, "per_unit": false}`): what reports and claims compare.
    /// Absent in summaries written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_config: Option<ActivationConfig>,
    /// Layer widths, input to output.
    pub layers: Vec<usize>,
    /// The dataset.
    pub dataset: String,
    /// The backend (`flex`, `ndarray`, `wgpu`, `cuda`).
    pub backend: String,
    /// The device (`default`, `cpu`, `discrete:0`, …).
    pub device: String,
    /// The seed.
    pub seed: u64,
    /// Epochs trained.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// The optimizer kind.
    pub optimizer: String,
    /// Its base learning rate.
    #[serde(default)]
    pub lr: f64,
    /// Trainable parameters.
    pub params: usize,
    /// Training images per epoch (after hold-out and limit).
    pub train_samples: usize,
    /// Validation images.
    pub validation_samples: usize,
    /// Test images evaluated.
    pub test_samples: usize,
    /// Accuracy of the final weights on the test images.
    pub test_accuracy: f64,
    /// Test images classified correctly (`test_accuracy` exactly, as a count).
    #[serde(default)]
    pub test_correct: usize,
    /// Mean cross-entropy of the final weights on the test images.
    pub test_loss: f64,
    /// Best validation accuracy over the epochs.
    pub best_val_accuracy: Option<f64>,
    /// The epoch (1-based) that reached it.
    pub best_val_epoch: Option<usize>,
    /// The last epoch's training loss.
    pub final_train_loss: f64,
    /// The last epoch's training accuracy.
    pub final_train_accuracy: f64,
    /// Training seconds of each epoch (steps only; see `metrics.csv` for the whole epoch).
    pub epoch_seconds: Vec<f64>,
    /// Whole-epoch seconds (training, validation, checkpoint).
    pub epoch_wall_seconds: Vec<f64>,
    /// Training images per second over all epochs' training time.
    pub samples_per_second: f64,
    /// PReLU slopes after training, one list per hidden layer (PReLU models only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prelu_slopes: Option<Vec<Vec<f32>>>,
    /// Learned Swish β per hidden layer (learnable-β Swish only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swish_beta: Option<Vec<f32>>,
    /// A formula activation's learned parameters, one list per hidden layer: each learnable
    /// parameter in `learnable` order (per unit: `units` values each); for a rational
    /// activation its coefficients `a0 … am, b1 … bn` (per unit: `units` values each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_params: Option<Vec<Vec<f32>>>,
    /// The other runs this one was trained with as one packed network (`compare --pack`);
    /// absent for a run trained alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packed_with: Option<Vec<String>>,
    /// SHA-256 of `model.bpk` when it was written; loading the weights checks it. Absent in
    /// summaries written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
    /// Peak resident memory of the training process in MB (Linux; none elsewhere).
    pub peak_rss_mb: Option<f64>,
    /// Burn's version.
    pub burn_version: String,
    /// actlab's version.
    pub actlab_version: String,
    /// The epoch after which early stopping ended training (absent: all epochs ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_epoch: Option<usize>,
    /// The epoch whose weights are the final ones (and give the test numbers): the last, or
    /// the best validation epoch under early stopping with `restore_best`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_epoch: Option<usize>,
    /// Where the result came from: build, device, CPU features, data (absent in summaries
    /// written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// What training measured, for [`RunSummary::build`].
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// Every finished epoch.
    pub history: Vec<EpochRecord>,
    /// Where early stopping ended training, if it did.
    pub stopped_epoch: Option<usize>,
    /// The epoch of the final weights.
    pub weights_epoch: usize,
    /// The final weights on the test images.
    pub test: Evaluation,
    /// Trainable parameters.
    pub params: usize,
    /// Training images per epoch (whole batches).
    pub train_samples: usize,
    /// Validation images.
    pub validation_samples: usize,
    /// The activations' learned values, one list per hidden layer.
    pub learned: Vec<Vec<f32>>,
    /// SHA-256 of `model.bpk` as written.
    pub model_sha256: String,
    /// Where the result came from.
    pub provenance: Provenance,
}

impl RunSummary {
    /// The summary of a finished run of `experiment`.
    pub fn build(experiment: &Experiment, facts: RunFacts) -> RunSummary {
        let RunFacts {
            history,
            stopped_epoch,
            weights_epoch,
            test,
            params,
            train_samples,
            validation_samples,
            learned,
            model_sha256,
            provenance,
        } = facts;
        let mlp = experiment.model();
        let train = &experiment.train;
        let best = history
            .iter()
            .filter_map(|r| r.val_acc.map(|a| (a, r.epoch)))
            .fold(None, |best: Option<(f64, usize)>, (a, e)| match best {
                Some((b, _)) if b >= a => best,
                _ => Some((a, e)),
            });
        let last = history.last();
        let train_seconds: f64 = history.iter().map(|r| r.seconds).sum();
        let samples = (train_samples * history.len()) as f64;
        RunSummary {
            name: experiment.name(),
            activation: mlp.activation.kind().to_string(),
            activation_label: mlp.activation.label(),
            activation_config: Some(mlp.activation.clone()),
            layers: mlp.layer_sizes(),
            dataset: experiment.data.dataset.as_str().to_string(),
            backend: experiment.backend.name.to_string(),
            device: experiment.backend.device.to_string(),
            seed: train.seed,
            epochs: history.len(),
            batch_size: train.batch_size,
            optimizer: train.optimizer.kind().to_string(),
            lr: train.optimizer.lr(),
            params,
            train_samples,
            validation_samples,
            test_samples: test.count,
            test_accuracy: test.accuracy,
            test_correct: test.correct,
            test_loss: test.loss,
            best_val_accuracy: best.map(|b| b.0),
            best_val_epoch: best.map(|b| b.1),
            final_train_loss: last.map_or(f64::NAN, |r| r.train_loss),
            final_train_accuracy: last.map_or(f64::NAN, |r| r.train_acc),
            epoch_seconds: history.iter().map(|r| r.seconds).collect(),
            epoch_wall_seconds: history.iter().map(|r| r.wall_seconds).collect(),
            samples_per_second: samples / train_seconds.max(1e-9),
            prelu_slopes: matches!(mlp.activation, ActivationConfig::Prelu { .. })
                .then(|| learned.clone()),
            swish_beta: matches!(
                mlp.activation,
                ActivationConfig::Swish {
                    trainable: true,
                    ..
                }
            )
            .then(|| learned.iter().filter_map(|l| l.first().copied()).collect()),
            learned_params: match &mlp.activation {
                ActivationConfig::Expr { learnable, .. } => !learnable.is_empty(),
                ActivationConfig::Rational { .. } => true,
                _ => false,
            }
            .then(|| learned.clone()),
            packed_with: None,
            model_sha256: Some(model_sha256),
            peak_rss_mb: super::peak_rss_mb(),
            burn_version: BURN_VERSION.to_string(),
            actlab_version: provenance.build.version.clone(),
            provenance: Some(provenance),
            stopped_epoch,
            weights_epoch: Some(weights_epoch),
        }
    }

    /// Reads `summary.json` from a run directory.
    pub fn load(run_dir: &Path) -> Result<RunSummary, TrainError> {
        let path = run_dir.join(files::SUMMARY);
        let text = super::read_text(&path, super::MAX_TEXT_BYTES).map_err(TrainError::io(&path))?;
        let summary: RunSummary = serde_json::from_str(&text).map_err(|e| TrainError::Corrupt {
            path: path.clone(),
            message: format!("not a run summary: {e}"),
        })?;
        summary
            .check()
            .map_err(|message| TrainError::Corrupt { path, message })?;
        Ok(summary)
    }

    /// Values no run can produce (an accuracy outside [0, 1], a time or loss that is not a
    /// finite number): a summary holding one was not written by actlab, and reports and plots
    /// must not be handed it.
    fn check(&self) -> Result<(), String> {
        // Huge values in exponent form (1e308, not 309 digits).
        let show = |v: f64| {
            if v.abs() >= 1e6 {
                format!("{v:e}")
            } else {
                v.to_string()
            }
        };
        let fraction = |field: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!(
                    "{field} = {} is not an accuracy in [0, 1]",
                    show(v)
                ))
            }
        };
        let finite = |field: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{field} = {v} is not a finite number"))
            }
        };
        fraction("test_accuracy", self.test_accuracy)?;
        fraction("final_train_accuracy", self.final_train_accuracy)?;
        if let Some(best) = self.best_val_accuracy {
            fraction("best_val_accuracy", best)?;
        }
        finite("test_loss", self.test_loss)?;
        finite("final_train_loss", self.final_train_loss)?;
        finite("lr", self.lr)?;
        finite("samples_per_second", self.samples_per_second)?;
        for &s in self.epoch_seconds.iter().chain(&self.epoch_wall_seconds) {
            finite("epoch_seconds", s)?;
        }
        let learned = self.prelu_slopes.iter().flatten().flatten();
        let formula = self.learned_params.iter().flatten().flatten();
        for &v in learned
            .chain(self.swish_beta.iter().flatten())
            .chain(formula)
        {
            finite("learned values", f64::from(v))?;
        }
        Ok(())
    }

    /// Writes `run_dir/summary.json` (atomically): the last file a finished run gets.
    pub fn write(&self, run_dir: &Path) -> Result<(), TrainError> {
        let path = run_dir.join(files::SUMMARY);
        let json = serde_json::to_vec_pretty(self).map_err(|e| TrainError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_file(path, &json)
    }
}
