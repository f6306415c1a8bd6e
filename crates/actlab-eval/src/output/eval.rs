//! The files of `actlab eval` (`eval.json`, `confusion.csv`, the heatmap) and the confusion
//! matrix as a text table.

use std::path::{Path, PathBuf};

use actlab_train::run::DirLock;

use super::{json, write_texts};
use crate::error::EvalError;
use crate::eval::EvalReport;
use crate::plot::confusion;

/// Writes `eval.json`, `confusion.csv`, the heatmap (`confusion.svg`, `confusion.png`) and the
/// per-image predictions where `report.predictions` says into `run_dir`; returns the files
/// written.
pub fn write_report(run_dir: &Path, report: &EvalReport) -> Result<Vec<PathBuf>, EvalError> {
    let _lock = DirLock::acquire(run_dir)?;
    let mut predictions = Vec::new();
    if let Some(name) = &report.predictions.file {
        report.per_image.write_as(run_dir, name)?;
        predictions.push(run_dir.join(name));
    }
    let files = [
        ("eval.json", json(run_dir, report)?),
        ("confusion.csv", confusion_csv(report)),
    ];
    let mut written = write_texts(run_dir, &files)?;
    written.extend(confusion::plot(run_dir, report)?);
    written.extend(predictions);
    Ok(written)
}

/// `confusion.csv`: a header of predicted class names, one row per true class.
pub fn confusion_csv(report: &EvalReport) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let names: Vec<String> = report.per_class.iter().map(|c| quote(&c.name)).collect();
    let mut out = format!("true\\predicted,{}\n", names.join(","));
    for (row, class) in report.confusion.iter().zip(&report.per_class) {
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        out.push_str(&format!("{},{}\n", quote(&class.name), cells.join(",")));
    }
    out
}

/// The confusion matrix as a text table (true classes down, predicted across).
pub fn confusion_table(report: &EvalReport) -> String {
    let short = |name: &str| -> String { name.chars().take(7).collect() };
    let mut out = format!("{:>12} │", "true ╲ pred");
    for class in &report.per_class {
        out.push_str(&format!(" {:>7}", short(&class.name)));
    }
    out.push('\n');
    out.push_str(&format!(
        "{}┼{}\n",
        "─".repeat(13),
        "─".repeat(8 * report.per_class.len())
    ));
    for (row, class) in report.confusion.iter().zip(&report.per_class) {
        out.push_str(&format!("{:>12} │", short(&class.name)));
        for count in row {
            out.push_str(&format!(" {count:>7}"));
        }
        out.push('\n');
    }
    out
}
