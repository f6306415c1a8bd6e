//! The CSV files this module writes, read back by column name: a header, then rows of plain
//! cells (numbers and empty cells; nothing needs quoting).

use std::path::Path;

use crate::error::FileError;
use crate::fsio::{MAX_TEXT_BYTES, read_text};

/// A CSV file's text, for [`parse`]; a missing file is `Ok(None)`.
pub(super) fn read(path: &Path) -> Result<Option<String>, FileError> {
    match read_text(path, MAX_TEXT_BYTES) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FileError::io(path)(e)),
    }
}

/// The rows of a CSV file's text (`path` names it in errors): the header names the columns,
/// and `columns` picks them (in that order) from every row. Cells borrow from `text`.
pub(super) fn parse<'t>(
    text: &'t str,
    path: &Path,
    columns: &[&str],
) -> Result<Vec<Vec<&'t str>>, FileError> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let index = columns
        .iter()
        .map(|column| {
            header.iter().position(|h| h == column).ok_or_else(|| {
                FileError::corrupt(path, format!("no column `{column}` in the header"))
            })
        })
        .collect::<Result<Vec<usize>, _>>()?;
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != header.len() {
                return Err(FileError::corrupt(
                    path,
                    format!(
                        "line {}: {} cells, the header has {}",
                        i + 2,
                        cells.len(),
                        header.len()
                    ),
                ));
            }
            Ok(index.iter().map(|&c| cells[c]).collect())
        })
        .collect()
}

/// Parses one cell (`column` of a row of `path`); empty cells are `None`.
pub(super) fn cell<T: std::str::FromStr>(
    path: &Path,
    column: &str,
    text: &str,
) -> Result<Option<T>, FileError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| FileError::corrupt(path, format!("{column} = {text:?} is not a number")))
}

/// Like [`cell`], for a column that may not be empty.
pub(super) fn required<T: std::str::FromStr>(
    path: &Path,
    column: &str,
    text: &str,
) -> Result<T, FileError> {
    cell(path, column, text)?.ok_or_else(|| FileError::corrupt(path, format!("{column} is empty")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_and_bad_rows_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.csv");
        assert!(read(&path).unwrap().is_none());
        std::fs::write(&path, "b,a\n1,2\n3,\n").unwrap();
        let text = read(&path).unwrap().unwrap();
        let rows = parse(&text, &path, &["a", "b"]).unwrap();
        assert_eq!(rows, [["2", "1"], ["", "3"]]);
        assert_eq!(cell::<f64>(&path, "a", rows[1][0]).unwrap(), None);
        let error = required::<f64>(&path, "a", rows[1][0]).unwrap_err();
        assert!(error.to_string().contains("a is empty"), "{error}");
        let error = parse(&text, &path, &["c"]).unwrap_err().to_string();
        assert!(error.contains("no column `c`"), "{error}");
        let error = parse("b,a\n1,2,3\n", &path, &["a"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 2"), "{error}");
    }
}
