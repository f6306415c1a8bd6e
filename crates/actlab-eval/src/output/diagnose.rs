//! The files of `actlab diagnose`: `diagnose.json` (written here and read back here — the
//! claims use it), `diagnose.csv` and the gradient-norm figure.

use std::path::{Path, PathBuf};

use crate::diagnose::DiagnoseReport;
use crate::error::EvalError;
use crate::plot::gradients;

use super::{json, write_texts};

/// The file name of the JSON report.
pub const JSON: &str = "diagnose.json";

/// `diagnose.csv`: one row per activation, moment and layer.
pub fn csv(report: &DiagnoseReport) -> String {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let mut out = String::from(
        "activation,moment,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean\n",
    );
    for a in &report.activations {
        for (moment, layers) in [("init", &a.initial), ("trained", &a.trained)] {
            for l in layers {
                out.push_str(&format!(
                    "\"{}\",{moment},{},{},{},{},{}\n",
                    a.activation,
                    l.layer,
                    l.grad_norm,
                    opt(l.dead_fraction),
                    opt(l.saturated_fraction),
                    opt(l.learned_mean)
                ));
            }
        }
    }
    out
}

/// Writes `diagnose.json`, `diagnose.csv` and `gradients.svg/png` into `out`.
pub fn write(report: &DiagnoseReport, out: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let files = [(JSON, json(out, report)?), ("diagnose.csv", csv(report))];
    let mut written = write_texts(out, &files)?;
    written.extend(gradients::plot(report, out)?);
    Ok(written)
}

/// Reads a `diagnose.json`.
pub fn read(path: &Path) -> Result<DiagnoseReport, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| EvalError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// Finds the first `diagnose.json` at or below `roots` (three levels deep, in name order) and
/// reads it; `None` when there is none or it cannot be read.
pub fn find_diagnosis(roots: &[PathBuf]) -> Option<DiagnoseReport> {
    fn find(dir: &Path, depth: usize) -> Option<PathBuf> {
        let file = dir.join(JSON);
        if file.is_file() {
            return Some(file);
        }
        if depth >= 3 {
            return None;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        entries.sort();
        entries.into_iter().find_map(|p| find(&p, depth + 1))
    }
    roots
        .iter()
        .find_map(|root| find(root, 0))
        .and_then(|path| read(&path).ok())
}
