//! `diagnostics.csv`: per-layer diagnostics after every epoch (0 = at initialisation), written
//! when `[train] diagnostics = true`. Writer and reader.

use std::path::Path;

use super::csv::{cell, required};
use super::files;
use crate::error::FileError;
use crate::fsio::write_atomic;
use crate::state::{DiagnosticRow, LayerDiagnostics};

/// The columns of `diagnostics.csv`, in file order.
pub const COLUMNS: [&str; 6] = [
    "epoch",
    "layer",
    "grad_norm",
    "dead_fraction",
    "saturated_fraction",
    "learned_mean",
];

/// A layer's cells, the columns `layer` to `learned_mean` (empty where a value is absent); the
/// same cells end every row of `actlab diagnose`'s `diagnose.csv`.
pub fn layer_cells(layer: &LayerDiagnostics) -> [String; 5] {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    [
        layer.layer.to_string(),
        layer.grad_norm.to_string(),
        opt(layer.dead_fraction),
        opt(layer.saturated_fraction),
        opt(layer.learned_mean),
    ]
}

/// The `diagnostics.csv` text for `rows`.
pub fn csv(rows: &[DiagnosticRow]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{},{}\n",
            r.epoch,
            layer_cells(&r.layer).join(",")
        ));
    }
    out
}

/// Writes `run_dir/diagnostics.csv` (atomically).
pub fn write(run_dir: &Path, rows: &[DiagnosticRow]) -> Result<(), FileError> {
    let path = run_dir.join(files::DIAGNOSTICS);
    write_atomic(&path, csv(rows).as_bytes()).map_err(FileError::io(path))
}

/// Reads `run_dir/diagnostics.csv`; `None` when the run measured none.
pub fn read(run_dir: &Path) -> Result<Option<Vec<DiagnosticRow>>, FileError> {
    let path = run_dir.join(files::DIAGNOSTICS);
    match super::csv::read(&path)? {
        None => Ok(None),
        Some(text) => parse(&text, &path).map(Some),
    }
}

/// `diagnostics.csv`'s text as read from `path` (named in errors): [`read`] without the file.
pub fn parse(text: &str, path: &Path) -> Result<Vec<DiagnosticRow>, FileError> {
    parsed(&super::csv::parse(text, path, &COLUMNS)?, path)
}

fn parsed(rows: &[Vec<&str>], p: &Path) -> Result<Vec<DiagnosticRow>, FileError> {
    rows.iter()
        .map(|row| {
            Ok(DiagnosticRow {
                epoch: required(p, COLUMNS[0], row[0])?,
                layer: LayerDiagnostics {
                    layer: required(p, COLUMNS[1], row[1])?,
                    grad_norm: required(p, COLUMNS[2], row[2])?,
                    dead_fraction: cell(p, COLUMNS[3], row[3])?,
                    saturated_fraction: cell(p, COLUMNS[4], row[4])?,
                    learned_mean: cell(p, COLUMNS[5], row[5])?,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        let rows: Vec<DiagnosticRow> = (0..2)
            .flat_map(|epoch| {
                [
                    DiagnosticRow {
                        epoch,
                        layer: LayerDiagnostics {
                            layer: 1,
                            grad_norm: 0.123_456_789,
                            dead_fraction: Some(0.25),
                            saturated_fraction: Some(0.5),
                            learned_mean: Some(-0.3),
                        },
                    },
                    DiagnosticRow {
                        epoch,
                        layer: LayerDiagnostics {
                            layer: 2,
                            grad_norm: 1e-7,
                            dead_fraction: None,
                            saturated_fraction: None,
                            learned_mean: None,
                        },
                    },
                ]
            })
            .collect();
        write(dir.path(), &rows).unwrap();
        let text = std::fs::read_to_string(dir.path().join(files::DIAGNOSTICS)).unwrap();
        assert!(
            text.starts_with(
                "epoch,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean\n\
                 0,1,0.123456789,0.25,0.5,-0.3\n0,2,0.0000001,,,\n"
            ),
            "{text}"
        );
        assert_eq!(read(dir.path()).unwrap(), Some(rows));
    }
}
