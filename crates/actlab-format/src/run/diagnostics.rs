//! `diagnostics.csv`: per-layer diagnostics after every epoch (0 = at initialisation), written
//! when `[train] diagnostics = true`. Writer and reader.

use std::path::Path;

use super::csv::{cell, required};
use super::files;
use crate::error::FileError;
use crate::fsio::write_atomic;
use crate::state::{DiagnosticRow, LayerDiagnostics};

/// The columns of `diagnostics.csv`, in file order. `inactive_fraction` came last, later: files
/// written before it have the first six, and read with it absent.
pub const COLUMNS: [&str; 7] = [
    "epoch",
    "layer",
    "grad_norm",
    "dead_fraction",
    "saturated_fraction",
    "learned_mean",
    "inactive_fraction",
];

/// The columns every `diagnostics.csv` has (the files written before `inactive_fraction`).
const FIRST_COLUMNS: usize = 6;

/// A layer's cells, the columns `layer` to `inactive_fraction` (empty where a value is absent);
/// the same cells end every row of `actlab diagnose`'s `diagnose.csv`.
pub fn layer_cells(layer: &LayerDiagnostics) -> [String; 6] {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    [
        layer.layer.to_string(),
        layer.grad_norm.to_string(),
        opt(layer.dead_fraction),
        opt(layer.saturated_fraction),
        opt(layer.learned_mean),
        opt(layer.inactive_fraction),
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
    let header = text.lines().next().unwrap_or_default();
    let columns = if header.split(',').any(|c| c == COLUMNS[FIRST_COLUMNS]) {
        &COLUMNS[..]
    } else {
        &COLUMNS[..FIRST_COLUMNS]
    };
    parsed(&super::csv::parse(text, path, columns)?, path)
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
                    inactive_fraction: match row.get(6) {
                        Some(value) => cell(p, COLUMNS[6], value)?,
                        None => None,
                    },
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
                            inactive_fraction: Some(0.125),
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
                            inactive_fraction: None,
                        },
                    },
                ]
            })
            .collect();
        write(dir.path(), &rows).unwrap();
        let text = std::fs::read_to_string(dir.path().join(files::DIAGNOSTICS)).unwrap();
        assert!(
            text.starts_with(
                "epoch,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean,\
                 inactive_fraction\n0,1,0.123456789,0.25,0.5,-0.3,0.125\n0,2,0.0000001,,,,\n"
            ),
            "{text}"
        );
        assert_eq!(read(dir.path()).unwrap(), Some(rows));
    }

    #[test]
    fn files_from_before_inactive_fraction_read_with_it_absent() {
        let path = Path::new("diagnostics.csv");
        let old = "epoch,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean\n\
                   3,1,0.5,0.25,0.5,\n3,2,0.1,,,\n";
        let rows = parse(old, path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].epoch, 3);
        assert_eq!(rows[0].layer.dead_fraction, Some(0.25));
        assert_eq!(rows[0].layer.inactive_fraction, None);
        // A file that names the column must fill it: a row one cell short is refused.
        let torn = "epoch,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean,\
                    inactive_fraction\n3,1,0.5,0.25,0.5,\n";
        assert!(parse(torn, path).is_err());
        let bad = "epoch,layer,grad_norm,dead_fraction,saturated_fraction,learned_mean,\
                   inactive_fraction\n3,1,0.5,0.25,0.5,,half\n";
        let error = parse(bad, path).unwrap_err().to_string();
        assert!(error.contains("inactive_fraction"), "{error}");
    }
}
