//! The run directory: what training leaves behind, and the contract everything after it reads.
//! Every file has its writer **and** its reader here, typed, so a renamed or reordered column
//! breaks a test instead of a report.
//!
//! ```text
//! runs/<name>/
//!   config.toml        the fully resolved config (every default written out)   run_config
//!   metrics.csv        one row per finished epoch                  metrics::{write, read}
//!   diagnostics.csv    per-layer diagnostics per epoch ([train] diagnostics = true)
//!                                                                 diagnostics::{write, read}
//!   checkpoint/        state.toml + model-*.bpk + optimizer-*.bpk (crate::checkpoint)
//!   model.bpk          final weights (Burn's burnpack format, backend-independent)
//!                                                     weights::{write_weights, load_model}
//!   summary.json       RunSummary                              RunSummary::{write, load}
//!   tensorboard/       events.out.tfevents.<time>.<host>: TensorBoard's view of the above
//!                      ([output] tensorboard = true, the default)    tensorboard::sync
//! ```
//!
//! [`RunStatus`] says what a directory holds; `compare`, `train` and `report` decide by it.

pub mod diagnostics;
mod lock;
pub mod metrics;
mod summary;
pub mod tensorboard;
mod weights;

use std::path::{Path, PathBuf};

use crate::checkpoint;
use crate::config::ExperimentConfig;
use crate::error::TrainError;

pub use lock::{DirLock, LOCK};
pub use metrics::EpochRecord;
pub use summary::{RunFacts, RunSummary};
pub use weights::{load_model, load_weights, parameter_values, write_weights, write_weights_to};

/// Writes the files a run directory derives from its checkpointed state — `metrics.csv`,
/// `diagnostics.csv` (when the run measures any) and the TensorBoard events — after every
/// checkpoint and again on resume, so a run killed between its checkpoint and these files gets
/// files that match the checkpoint again.
pub fn write_state_files(
    run_dir: &Path,
    experiment: &crate::config::Experiment,
    history: &[EpochRecord],
    diagnostics: &[crate::diagnostics::DiagnosticRow],
) -> Result<(), TrainError> {
    metrics::write(run_dir, history)?;
    if !diagnostics.is_empty() {
        diagnostics::write(run_dir, diagnostics)?;
    }
    tensorboard::sync(run_dir, experiment, history, diagnostics, None)
}

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
    /// TensorBoard's event file.
    pub const TENSORBOARD: &str = super::tensorboard::DIR;

    /// Whether `name` is a file a run directory holds before it has a checkpoint or a summary
    /// (its temporary files included) — what `RunStatus` needs to tell a run from other things.
    /// `actlab eval`'s files need no entry: it writes only into finished runs.
    pub fn is_run_file(name: &str) -> bool {
        [
            CONFIG,
            METRICS,
            CHECKPOINT,
            MODEL,
            DIAGNOSTICS,
            SUMMARY,
            TENSORBOARD,
            super::LOCK,
        ]
        .contains(&name)
            || name.starts_with(".tmp")
    }
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
    /// ([`LOCK`]) and holds only files a run writes before its first complete checkpoint.
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
        if checkpoint::exists(dir) {
            let (epoch, step) = checkpoint::position(dir).unwrap_or((0, 0));
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
        let marked = names.iter().any(|name| name == LOCK);
        if names.is_empty() || (ours && marked) {
            RunStatus::Empty
        } else {
            RunStatus::NotARun
        }
    }
}

/// The config a run recorded (`config.toml`), not yet validated: override what you need (a
/// backend, more epochs), then validate.
pub fn run_config(run_dir: &Path) -> Result<ExperimentConfig, TrainError> {
    let path = run_dir.join(files::CONFIG);
    if !path.is_file() {
        return Err(TrainError::NotARun {
            dir: run_dir.to_path_buf(),
            missing: files::CONFIG,
        });
    }
    let mut config = ExperimentConfig::read(&path)?;
    config.output.dir = Some(run_dir.to_path_buf());
    Ok(config)
}

/// The SHA-256 of `bytes`, in hex: recorded beside every weights and checkpoint file when it is
/// written, checked before the file is used.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

/// Checks `bytes` (read from `path`) against the SHA-256 `recorded` in `record`; an empty
/// record (written before hashes were kept) checks nothing.
pub fn verify(path: &Path, bytes: &[u8], recorded: &str, record: &str) -> Result<(), TrainError> {
    let actual = sha256(bytes);
    if recorded.is_empty() || actual == recorded {
        return Ok(());
    }
    Err(TrainError::Corrupt {
        path: path.to_path_buf(),
        message: format!(
            "SHA-256 {actual} differs from the {recorded} recorded in {record}: the file was \
             changed or damaged after it was written"
        ),
    })
}

pub use actlab_format::fsio::{MAX_TEXT_BYTES, read_text, write_atomic};

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

/// Reads a CSV file written by this module: the header names the columns, and `columns` picks
/// them (in that order) from every row. A missing file is `Ok(None)`.
fn read_csv(path: &Path, columns: &[&str]) -> Result<Option<Vec<Vec<String>>>, TrainError> {
    let text = match read_text(path, MAX_TEXT_BYTES) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(TrainError::io(path)(e)),
    };
    let corrupt = |message: String| TrainError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let index = columns
        .iter()
        .map(|column| {
            header
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| corrupt(format!("no column `{column}` in the header")))
        })
        .collect::<Result<Vec<usize>, _>>()?;
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != header.len() {
                return Err(corrupt(format!(
                    "line {}: {} cells, the header has {}",
                    i + 2,
                    cells.len(),
                    header.len()
                )));
            }
            Ok(index.iter().map(|&c| cells[c].to_string()).collect())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Parses one CSV cell (`column` of a row of `path`); empty cells are `None`.
fn cell<T: std::str::FromStr>(
    path: &Path,
    column: &str,
    text: &str,
) -> Result<Option<T>, TrainError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| TrainError::Corrupt {
        path: path.to_path_buf(),
        message: format!("{column} = {text:?} is not a number"),
    })
}

/// Like [`cell`], for a column that may not be empty.
fn required<T: std::str::FromStr>(path: &Path, column: &str, text: &str) -> Result<T, TrainError> {
    cell(path, column, text)?.ok_or_else(|| TrainError::Corrupt {
        path: path.to_path_buf(),
        message: format!("{column} is empty"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[cfg(unix)]
    #[test]
    fn written_files_follow_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let umask = std::process::Command::new("sh")
            .args(["-c", "umask"])
            .output()
            .unwrap();
        let umask = u32::from_str_radix(String::from_utf8_lossy(&umask.stdout).trim(), 8).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        write_atomic(&path, b"{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask, "mode {mode:o}, umask {umask:o}");
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
        std::fs::write(dir.join(LOCK), "1").unwrap();
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

    #[test]
    fn text_reads_are_bounded_and_only_from_regular_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.toml");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_text(&path, 10).unwrap(), "0123456789");
        let error = read_text(&path, 9).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        let error = read_text(tmp.path(), 10).unwrap_err().to_string();
        assert!(error.contains("not a regular file"), "{error}");
        // A device that never ends, and one that never answers, are refused before reading.
        let error = read_text(Path::new("/dev/zero"), 10)
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a regular file"), "{error}");
        let fifo = tmp.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let error = read_text(&fifo, 10).unwrap_err().to_string();
            assert!(error.contains("not a regular file"), "{error}");
        }
    }

    #[test]
    fn csv_columns_are_found_by_name_and_bad_rows_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.csv");
        assert!(read_csv(&path, &["a"]).unwrap().is_none());
        std::fs::write(&path, "b,a\n1,2\n3,\n").unwrap();
        let rows = read_csv(&path, &["a", "b"]).unwrap().unwrap();
        assert_eq!(rows, [["2", "1"], ["", "3"]]);
        assert_eq!(cell::<f64>(&path, "a", &rows[1][0]).unwrap(), None);
        let error = required::<f64>(&path, "a", &rows[1][0]).unwrap_err();
        assert!(error.to_string().contains("a is empty"), "{error}");
        let error = read_csv(&path, &["c"]).unwrap_err().to_string();
        assert!(error.contains("no column `c`"), "{error}");
        std::fs::write(&path, "b,a\n1,2,3\n").unwrap();
        let error = read_csv(&path, &["a"]).unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
    }
}
