//! Reading CSV files with polars into string columns, then typed columns with errors that name the
//! file, the line and what was expected.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::error::AnalyzeError;

/// A CSV file read as text columns (only the columns asked for).
pub struct CsvTable {
    path: PathBuf,
    frame: DataFrame,
    kind: &'static str,
}

impl CsvTable {
    /// Reads `columns` of `path` (all must exist); `kind` names the file type in errors.
    pub fn read(
        path: &Path,
        columns: &[&str],
        optional: &[&str],
        kind: &'static str,
    ) -> Result<CsvTable, AnalyzeError> {
        let header = read_header(path)?;
        for column in columns {
            if !header.iter().any(|h| h == column) {
                return Err(AnalyzeError::MissingColumn {
                    path: path.to_owned(),
                    column: (*column).to_owned(),
                    kind,
                });
            }
        }
        let wanted: Vec<PlSmallStr> = columns
            .iter()
            .chain(optional.iter().filter(|c| header.iter().any(|h| h == *c)))
            .map(|c| PlSmallStr::from(*c))
            .collect();
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_columns(Some(Arc::from(wanted)))
            .try_into_reader_with_file_path(Some(path.to_owned()))
            .and_then(|reader| reader.finish())
            .map_err(|e| AnalyzeError::read(path, e))?;
        Ok(CsvTable {
            path: path.to_owned(),
            frame,
            kind,
        })
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.frame.height()
    }

    fn text(&self, column: &str) -> Result<&StringChunked, AnalyzeError> {
        let missing = || AnalyzeError::MissingColumn {
            path: self.path.clone(),
            column: column.to_owned(),
            kind: self.kind,
        };
        self.frame
            .column(column)
            .map_err(|_| missing())?
            .str()
            .map_err(|_| missing())
    }

    /// A text column (`""` for empty cells).
    pub fn strings(&self, column: &str) -> Result<Vec<String>, AnalyzeError> {
        Ok(self
            .text(column)?
            .iter()
            .map(|v| v.unwrap_or("").to_owned())
            .collect())
    }

    /// A numeric column; empty and `N/A` cells are `None`.
    pub fn optional_numbers(&self, column: &str) -> Result<Vec<Option<f64>>, AnalyzeError> {
        self.text(column)?
            .iter()
            .enumerate()
            .map(|(index, cell)| match cell.map(str::trim) {
                None | Some("") | Some("N/A") => Ok(None),
                Some(text) => text
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| AnalyzeError::BadCell {
                        path: self.path.clone(),
                        line: index + 2,
                        column: column.to_owned(),
                        value: text.to_owned(),
                        expected: "a number or N/A",
                    }),
            })
            .collect()
    }

    /// A numeric column where every cell must hold a number.
    pub fn numbers(&self, column: &str) -> Result<Vec<f64>, AnalyzeError> {
        self.text(column)?
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                let text = cell.unwrap_or("").trim();
                text.parse::<f64>().map_err(|_| AnalyzeError::BadCell {
                    path: self.path.clone(),
                    line: index + 2,
                    column: column.to_owned(),
                    value: text.to_owned(),
                    expected: "a number",
                })
            })
            .collect()
    }
}

/// The header line's column names.
fn read_header(path: &Path) -> Result<Vec<String>, AnalyzeError> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let mut line = String::new();
    std::io::BufReader::new(file)
        .read_line(&mut line)
        .map_err(|e| AnalyzeError::read(path, e))?;
    Ok(line
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(|c| c.trim_matches('"').to_owned())
        .collect())
}
