//! Reading CSV files with polars: numeric columns parsed as `Float64` by polars' parallel reader
//! (`N/A` and empty cells are missing values), text columns as strings. When a numeric cell does
//! not parse, the file is read again as text to name the file, the line and the cell.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::error::AnalyzeError;

/// Columns that hold text; every other column is numeric.
const TEXT_COLUMNS: [&str; 8] = [
    "Type",
    "Name",
    "Method",
    "Error",
    "Message",
    "Traceback",
    "Nodes",
    "Stop Reason",
];

fn is_text(column: &str) -> bool {
    TEXT_COLUMNS.contains(&column)
}

/// A CSV file's columns, as read (only the columns asked for).
pub struct CsvTable {
    path: PathBuf,
    frame: DataFrame,
    kind: &'static str,
}

fn read_frame(path: &Path, wanted: &[PlSmallStr], typed: bool) -> PolarsResult<DataFrame> {
    let mut options = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_columns(Some(Arc::from(wanted.to_vec())));
    if typed {
        let schema: Schema = wanted
            .iter()
            .filter(|c| !is_text(c))
            .map(|c| Field::new(c.clone(), DataType::Float64))
            .collect();
        options = options
            .with_schema_overwrite(Some(Arc::new(schema)))
            .map_parse_options(|p| {
                p.with_null_values(Some(NullValues::AllColumnsSingle("N/A".into())))
            });
    }
    options
        .try_into_reader_with_file_path(Some(path.to_owned()))
        .and_then(|reader| reader.finish())
}

impl CsvTable {
    /// Reads `columns` of `path` (all must exist) and `optional` ones when present; `kind`
    /// names the file type in errors.
    pub fn read(
        path: &Path,
        columns: &[&str],
        optional: &[&str],
        kind: &'static str,
    ) -> Result<CsvTable, AnalyzeError> {
        let (header, _) = read_header(path)?;
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
        match read_frame(path, &wanted, true) {
            Ok(frame) => Ok(CsvTable {
                path: path.to_owned(),
                frame,
                kind,
            }),
            Err(typed_error) => {
                // Find the cell that is not a number, with its line.
                let text =
                    read_frame(path, &wanted, false).map_err(|e| AnalyzeError::read(path, e))?;
                for column in wanted.iter().filter(|c| !is_text(c)) {
                    let cells = text.column(column).and_then(|c| c.str().cloned());
                    if let Ok(cells) = cells {
                        for (index, cell) in cells.iter().enumerate() {
                            let cell = cell.unwrap_or("").trim();
                            if !cell.is_empty() && cell != "N/A" && cell.parse::<f64>().is_err() {
                                return Err(AnalyzeError::BadCell {
                                    path: path.to_owned(),
                                    line: index + 2,
                                    column: column.to_string(),
                                    value: cell.to_owned(),
                                    expected: "a number or N/A",
                                });
                            }
                        }
                    }
                }
                Err(AnalyzeError::read(path, typed_error))
            }
        }
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.frame.height()
    }

    fn missing(&self, column: &str) -> AnalyzeError {
        AnalyzeError::MissingColumn {
            path: self.path.clone(),
            column: column.to_owned(),
            kind: self.kind,
        }
    }

    fn text(&self, column: &str) -> Result<&StringChunked, AnalyzeError> {
        self.frame
            .column(column)
            .map_err(|_| self.missing(column))?
            .str()
            .map_err(|_| self.missing(column))
    }

    fn floats(&self, column: &str) -> Result<&Float64Chunked, AnalyzeError> {
        self.frame
            .column(column)
            .map_err(|_| self.missing(column))?
            .f64()
            .map_err(|_| self.missing(column))
    }

    /// A text column's cells without copying them (`""` for empty cells).
    pub fn str_cells(&self, column: &str) -> Result<impl Iterator<Item = &str>, AnalyzeError> {
        Ok(self.text(column)?.iter().map(|v| v.unwrap_or("")))
    }

    /// A text column (`""` for empty cells).
    pub fn strings(&self, column: &str) -> Result<Vec<String>, AnalyzeError> {
        Ok(self.str_cells(column)?.map(str::to_owned).collect())
    }

    /// A numeric column; empty and `N/A` cells are `None`.
    pub fn optional_numbers(&self, column: &str) -> Result<Vec<Option<f64>>, AnalyzeError> {
        Ok(self.floats(column)?.iter().collect())
    }

    /// A numeric column where every cell must hold a number.
    pub fn numbers(&self, column: &str) -> Result<Vec<f64>, AnalyzeError> {
        self.floats(column)?
            .iter()
            .enumerate()
            .map(|(index, value)| {
                value.ok_or_else(|| AnalyzeError::BadCell {
                    path: self.path.clone(),
                    line: index + 2,
                    column: column.to_owned(),
                    value: "N/A or empty".to_owned(),
                    expected: "a number",
                })
            })
            .collect()
    }
}

/// The header line's column names, and the header line's length in bytes with its line end.
pub(crate) fn read_header(path: &Path) -> Result<(Vec<String>, u64), AnalyzeError> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let mut line = String::new();
    let length = std::io::BufReader::new(file)
        .read_line(&mut line)
        .map_err(|e| AnalyzeError::read(path, e))?;
    let columns = line
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(|c| c.trim_matches('"').to_owned())
        .collect();
    Ok((columns, length as u64))
}
