//! The files of `actlab diagnose`: `diagnose.json` (its format is
//! `actlab_format::diagnose::DiagnoseReport`'s), `diagnose.csv` and the gradient-norm figure.

use std::path::{Path, PathBuf};

use actlab_format::diagnose::{DiagnoseReport, JSON};
use actlab_format::run::diagnostics;
use actlab_format::state::LayerDiagnostics;

use crate::error::EvalError;
use crate::plot::gradients;

use super::write_texts;

/// `diagnose.csv`: one row per activation, seed, moment and layer; the layer columns are
/// `diagnostics.csv`'s. `seed` is empty where the report predates seeds.
pub fn csv(report: &DiagnoseReport) -> String {
    let mut out = format!(
        "activation,seed,moment,{}\n",
        diagnostics::COLUMNS[1..].join(",")
    );
    for a in &report.activations {
        let mut networks: Vec<(String, &[LayerDiagnostics], &[LayerDiagnostics])> = a
            .seeds
            .iter()
            .map(|s| (s.seed.to_string(), &s.initial[..], &s.trained[..]))
            .collect();
        if networks.is_empty() {
            let seed = report.seeds.first().map_or(String::new(), u64::to_string);
            networks.push((seed, &a.initial, &a.trained));
        }
        for (seed, initial, trained) in networks {
            for (moment, layers) in [("init", initial), ("trained", trained)] {
                for l in layers {
                    let cells = diagnostics::layer_cells(l).join(",");
                    out.push_str(&format!("\"{}\",{seed},{moment},{cells}\n", a.activation));
                }
            }
        }
    }
    out
}

/// Writes `diagnose.json`, `diagnose.csv` and `gradients.svg/png` into `out`.
pub fn write(report: &DiagnoseReport, out: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let text = report.to_json().map_err(|e| EvalError::Io {
        path: out.join(JSON),
        error: std::io::Error::other(e),
    })?;
    let files = [(JSON, text), ("diagnose.csv", csv(report))];
    let mut written = write_texts(out, &files)?;
    written.extend(gradients::plot(report, out)?);
    Ok(written)
}
