//! `summary.json`: what a finished run says about itself. Writer and reader (the trainer
//! assembles it: `actlab_train::run::RunFacts`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files;
use crate::activation::ActivationConfig;
use crate::error::FileError;
use crate::fsio::{MAX_TEXT_BYTES, read_text, write_atomic};
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
    /// The seed of the validation split and the epochs' order, when it is not `seed`
    /// (`[train] data_seed`: then `seed` drew only the initial weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_seed: Option<u64>,
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

impl RunSummary {
    /// Reads `summary.json` from a run directory.
    pub fn load(run_dir: &Path) -> Result<RunSummary, FileError> {
        let path = run_dir.join(files::SUMMARY);
        let text = read_text(&path, MAX_TEXT_BYTES).map_err(FileError::io(&path))?;
        RunSummary::parse(&text, &path)
    }

    /// `summary.json`'s text as read from `path` (named in errors): [`RunSummary::load`]
    /// without the file.
    pub fn parse(text: &str, path: &Path) -> Result<RunSummary, FileError> {
        let summary: RunSummary = serde_json::from_str(text)
            .map_err(|e| FileError::corrupt(path, format!("not a run summary: {e}")))?;
        summary.check(path)?;
        Ok(summary)
    }

    /// Values no run can produce (an accuracy outside [0, 1], a time or loss that is not a
    /// finite number): a summary holding one was not written by actlab, and reports and plots
    /// must not be handed it.
    fn check(&self, path: &Path) -> Result<(), FileError> {
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
                Err(FileError::corrupt(
                    path,
                    format!("{field} = {} is not an accuracy in [0, 1]", show(v)),
                ))
            }
        };
        let finite = |field: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(FileError::corrupt(
                    path,
                    format!("{field} = {v} is not a finite number"),
                ))
            }
        };
        fraction("test_accuracy", self.test_accuracy)?;
        fraction("final_train_accuracy", self.final_train_accuracy)?;
        if let Some(best) = self.best_val_accuracy {
            fraction("best_val_accuracy", best)?;
        }
        if self.test_correct > self.test_samples {
            return Err(FileError::corrupt(
                path,
                format!(
                    "test_correct = {} is more than the {} test images",
                    self.test_correct, self.test_samples
                ),
            ));
        }
        if self.test_samples > 0 {
            let n = self.test_samples as f64;
            let implied = self.test_correct as f64 / n;
            if (self.test_accuracy - implied).abs() > 0.5 / n + 1e-12 {
                return Err(FileError::corrupt(
                    path,
                    format!(
                        "test_accuracy = {} but test_correct / test_samples = {}/{} = {implied}",
                        self.test_accuracy, self.test_correct, self.test_samples
                    ),
                ));
            }
        }
        if let Some(hash) = &self.model_sha256
            && !(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(FileError::corrupt(
                path,
                format!("model_sha256 = {hash:?} is not a SHA-256 (64 hex digits)"),
            ));
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
    pub fn write(&self, run_dir: &Path) -> Result<(), FileError> {
        let path = run_dir.join(files::SUMMARY);
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| FileError::corrupt(&path, e.to_string()))?;
        write_atomic(&path, &json).map_err(FileError::io(path))
    }
}
