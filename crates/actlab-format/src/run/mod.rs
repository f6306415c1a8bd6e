//! The run directory: what training leaves behind and the contract everything after it reads.
//! The text files are written **and** read here, without Burn, so every reader has a fuzz
//! target and a renamed or reordered column breaks a test instead of a report. The weights
//! (`model.bpk`, the checkpoint's `.bpk` files) are Burn's format, written and read by
//! `actlab-train`.
//!
//! ```text
//! runs/<name>/
//!   config.toml      the validated config, every default written out  (crate::config)
//!   metrics.csv      one row per finished epoch                      metrics::{write, read}
//!   diagnostics.csv  per-layer probes per epoch ([train] diagnostics)  diagnostics::{write, read}
//!   checkpoint/      state.toml (crate::state) + model-*.bpk + optimizer-*.bpk
//!   model.bpk        the final weights
//!   predictions.bin  each test image's predicted class and label     TestPredictions::{write, read}
//!   summary.json     what the finished run says about itself        RunSummary::{write, load}
//!   tensorboard/     TensorBoard's event file (actlab-tb)
//!   .actlab.lock     held while a command works here; marks the directory as actlab's
//! ```
//!
//! [`RunStatus`] says what a directory holds; `compare`, `train` and `report` decide by it.

mod csv;
pub mod diagnostics;
pub mod metrics;
pub mod predictions;
pub mod summary;

use std::path::Path;

use crate::error::FileError;

pub use predictions::TestPredictions;
pub use summary::RunSummary;

/// File names inside a run directory.
pub mod files {
    /// The validated config.
    pub const CONFIG: &str = "config.toml";
    /// Per-epoch metrics.
    pub const METRICS: &str = "metrics.csv";
    /// The checkpoint directory.
    pub const CHECKPOINT: &str = crate::state::CHECKPOINT_DIR;
    /// Final weights.
    pub const MODEL: &str = "model.bpk";
    /// The final weights' SHA-256 beside them, in `sha256sum`'s format (`sha256sum -c` checks
    /// it): `eval` and `predict` verify the weights with it when `summary.json` is gone.
    pub const MODEL_SHA256: &str = "model.bpk.sha256";
    /// Per-layer diagnostics per epoch (with `[train] diagnostics = true`).
    pub const DIAGNOSTICS: &str = "diagnostics.csv";
    /// The summary.
    pub const SUMMARY: &str = "summary.json";
    /// Per-image test predictions (written just before the summary).
    pub const PREDICTIONS: &str = "predictions.bin";
    /// `actlab eval`'s per-image predictions when they differ from training's (another
    /// backend): kept beside them, never over them.
    pub const EVAL_PREDICTIONS: &str = "eval-predictions.bin";
    /// The directory of TensorBoard's event file.
    pub const TENSORBOARD: &str = "tensorboard";
    /// The lock file, also the mark of a directory actlab made.
    pub const LOCK: &str = ".actlab.lock";

    /// Whether `name` is a file a run directory holds before it has a checkpoint or a summary
    /// (its temporary files included) — what `RunStatus` needs to tell a run from other things.
    /// `actlab eval`'s files need no entry: it writes only into finished runs.
    pub fn is_run_file(name: &str) -> bool {
        [
            CONFIG,
            METRICS,
            CHECKPOINT,
            MODEL,
            MODEL_SHA256,
            DIAGNOSTICS,
            SUMMARY,
            PREDICTIONS,
            TENSORBOARD,
            LOCK,
        ]
        .contains(&name)
            || name.starts_with(".tmp")
    }
}

/// Writes `run_dir/model.bpk.sha256` (atomically): `hex` and the file name, as `sha256sum`
/// writes them.
pub fn write_model_sha256(run_dir: &Path, hex: &str) -> Result<(), FileError> {
    let path = run_dir.join(files::MODEL_SHA256);
    let text = format!("{hex}  {}\n", files::MODEL);
    crate::fsio::write_atomic(&path, text.as_bytes()).map_err(FileError::io(path))
}

/// The SHA-256 `run_dir/model.bpk.sha256` records for `model.bpk`; `None` when there is no
/// such file. Anything but one `sha256sum` line for `model.bpk` is an error.
pub fn read_model_sha256(run_dir: &Path) -> Result<Option<String>, FileError> {
    let path = run_dir.join(files::MODEL_SHA256);
    let text = match crate::fsio::read_text(&path, 4096) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::io(path)(e)),
    };
    parse_model_sha256(&text)
        .map(|hex| Some(hex.to_ascii_lowercase()))
        .ok_or_else(|| {
            FileError::corrupt(
                &path,
                format!("not one line `<64 hex digits>  {}`", files::MODEL),
            )
        })
}

/// The hash of a `sha256sum` line for `model.bpk` (`*` marks binary mode).
fn parse_model_sha256(text: &str) -> Option<&str> {
    let line = text.strip_suffix('\n').unwrap_or(text);
    let (hex, name) = line.split_once(' ')?;
    let name = name.strip_prefix(' ').or_else(|| name.strip_prefix('*'))?;
    let hex_ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_ok && name == files::MODEL).then_some(hex)
}

/// What a directory holds, as far as training is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// `summary.json` is there: every epoch ran and the test set was evaluated.
    Finished,
    /// A checkpoint after `epoch` finished epochs and `step` steps of the next (both 0 when the
    /// checkpoint state cannot be read; resuming then says why).
    Checkpointed {
        /// Epochs finished.
        epoch: usize,
        /// Steps finished of the next epoch.
        step: usize,
    },
    /// Nothing to continue: the directory does not exist, is empty, or is marked as actlab's
    /// ([`files::LOCK`]) and holds only files a run writes before its first complete
    /// checkpoint.
    Empty,
    /// The path exists but is not a run directory (a file, a directory with other things in
    /// it, or run-like files without actlab's marker): nothing of actlab's is written there.
    NotARun,
}

impl RunStatus {
    /// Looks at `dir`.
    pub fn of(dir: &Path) -> RunStatus {
        if !dir.exists() {
            return RunStatus::Empty;
        }
        if !dir.is_dir() {
            return RunStatus::NotARun;
        }
        if dir.join(files::SUMMARY).is_file() {
            return RunStatus::Finished;
        }
        if crate::state::exists(dir) {
            let (epoch, step) = crate::state::position(dir).unwrap_or((0, 0));
            return RunStatus::Checkpointed { epoch, step };
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return RunStatus::NotARun;
        };
        let names: Vec<String> = entries
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        let ours = names.iter().all(|name| files::is_run_file(name));
        let marked = names.iter().any(|name| name == files::LOCK);
        if names.is_empty() || (ours && marked) {
            RunStatus::Empty
        } else {
            RunStatus::NotARun
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weights_hash_file_is_sha256sums_and_anything_else_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(read_model_sha256(tmp.path()).unwrap(), None);
        let hex = "ab".repeat(32);
        write_model_sha256(tmp.path(), &hex).unwrap();
        let text = std::fs::read_to_string(tmp.path().join(files::MODEL_SHA256)).unwrap();
        assert_eq!(text, format!("{hex}  model.bpk\n"));
        assert_eq!(read_model_sha256(tmp.path()).unwrap(), Some(hex.clone()));
        let upper = format!("{}  model.bpk\n", hex.to_uppercase());
        assert_eq!(
            parse_model_sha256(&upper),
            Some(hex.to_uppercase().as_str())
        );
        assert_eq!(
            parse_model_sha256(&format!("{hex} *model.bpk")),
            Some(hex.as_str())
        );
        for bad in [
            String::new(),
            format!("{hex}  other.bpk\n"),
            format!("{}  model.bpk\n", &hex[..63]),
            format!("{hex}  model.bpk\n{hex}  model.bpk\n"),
            format!("{}g  model.bpk\n", &hex[..63]),
        ] {
            std::fs::write(tmp.path().join(files::MODEL_SHA256), &bad).unwrap();
            let error = read_model_sha256(tmp.path()).unwrap_err().to_string();
            assert!(error.contains("model.bpk.sha256"), "{bad:?}: {error}");
        }
    }

    #[test]
    fn status_tells_runs_from_other_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        assert_eq!(RunStatus::of(&dir), RunStatus::Empty, "missing");
        std::fs::create_dir(&dir).unwrap();
        assert_eq!(RunStatus::of(&dir), RunStatus::Empty, "empty");
        std::fs::write(dir.join(files::CONFIG), "x").unwrap();
        std::fs::write(dir.join(files::METRICS), "x").unwrap();
        assert_eq!(
            RunStatus::of(&dir),
            RunStatus::NotARun,
            "someone's own config.toml and metrics.csv"
        );
        std::fs::write(dir.join(files::LOCK), "1").unwrap();
        assert_eq!(
            RunStatus::of(&dir),
            RunStatus::Empty,
            "ours, no checkpoint yet"
        );
        std::fs::write(dir.join("thesis.tex"), "x").unwrap();
        assert_eq!(RunStatus::of(&dir), RunStatus::NotARun, "a user's file");
        std::fs::remove_file(dir.join("thesis.tex")).unwrap();
        std::fs::create_dir(dir.join(files::CHECKPOINT)).unwrap();
        std::fs::write(
            dir.join(files::CHECKPOINT).join("state.toml"),
            "epochs_completed = 2\nsteps_into_epoch = 17\n",
        )
        .unwrap();
        assert_eq!(
            RunStatus::of(&dir),
            RunStatus::Checkpointed { epoch: 2, step: 17 }
        );
        std::fs::write(dir.join(files::SUMMARY), "{}").unwrap();
        assert_eq!(RunStatus::of(&dir), RunStatus::Finished);
        assert_eq!(RunStatus::of(&dir.join(files::CONFIG)), RunStatus::NotARun);
    }
}
