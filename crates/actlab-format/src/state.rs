//! What a run records about itself, as data: the checkpoint state (`checkpoint/state.toml`,
//! written and read here), its epoch history and per-layer diagnostics. The generation files
//! the state names (weights and optimizer, Burn's format) are `actlab_train::checkpoint`'s.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::FileError;
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

    /// What every state actlab writes holds: the format, file names inside `checkpoint/`, a
    /// history of exactly `epochs_completed` epochs numbered 1, 2, … with finite losses and
    /// accuracies in [0, 1], sums of an unfinished epoch exactly when one was stopped in, an RNG
    /// position that is the run's position. The message says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "checkpoint format {} (this build reads format {FORMAT})",
                self.format
            ));
        }
        for name in [&self.model_file, &self.optimizer_file] {
            let plain = !name.is_empty()
                && name != "."
                && name != ".."
                && !name.contains(['/', '\\'])
                && !name.starts_with(".tmp");
            if !plain {
                return Err(format!(
                    "checkpoint file name {name:?} is not a plain file name in checkpoint/"
                ));
            }
        }
        for (what, hash) in [
            ("model_sha256", &self.model_sha256),
            ("optimizer_sha256", &self.optimizer_sha256),
        ] {
            if !hash.is_empty() && !is_sha256(hash) {
                return Err(format!(
                    "{what} = {hash:?} is not a SHA-256 (64 hex digits)"
                ));
            }
        }
        self.train.check()?;
        let t = &self.train;
        let rng = &self.rng;
        if rng.algorithm != "chacha8" {
            return Err(format!(
                "rng.algorithm = {:?}: this build shuffles with \"chacha8\"",
                rng.algorithm
            ));
        }
        if rng.stream != t.epochs_completed as u64 + 1 || rng.position != t.steps_into_epoch {
            return Err(format!(
                "rng (stream {}, position {}) is not where the run stands (epoch {} done, {} \
                 step(s) into the next: stream {}, position {})",
                rng.stream,
                rng.position,
                t.epochs_completed,
                t.steps_into_epoch,
                t.epochs_completed + 1,
                t.steps_into_epoch
            ));
        }
        Ok(())
    }

    /// [`CheckpointState::check`]'s counterpart with the run's config: the state is of a run of
    /// `seed` with `steps` steps of `batch` images per epoch (`path` names the state in the
    /// error).
    pub fn check_run(
        &self,
        seed: u64,
        steps: usize,
        batch: usize,
        path: &Path,
    ) -> Result<(), FileError> {
        let t = &self.train;
        let fail = |message: String| Err(FileError::corrupt(path, message));
        if self.rng.seed != seed {
            return fail(format!(
                "rng.seed = {} but the run's seed is {seed}",
                self.rng.seed
            ));
        }
        if t.steps_into_epoch > steps {
            return fail(format!(
                "steps_into_epoch = {} but an epoch of this run has {steps} step(s)",
                t.steps_into_epoch
            ));
        }
        if let Some(p) = &t.partial {
            let seen = (p.steps as u64).saturating_mul(batch as u64);
            if p.seen != seen {
                return fail(format!(
                    "partial.seen = {} but {} step(s) of {batch} image(s) see {seen}",
                    p.seen, p.steps
                ));
            }
        }
        Ok(())
    }
}

/// 64 lowercase or uppercase hex digits.
fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl TrainState {
    /// The position, history, unfinished epoch and diagnostics are consistent (see
    /// [`CheckpointState::check`]).
    pub fn check(&self) -> Result<(), String> {
        // A pack saves every member at the pack's position; a member that stopped early (its
        // patience ran out) trains no further, so its history ends before that position and
        // it has no sums of the epoch under way.
        let stopped_member = !self.packed_with.is_empty()
            && self.history.len() < self.epochs_completed
            && self.partial.is_none();
        if self.history.len() != self.epochs_completed && !stopped_member {
            return Err(format!(
                "epochs_completed = {} but [[history]] has {} epoch(s)",
                self.epochs_completed,
                self.history.len()
            ));
        }
        for (i, record) in self.history.iter().enumerate() {
            if record.epoch != i + 1 {
                return Err(format!(
                    "[[history]] entry {} is epoch {} (expected {})",
                    i + 1,
                    record.epoch,
                    i + 1
                ));
            }
            record
                .check()
                .map_err(|m| format!("[[history]] epoch {}: {m}", record.epoch))?;
        }
        match (&self.partial, self.steps_into_epoch) {
            (None, 0) => {}
            (None, _) if stopped_member => {}
            (Some(_), 0) => {
                return Err("a [partial] section, but steps_into_epoch = 0".into());
            }
            (Some(p), n) if p.steps == n => p.check()?,
            (Some(p), n) => {
                return Err(format!(
                    "partial.steps = {} but steps_into_epoch = {n}",
                    p.steps
                ));
            }
            (None, n) => {
                return Err(format!(
                    "steps_into_epoch = {n} but there is no [partial] section with its sums"
                ));
            }
        }
        for row in &self.diagnostics {
            if row.epoch > self.epochs_completed {
                return Err(format!(
                    "a diagnostics row of epoch {} after {} finished epoch(s)",
                    row.epoch, self.epochs_completed
                ));
            }
            let l = &row.layer;
            let fraction = |v: Option<f64>| v.is_none_or(|v| (0.0..=1.0).contains(&v));
            let fine = (l.grad_norm.is_nan() || l.grad_norm >= 0.0 && l.grad_norm.is_finite())
                && fraction(l.dead_fraction)
                && fraction(l.saturated_fraction)
                && l.learned_mean.is_none_or(f64::is_finite);
            if !fine {
                return Err(format!(
                    "diagnostics of epoch {} layer {}: a gradient norm below 0 or infinite, a \
                     fraction outside [0, 1] or a learned mean that is not finite",
                    row.epoch, l.layer
                ));
            }
        }
        if let Some(hash) = &self.best_weights_sha256
            && !is_sha256(hash)
        {
            return Err(format!(
                "best_weights_sha256 = {hash:?} is not a SHA-256 (64 hex digits)"
            ));
        }
        Ok(())
    }
}

impl PartialEpoch {
    /// Sums a run can have: finite, non-negative, no more correct images than seen.
    fn check(&self) -> Result<(), String> {
        if !(self.loss_sum.is_finite() && self.loss_sum >= 0.0) {
            return Err(format!(
                "partial.loss_sum = {} is not a finite sum of losses",
                self.loss_sum
            ));
        }
        if !(self.seconds.is_finite() && self.seconds >= 0.0) {
            return Err(format!(
                "partial.seconds = {} is not a duration",
                self.seconds
            ));
        }
        if self.correct > self.seen {
            return Err(format!(
                "partial.correct = {} is more than partial.seen = {}",
                self.correct, self.seen
            ));
        }
        Ok(())
    }
}

impl EpochRecord {
    /// What a finished epoch holds: finite non-negative losses, rate and durations, accuracies
    /// in [0, 1]. The message names the first value that is not.
    pub fn check(&self) -> Result<(), String> {
        let non_negative = [
            ("train_loss", Some(self.train_loss)),
            ("val_loss", self.val_loss),
            ("lr", Some(self.lr)),
            ("seconds", Some(self.seconds)),
            ("wall_seconds", Some(self.wall_seconds)),
        ];
        for (name, value) in non_negative {
            if let Some(v) = value
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(format!("{name} = {v} is not a finite number ≥ 0"));
            }
        }
        for (name, value) in [
            ("train_acc", Some(self.train_acc)),
            ("val_acc", self.val_acc),
        ] {
            if let Some(v) = value
                && !(0.0..=1.0).contains(&v)
            {
                return Err(format!("{name} = {v} is not an accuracy in [0, 1]"));
            }
        }
        Ok(())
    }
}
