//! The run directory: what training leaves behind, and the contract everything after it reads.
//!
//! ```text
//! runs/<name>/
//!   config.toml        the fully resolved config (every default written out)
//!   metrics.csv        one row per finished epoch
//!   checkpoint/        state.toml + model-*.bpk + optimizer-*.bpk (resume)
//!   model.bpk          final weights (Burn's burnpack format, backend-independent)
//!   summary.json       RunSummary
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use actlab_model::Mlp;
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;

/// The Burn release actlab is built against (pinned exactly in the workspace manifest; a test
/// checks this against Cargo.lock).
pub const BURN_VERSION: &str = "0.22.1";

/// File names inside a run directory.
pub mod files {
    /// The resolved config.
    pub const CONFIG: &str = "config.toml";
    /// Per-epoch metrics.
    pub const METRICS: &str = "metrics.csv";
    /// The checkpoint directory.
    pub const CHECKPOINT: &str = "checkpoint";
    /// Final weights.
    pub const MODEL: &str = "model.bpk";
    /// Per-layer diagnostics per epoch (with `[train] diagnostics = true`).
    pub const DIAGNOSTICS: &str = "diagnostics.csv";
    /// The summary.
    pub const SUMMARY: &str = "summary.json";
}

/// One finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's training batches.
    pub train_loss: f64,
    /// Fraction of training images classified correctly while training.
    pub train_acc: f64,
    /// Mean cross-entropy on the validation images (none when `validation_size = 0`).
    pub val_loss: Option<f64>,
    /// Validation accuracy.
    pub val_acc: Option<f64>,
    /// The learning rate used.
    pub lr: f64,
    /// Seconds spent in training steps (forward, backward, optimizer, batching, metrics).
    pub seconds: f64,
    /// Seconds for the whole epoch: training, validation, checkpoint, metrics file.
    pub wall_seconds: f64,
}

/// `summary.json`: what a finished run says about itself. Reports are built from these alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's name.
    pub name: String,
    /// The hidden activation's kind (`prelu`, `swish`, …).
    pub activation: String,
    /// The activation with its parameters (`swish(β=1, learnable)`).
    pub activation_label: String,
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
    /// Peak resident memory of the training process in MB (Linux; none elsewhere).
    pub peak_rss_mb: Option<f64>,
    /// Burn's version.
    pub burn_version: String,
    /// actlab's version.
    pub actlab_version: String,
}

impl RunSummary {
    /// Reads `summary.json` from a run directory.
    pub fn load(run_dir: &Path) -> Result<RunSummary, TrainError> {
        let path = run_dir.join(files::SUMMARY);
        let text = std::fs::read_to_string(&path).map_err(TrainError::io(&path))?;
        serde_json::from_str(&text).map_err(|e| TrainError::Corrupt {
            path,
            message: format!("not a run summary: {e}"),
        })
    }
}

/// The trained model of a run directory: `config`'s model (the run's `config.toml`) built on
/// `device` — any backend, whichever one trained it — with the final weights (`model.bpk`).
pub fn load_model(
    run_dir: &Path,
    config: &crate::ExperimentConfig,
    device: &Device,
) -> Result<Mlp, TrainError> {
    let model = config.model.resolve()?.init(device)?;
    let path = run_dir.join(files::MODEL);
    let bytes = std::fs::read(&path).map_err(TrainError::io(&path))?;
    load_weights(model, &path, bytes)
}

/// Applies burnpack weights (`bytes`, read from `path`) to `model`; a file that is not burnpack
/// or does not fit the model is a [`TrainError::Corrupt`] naming `path`.
pub fn load_weights(model: Mlp, path: &Path, bytes: Vec<u8>) -> Result<Mlp, TrainError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| {
        TrainError::Corrupt {
            path: path.to_path_buf(),
            message: format!("not a Burn weights file: {e}"),
        }
    })?;
    model
        .try_load_record(record)
        .map_err(|e| TrainError::Corrupt {
            path: path.to_path_buf(),
            message: format!("does not fit the model in config.toml: {e}"),
        })
}

/// Every parameter of `model` as host values, in module order: each linear layer's weights and
/// biases, then the activations' learned values (for exact comparisons and reports).
pub fn parameter_values(model: &Mlp) -> Result<Vec<Vec<f32>>, TrainError> {
    let read = |tensor: burn::tensor::Tensor<2>| {
        tensor
            .try_into_data()
            .map_err(|e| e.to_string())
            .and_then(|data| data.try_to_vec::<f32>().map_err(|e| format!("{e:?}")))
            .map_err(|message| TrainError::Device {
                backend: "model",
                message,
            })
    };
    let mut out = Vec::new();
    for linear in model.hidden.iter().chain(std::iter::once(&model.output)) {
        out.push(read(linear.weight.val())?);
        if let Some(bias) = &linear.bias {
            out.push(read(bias.val().unsqueeze())?);
        }
    }
    out.extend(model.learned_activation_values());
    Ok(out)
}

/// The `metrics.csv` text for `history`: a header and one row per epoch. Empty cells for
/// validation columns when there is no validation set.
pub fn metrics_csv(history: &[EpochRecord]) -> String {
    let mut out =
        String::from("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,wall_seconds\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for r in history {
        out.push_str(&format!(
            "{},{},{},{},{},{},{:.4},{:.4}\n",
            r.epoch,
            r.train_loss,
            r.train_acc,
            opt(r.val_loss),
            opt(r.val_acc),
            r.lr,
            r.seconds,
            r.wall_seconds
        ));
    }
    out
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, synced, then renamed
/// over `path`. A crash leaves either the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

pub(crate) fn write_file(path: PathBuf, bytes: &[u8]) -> Result<(), TrainError> {
    write_atomic(&path, bytes).map_err(TrainError::io(path))
}

/// Peak resident set size of this process in MB, from `/proc/self/status` (`VmHWM`); `None`
/// where that file does not exist.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_csv_has_the_documented_columns_and_empty_validation_cells() {
        let record = EpochRecord {
            epoch: 1,
            train_loss: 0.5,
            train_acc: 0.8,
            val_loss: None,
            val_acc: None,
            lr: 0.001,
            seconds: 1.25,
            wall_seconds: 1.5,
        };
        let csv = metrics_csv(&[record]);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,wall_seconds")
        );
        assert_eq!(lines.next(), Some("1,0.5,0.8,,,0.001,1.2500,1.5000"));
    }

    #[test]
    fn burn_version_matches_the_lock_file() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
                .unwrap();
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"burn\"\n"))
            .and_then(|p| p.lines().find(|l| l.starts_with("version = ")))
            .unwrap();
        assert_eq!(version, format!("version = \"{BURN_VERSION}\""));
    }

    #[test]
    fn atomic_writes_replace_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_mb().unwrap() > 1.0);
        }
    }
}
