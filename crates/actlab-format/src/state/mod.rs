//! What a run records about itself, as data: the checkpoint state (`checkpoint/state.toml`,
//! written and read here), its epoch history and per-layer diagnostics. The generation files
//! the state names (weights and optimizer, Burn's format) are `actlab_train::checkpoint`'s.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::FileError;

mod check;
use crate::fsio::{read_text, write_atomic};

/// TOML rather than JSON: serde_json (without its `float_roundtrip` feature, which would rebuild
/// Burn) may read a float back one ulp off, and resumed metrics must be bit-identical. The toml
/// crate writes shortest round-trip floats and parses them exactly.
pub const STATE: &str = "state.toml";

/// The checkpoint format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The most `state.toml` may hold (its history and diagnostics grow by epoch; a thousand
/// epochs of a 100-layer model's diagnostics are ~10 MB).
pub const MAX_STATE_BYTES: u64 = 256 << 20;

/// The checkpoint's directory inside a run directory.
pub const CHECKPOINT_DIR: &str = "checkpoint";

/// `run_dir/checkpoint`.
pub fn dir(run_dir: &Path) -> PathBuf {
    run_dir.join(CHECKPOINT_DIR)
}

/// Whether `run_dir` has a checkpoint state.
pub fn exists(run_dir: &Path) -> bool {
    dir(run_dir).join(STATE).is_file()
}

/// The position a checkpoint records, (epochs finished, steps into the next), read without the
/// rest of the state; `None` when there is no readable state.
pub fn position(run_dir: &Path) -> Option<(usize, usize)> {
    #[derive(Deserialize)]
    struct Position {
        epochs_completed: usize,
        steps_into_epoch: usize,
    }
    let text = read_text(&dir(run_dir).join(STATE), MAX_STATE_BYTES).ok()?;
    let p: Position = toml::from_str(&text).ok()?;
    Some((p.epochs_completed, p.steps_into_epoch))
}

/// The other members of the pack `run_dir`'s checkpoint was trained in (empty for a run
/// trained alone, or without a readable checkpoint).
pub fn packed_with(run_dir: &Path) -> Vec<String> {
    CheckpointState::read(run_dir)
        .ok()
        .flatten()
        .map(|state| state.train.packed_with)
        .unwrap_or_default()
}

/// Sums over the finished steps of an epoch cut short by an interruption.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartialEpoch {
    /// Σ of the per-step mean losses, in step order (f64).
    pub loss_sum: f64,
    /// Steps summed.
    pub steps: usize,
    /// Correctly classified training images.
    pub correct: u64,
    /// Training images seen.
    pub seen: u64,
    /// Training seconds spent so far.
    pub seconds: f64,
}

/// Where the shuffle stream stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    /// `chacha8`.
    pub algorithm: String,
    /// The run's seed.
    pub seed: u64,
    /// The stream of the epoch to continue (`1 + epoch`, 0-based epoch).
    pub stream: u64,
    /// Batches of that epoch already drawn.
    pub position: usize,
}

/// Where a run stands: the part of the trainer's state that is not weights or optimizer
/// moments. The trainer keeps one and updates it step by step; a checkpoint saves it as is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs fully finished.
    pub epochs_completed: usize,
    /// Steps finished of the next epoch (0 at an epoch boundary).
    pub steps_into_epoch: usize,
    /// The next epoch's sums so far, when `steps_into_epoch > 0`.
    pub partial: Option<PartialEpoch>,
    /// Every finished epoch.
    pub history: Vec<EpochRecord>,
    /// Diagnostics measured so far (`[train] diagnostics = true`).
    #[serde(default)]
    pub diagnostics: Vec<DiagnosticRow>,
    /// Early stopping with `restore_best`: SHA-256 of `checkpoint/best-eNNNN.bpk`, the weights
    /// of the best validation epoch so far (that epoch follows from `history`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_weights_sha256: Option<String>,
    /// A run trained in a pack (`compare --pack`): the names of the other members, whose
    /// checkpoints must resume with this one (`actlab train-pack --resume`). Its optimizer file
    /// then holds its share of the pack's Adam state, not a Burn optimizer record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packed_with: Vec<String>,
}

/// `checkpoint/state.toml`. Read through [`StateFile`], the same fields without `flatten`
/// (which would hide the field and line of a parse error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StateFile")]
pub struct CheckpointState {
    /// [`FORMAT`].
    pub format: u32,
    /// Where the run stands (its fields sit at the top level of the file).
    #[serde(flatten)]
    pub train: TrainState,
    /// The shuffle's state.
    pub rng: RngState,
    /// The model weights file, in `checkpoint/`.
    pub model_file: String,
    /// The optimizer state file, in `checkpoint/`.
    pub optimizer_file: String,
    /// SHA-256 of the model file (empty in checkpoints written before it was recorded).
    #[serde(default)]
    pub model_sha256: String,
    /// SHA-256 of the optimizer file.
    #[serde(default)]
    pub optimizer_sha256: String,
}

/// `state.toml` as it is read: [`CheckpointState`]'s fields with [`TrainState`]'s at the top
/// level, where the file has them.
#[derive(Deserialize)]
struct StateFile {
    format: u32,
    epochs_completed: usize,
    steps_into_epoch: usize,
    partial: Option<PartialEpoch>,
    history: Vec<EpochRecord>,
    #[serde(default)]
    diagnostics: Vec<DiagnosticRow>,
    #[serde(default)]
    best_weights_sha256: Option<String>,
    #[serde(default)]
    packed_with: Vec<String>,
    rng: RngState,
    model_file: String,
    optimizer_file: String,
    #[serde(default)]
    model_sha256: String,
    #[serde(default)]
    optimizer_sha256: String,
}

impl From<StateFile> for CheckpointState {
    fn from(f: StateFile) -> CheckpointState {
        CheckpointState {
            format: f.format,
            train: TrainState {
                epochs_completed: f.epochs_completed,
                steps_into_epoch: f.steps_into_epoch,
                partial: f.partial,
                history: f.history,
                diagnostics: f.diagnostics,
                best_weights_sha256: f.best_weights_sha256,
                packed_with: f.packed_with,
            },
            rng: f.rng,
            model_file: f.model_file,
            optimizer_file: f.optimizer_file,
            model_sha256: f.model_sha256,
            optimizer_sha256: f.optimizer_sha256,
        }
    }
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

/// One layer at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerDiagnostics {
    /// 1-based; the last is the output layer.
    pub layer: usize,
    /// ‖∂loss/∂W‖₂ of the layer's weights on the probe batch (mean cross-entropy); NaN when
    /// the loss was not finite (`null` in JSON).
    #[serde(deserialize_with = "f64_or_nan")]
    pub grad_norm: f64,
    /// Fraction of the layer's units that are dead (hidden layers only).
    pub dead_fraction: Option<f64>,
    /// Fraction of the layer's units that are saturated (hidden layers only).
    pub saturated_fraction: Option<f64>,
    /// Fraction of the layer's units whose input is ≤ 0 at every probe image and position —
    /// never on the positive side (hidden layers only). For ReLU the same units as
    /// `dead_fraction`; Leaky ReLU and PReLU pass a slope there, so their units can reach it
    /// and can leave it. Absent in files written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_fraction: Option<f64>,
    /// Mean of the activation's learned parameters (PReLU slopes, Swish β), if any.
    pub learned_mean: Option<f64>,
}

/// A row of `diagnostics.csv`: a layer after some epoch (0 = at initialisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticRow {
    /// Epochs trained when measured.
    pub epoch: usize,
    /// The measurement.
    pub layer: LayerDiagnostics,
}

/// Reads a number that JSON may hold as `null`: serde_json writes NaN and ±inf as `null`, so a
/// value written as NaN reads back as NaN instead of failing.
pub fn f64_or_nan<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

impl CheckpointState {
    /// Reads `run_dir/checkpoint/state.toml` ([`CheckpointState::parse`]); `None` when there
    /// is none.
    pub fn read(run_dir: &Path) -> Result<Option<CheckpointState>, FileError> {
        let path = dir(run_dir).join(STATE);
        match read_text(&path, MAX_STATE_BYTES) {
            Ok(text) => CheckpointState::parse(&text, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FileError::io(path)(e)),
        }
    }

    /// Writes `run_dir/checkpoint/state.toml` (atomically; the directory must exist): the last
    /// file of a checkpoint generation.
    pub fn write(&self, run_dir: &Path) -> Result<(), FileError> {
        let path = dir(run_dir).join(STATE);
        let text = toml::to_string(self).map_err(|e| {
            FileError::corrupt(&path, format!("cannot serialise the checkpoint state: {e}"))
        })?;
        write_atomic(&path, text.as_bytes()).map_err(FileError::io(path))
    }

    /// Parses `state.toml`'s text (read from `path`, named in errors) and checks everything that
    /// can be checked without the run's config or the files it names ([`CheckpointState::check`]).
    /// Every error is one line naming the file, the field and the cause.
    pub fn parse(text: &str, path: &Path) -> Result<CheckpointState, FileError> {
        let state: CheckpointState =
            crate::config::parse_toml(text, path).map_err(|e| match e {
                crate::config::ConfigError::Parse { field, message, .. } => {
                    FileError::corrupt(path, format!("not a checkpoint state: {field}: {message}"))
                }
                other => FileError::corrupt(path, format!("not a checkpoint state: {other}")),
            })?;
        state
            .check()
            .map_err(|message| FileError::corrupt(path, message))?;
        Ok(state)
    }
}
