//! The writer layer: what `report`, `claims`, `eval` and `diagnose` computed, rendered as
//! Markdown, CSV, JSON and figures (through `crate::plot`) into files. Nothing here computes
//! a number that a file shows; nothing in the computing modules writes a file.

pub mod claims;
pub mod diagnose;
pub mod eval;
pub mod html;
pub mod images;
pub mod report;
mod results_csv;
pub mod search;
pub mod tensorboard;
pub mod tuning;

use std::path::{Path, PathBuf};

use actlab_format::fsio::write_atomic;
use serde::Serialize;

use crate::error::EvalError;

/// Writes each `(file name, text)` into `dir` (created if needed), atomically; returns the
/// paths.
fn write_texts(dir: &Path, files: &[(&str, String)]) -> Result<Vec<PathBuf>, EvalError> {
    std::fs::create_dir_all(dir).map_err(|error| EvalError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    files
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            write_atomic(&path, text.as_bytes()).map_err(|error| EvalError::Io {
                path: path.clone(),
                error,
            })?;
            Ok(path)
        })
        .collect()
}

/// `value` as pretty JSON; `dir` names where it was going, for the error.
fn json(dir: &Path, value: &impl Serialize) -> Result<String, EvalError> {
    serde_json::to_string_pretty(value).map_err(|e| EvalError::Io {
        path: dir.to_path_buf(),
        error: std::io::Error::other(e),
    })
}
