//! `metrics.csv`: one row per finished epoch. Writer and reader.

use std::path::Path;

use super::csv::{cell, required};
use super::files;
use crate::error::FileError;
use crate::fsio::write_atomic;

use crate::state::EpochRecord;

/// The columns of `metrics.csv`, in file order.
pub const COLUMNS: [&str; 8] = [
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "lr",
    "seconds",
    "wall_seconds",
];

/// The `metrics.csv` text for `history`: a header and one row per epoch. Empty cells for
/// validation columns when there is no validation set.
pub fn csv(history: &[EpochRecord]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for r in history {
        out.push_str(&format!(
            "{},{},{},{},{},{},{:.4},{:.4}\n",
            r.epoch,
            r.train_loss,
            r.train_acc,
            opt(r.val_loss),
            opt(r.val_acc),
            r.lr,
            r.seconds,
            r.wall_seconds
        ));
    }
    out
}

/// Writes `run_dir/metrics.csv` (atomically).
pub fn write(run_dir: &Path, history: &[EpochRecord]) -> Result<(), FileError> {
    let path = run_dir.join(files::METRICS);
    write_atomic(&path, csv(history).as_bytes()).map_err(FileError::io(path))
}

/// Reads `run_dir/metrics.csv`; a run without one (none finished an epoch) has no rows. Timing
/// columns come back rounded to the 0.1 ms the file keeps.
pub fn read(run_dir: &Path) -> Result<Vec<EpochRecord>, FileError> {
    let path = run_dir.join(files::METRICS);
    match super::csv::read(&path)? {
        None => Ok(Vec::new()),
        Some(text) => parse(&text, &path),
    }
}

/// `metrics.csv`'s text as read from `path` (named in errors): [`read`] without the file.
pub fn parse(text: &str, path: &Path) -> Result<Vec<EpochRecord>, FileError> {
    records(&super::csv::parse(text, path, &COLUMNS)?, path)
}

fn records(rows: &[Vec<&str>], p: &Path) -> Result<Vec<EpochRecord>, FileError> {
    let history = rows
        .iter()
        .map(|row| {
            Ok(EpochRecord {
                epoch: required(p, COLUMNS[0], row[0])?,
                train_loss: required(p, COLUMNS[1], row[1])?,
                train_acc: required(p, COLUMNS[2], row[2])?,
                val_loss: cell(p, COLUMNS[3], row[3])?,
                val_acc: cell(p, COLUMNS[4], row[4])?,
                lr: required(p, COLUMNS[5], row[5])?,
                seconds: required(p, COLUMNS[6], row[6])?,
                wall_seconds: required(p, COLUMNS[7], row[7])?,
            })
        })
        .collect::<Result<Vec<_>, FileError>>()?;
    // What a run records (finite losses, accuracies in [0, 1]): anything else was not written
    // by one.
    for r in &history {
        r.check()
            .map_err(|m| FileError::corrupt(p, format!("epoch {}: {m}", r.epoch)))?;
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, val: Option<f64>) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: 0.5 / epoch as f64,
            train_acc: 0.8,
            val_loss: val.map(|v| 1.0 - v),
            val_acc: val,
            lr: 0.001,
            seconds: 1.25,
            wall_seconds: 1.5,
        }
    }

    #[test]
    fn metrics_csv_has_the_documented_columns_and_empty_validation_cells() {
        let csv = csv(&[record(1, None)]);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,wall_seconds")
        );
        assert_eq!(lines.next(), Some("1,0.5,0.8,,,0.001,1.2500,1.5000"));
    }

    #[test]
    fn what_is_written_reads_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_empty(), "no file: no rows");
        let history = vec![
            record(1, Some(0.8123456789)),
            record(2, None),
            record(3, Some(0.9)),
        ];
        write(dir.path(), &history).unwrap();
        assert_eq!(read(dir.path()).unwrap(), history);
        std::fs::write(dir.path().join(files::METRICS), "epoch,train_loss\n1,x\n").unwrap();
        let error = read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("no column `train_acc`"), "{error}");
    }
}
