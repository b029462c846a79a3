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

/// Where a CSV table is read from: a file, or its bytes in memory (a run that wrote no files),
/// named by the path it would have (for errors).
#[derive(Debug, Clone, Copy)]
pub enum CsvSource<'a> {
    /// A file.
    File(&'a Path),
    /// The bytes a file would hold.
    Memory {
        /// The file's would-be path.
        name: &'a Path,
        /// Its bytes, header included.
        bytes: &'a [u8],
    },
}

impl<'a> CsvSource<'a> {
    /// The file's path (or would-be path), for errors.
    pub fn path(&self) -> &'a Path {
        match *self {
            CsvSource::File(path) => path,
            CsvSource::Memory { name, .. } => name,
        }
    }

    /// The header's column names.
    fn header(&self) -> Result<Vec<String>, AnalyzeError> {
        match *self {
            CsvSource::File(path) => Ok(read_header(path)?.0),
            CsvSource::Memory { bytes, .. } => {
                let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
                Ok(header_columns(&String::from_utf8_lossy(line)))
            }
        }
    }
}

impl<'a> From<&'a Path> for CsvSource<'a> {
    fn from(path: &'a Path) -> Self {
        CsvSource::File(path)
    }
}

/// A CSV file's columns, as read (only the columns asked for).
pub struct CsvTable {
    path: PathBuf,
    frame: DataFrame,
    kind: &'static str,
}

fn read_frame(
    source: CsvSource<'_>,
    wanted: &[PlSmallStr],
    typed: bool,
) -> PolarsResult<DataFrame> {
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
    match source {
        CsvSource::File(path) => options
            .try_into_reader_with_file_path(Some(path.to_owned()))
            .and_then(|reader| reader.finish()),
        CsvSource::Memory { bytes, .. } => options
            .into_reader_with_file_handle(std::io::Cursor::new(bytes))
            .finish(),
    }
}

impl CsvTable {
    /// Reads `columns` of `source` (all must exist) and `optional` ones when present; `kind`
    /// names the file type in errors.
    pub fn read<'a>(
        source: impl Into<CsvSource<'a>>,
        columns: &[&str],
        optional: &[&str],
        kind: &'static str,
    ) -> Result<CsvTable, AnalyzeError> {
        let source = source.into();
        let path = source.path();
        let header = source.header()?;
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
        match read_frame(source, &wanted, true) {
            Ok(frame) => Ok(CsvTable {
                path: path.to_owned(),
                frame,
                kind,
            }),
            Err(typed_error) => {
                // Find the cell that is not a number, with its line.
                let text =
                    read_frame(source, &wanted, false).map_err(|e| AnalyzeError::read(path, e))?;
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
    Ok((header_columns(&line), length as u64))
}

/// The column names of a header line.
fn header_columns(line: &str) -> Vec<String> {
    line.trim_end_matches(['\r', '\n'])
        .split(',')
        .map(|c| c.trim_matches('"').to_owned())
        .collect()
}
