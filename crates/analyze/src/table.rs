//! Reading CSV files with polars: numeric columns parsed as `Float64` by polars' parallel reader
//! (`N/A` and empty cells are missing values), text columns as strings. When a numeric cell does
//! not parse, the file is read again as text to name the file, the line and the cell.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::error::AnalyzeError;
use crate::lines::{bad_line, check_lines, complete_length, BOM, MAX_LINE};
use std::os::unix::fs::FileExt;

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
    /// names the file type in errors. A file's lines are checked first ([`crate::lines`]: a
    /// last line without line end left out, a BOM skipped, long lines and non-UTF-8 refused with
    /// their line); the CSV parser's own errors are translated into the line they come from.
    pub fn read<'a>(
        source: impl Into<CsvSource<'a>>,
        columns: &[&str],
        optional: &[&str],
        kind: &'static str,
    ) -> Result<CsvTable, AnalyzeError> {
        let source = source.into();
        let path = source.path();
        let checked = match source {
            CsvSource::File(path) => checked_bytes(path)?,
            CsvSource::Memory { .. } => None,
        };
        let source = match &checked {
            Some(bytes) => CsvSource::Memory { name: path, bytes },
            None => source,
        };
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
            Err(_) => Err(refused(source, &wanted, kind)),
        }
    }

    /// The file read (or the would-be file of a table in memory).
    pub fn path(&self) -> &Path {
        &self.path
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

    /// A numeric column; empty and `N/A` cells are `None`. Every number must be finite and not
    /// negative (every number in these files is a count, a time, a rate or a size).
    pub fn optional_numbers(&self, column: &str) -> Result<Vec<Option<f64>>, AnalyzeError> {
        self.floats(column)?
            .iter()
            .enumerate()
            .map(|(index, value)| match value {
                Some(number) if !(number >= 0.0 && number.is_finite()) => {
                    Err(self.bad_number(index, column, number))
                }
                value => Ok(value),
            })
            .collect()
    }

    /// A numeric column where every cell must hold a finite number, not negative.
    pub fn numbers(&self, column: &str) -> Result<Vec<f64>, AnalyzeError> {
        self.optional_numbers(column)?
            .into_iter()
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

    /// The error of a number that is NaN, infinite or negative, on data row `index`.
    fn bad_number(&self, index: usize, column: &str, number: f64) -> AnalyzeError {
        AnalyzeError::BadCell {
            path: self.path.clone(),
            line: index + 2,
            column: column.to_owned(),
            value: number.to_string(),
            expected: "a finite number, 0 or more (a count, a time, a rate or a size)",
        }
    }
}

/// The header line's column names, and the header line's length in bytes with its line end (a
/// BOM before it included). A header over [`MAX_LINE`] bytes or not UTF-8 is an error of line 1.
pub(crate) fn read_header(path: &Path) -> Result<(Vec<String>, u64), AnalyzeError> {
    use std::io::{BufRead, Read};
    let file = std::fs::File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let mut line = Vec::new();
    let length = std::io::BufReader::new(file.take(MAX_LINE as u64 + 1))
        .read_until(b'\n', &mut line)
        .map_err(|e| AnalyzeError::read(path, e))?;
    if length > MAX_LINE {
        return Err(bad_line(
            path,
            1,
            format!("the header is longer than {} MiB", MAX_LINE >> 20),
            "a CSV header line",
        ));
    }
    let text = std::str::from_utf8(line.strip_prefix(BOM).unwrap_or(&line)).map_err(|_| {
        bad_line(
            path,
            1,
            "the header is not UTF-8 text".to_owned(),
            "a CSV file in UTF-8, as Locust and captest write",
        )
    })?;
    if text.trim_end_matches(['\r', '\n']).contains('\r') {
        return Err(bad_line(
            path,
            1,
            "the lines end with a carriage return alone (CR)".to_owned(),
            "LF or CRLF line ends",
        ));
    }
    Ok((header_columns(text), length as u64))
}

/// The column names of a header line.
fn header_columns(line: &str) -> Vec<String> {
    line.trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(
            |c| match c.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
                // A whole quoted cell; any other quote stays in the name (and sends the file to
                // the general reader, which says what is wrong with it).
                Some(inner) if !inner.contains('"') => inner.to_owned(),
                _ => c.to_owned(),
            },
        )
        .collect()
}

/// The bytes to read `path` from when they are not the file as it is: without its BOM, without
/// an incomplete last line ([`crate::lines`]); `None` when the file is read as it is. Every line
/// is checked first (length, UTF-8).
fn checked_bytes(path: &Path) -> Result<Option<Vec<u8>>, AnalyzeError> {
    let file = std::fs::File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let complete = complete_length(&file, path)?;
    check_lines(&file, path, complete)?;
    let length = file
        .metadata()
        .map_err(|e| AnalyzeError::read(path, e))?
        .len();
    let mut start = [0u8; 3];
    let has_bom = file.read_exact_at(&mut start, 0).is_ok() && start == BOM;
    if complete == length && !has_bom {
        return Ok(None);
    }
    let skip = if has_bom { BOM.len() as u64 } else { 0 };
    let mut bytes = vec![0u8; usize::try_from(complete - skip).unwrap_or(0)];
    file.read_exact_at(&mut bytes, skip)
        .map_err(|e| AnalyzeError::read(path, e))?;
    Ok(Some(bytes))
}

/// Why the CSV parser refused `source`, as one line of ours (never the parser's own words): the
/// line of a cell that is not a number, else what the file should be (rows with the wrong number
/// of cells were found before, by [`check_lines`]).
fn refused(source: CsvSource<'_>, wanted: &[PlSmallStr], kind: &'static str) -> AnalyzeError {
    let path = source.path();
    if let Ok(text) = read_frame(source, wanted, false) {
        for column in wanted.iter().filter(|c| !is_text(c)) {
            let Ok(cells) = text.column(column).and_then(|c| c.str().cloned()) else {
                continue;
            };
            for (index, cell) in cells.iter().enumerate() {
                let cell = cell.unwrap_or("").trim();
                if !cell.is_empty() && cell != "N/A" && cell.parse::<f64>().is_err() {
                    return AnalyzeError::BadCell {
                        path: path.to_owned(),
                        line: index + 2,
                        column: column.to_string(),
                        value: cell.to_owned(),
                        expected: "a number or N/A",
                    };
                }
            }
        }
    }
    AnalyzeError::read(
        path,
        format!("the CSV reader cannot parse it; expected a {kind} (comma-separated, one row per line, quotes closed)"),
    )
}
