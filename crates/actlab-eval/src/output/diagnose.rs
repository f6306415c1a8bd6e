//! The files of `actlab diagnose`: `diagnose.json` (written here and read back here — the
//! claims use it), `diagnose.csv` and the gradient-norm figure.

use std::path::{Path, PathBuf};

use actlab_train::{TrainError, run};

use crate::diagnose::DiagnoseReport;
use crate::error::EvalError;
use crate::plot::gradients;

use super::{json, write_texts};

/// The file name of the JSON report.
pub const JSON: &str = "diagnose.json";

/// `diagnose.csv`: one row per activation, moment and layer; the layer columns are
/// `diagnostics.csv`'s.
pub fn csv(report: &DiagnoseReport) -> String {
    let mut out = format!(
        "activation,moment,{}\n",
        run::diagnostics::COLUMNS[1..].join(",")
    );
    for a in &report.activations {
        for (moment, layers) in [("init", &a.initial), ("trained", &a.trained)] {
            for l in layers {
                let cells = run::diagnostics::layer_cells(l).join(",");
                out.push_str(&format!("\"{}\",{moment},{cells}\n", a.activation));
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

/// Reads a `diagnose.json` (a regular file of bounded size, like every file actlab reads).
pub fn read(path: &Path) -> Result<DiagnoseReport, EvalError> {
    let text = run::read_text(path, run::MAX_TEXT_BYTES).map_err(|error| TrainError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    serde_json::from_str(&text).map_err(|e| {
        EvalError::Train(TrainError::Corrupt {
            path: path.to_path_buf(),
            message: format!("not a diagnose.json: {e}"),
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::ActivationDiagnosis;
    use actlab_train::diagnostics::LayerDiagnostics;

    #[test]
    fn diagnose_json_reads_back_including_undefined_numbers() {
        let layer = |layer: usize, grad_norm: f64| LayerDiagnostics {
            layer,
            grad_norm,
            dead_fraction: (layer == 1).then_some(0.5),
            saturated_fraction: (layer == 1).then_some(0.25),
            learned_mean: None,
        };
        let report = DiagnoseReport {
            depth: 1,
            width: 4,
            steps: 0,
            probe_images: 8,
            backend: "flex".into(),
            activations: vec![ActivationDiagnosis {
                activation: "relu".into(),
                kind: "relu".into(),
                initial: vec![layer(1, 0.3), layer(2, 0.0)],
                trained: vec![layer(1, f64::NAN), layer(2, 0.2)],
                initial_ratio: f64::NAN, // 0.3 / 0
                trained_ratio: f64::NAN,
                first_loss: f64::NAN, // no step taken
                last_loss: f64::NAN,
            }],
        };
        let dir = tempfile::tempdir().unwrap();
        write(&report, dir.path()).unwrap();
        let back = read(&dir.path().join(JSON)).unwrap();
        let a = &back.activations[0];
        assert!(
            a.initial_ratio.is_nan() && a.first_loss.is_nan() && a.trained[0].grad_norm.is_nan()
        );
        assert_eq!(a.initial, report.activations[0].initial);
        assert_eq!(a.trained[1], report.activations[0].trained[1]);
        assert_eq!(
            find_diagnosis(&[dir.path().to_path_buf()]).map(|r| r.depth),
            Some(1)
        );
    }
}
