//! What training writes into a run directory besides the text files `actlab_format::run`
//! owns: the recorded config ([`write_config`] / [`run_config`]), the weights (`weights`,
//! Burn's burnpack format), the checkpoint's generation files ([`checkpoint`]), TensorBoard's
//! events ([`tensorboard`]), the summary's facts ([`RunFacts`]) and the directory lock
//! ([`DirLock`]). The layout is documented in `actlab_format::run`.

pub mod checkpoint;
mod facts;
mod lock;
pub mod tensorboard;
mod weights;

use std::path::{Path, PathBuf};

use actlab_format::config::{Experiment, ExperimentConfig};
use actlab_format::fsio::write_atomic;
use actlab_format::run::{diagnostics, files, metrics};
use actlab_format::state::{DiagnosticRow, EpochRecord};

use crate::error::TrainError;

pub use facts::RunFacts;
pub use lock::DirLock;
pub use weights::{
    load_mlp, load_model, load_weights, parameter_values, write_weights, write_weights_to,
};

/// Writes the files a run directory derives from its checkpointed state — `metrics.csv`,
/// `diagnostics.csv` (when the run measures any) and the TensorBoard events — after every
/// checkpoint and again on resume, so a run killed between its checkpoint and these files gets
/// files that match the checkpoint again.
pub fn write_state_files(
    run_dir: &Path,
    experiment: &Experiment,
    history: &[EpochRecord],
    diagnostics: &[DiagnosticRow],
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

/// Records `experiment` in `run_dir/config.toml` (atomically): its validated config with the
/// run's name and directory written out, so `--resume`, `eval` and `reproduce` rebuild exactly
/// this run. The one writer of the file; [`run_config`] reads it.
pub fn write_config(run_dir: &Path, experiment: &Experiment) -> Result<(), TrainError> {
    let mut resolved = experiment.config().clone();
    resolved.name = Some(experiment.name());
    resolved.output.dir = Some(run_dir.to_path_buf());
    Ok(resolved.write_atomic(&run_dir.join(files::CONFIG))?)
}

/// The config a run recorded (`config.toml`, [`write_config`]), not yet validated: override
/// what you need (a backend, more epochs), then validate.
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
    use actlab_format::fsio::read_text;

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
}
