//! What lines of a CSV file are read, and the line-level problems named with their line:
//!
//! - **A last line without a line end** is left out, with a warning ([`incomplete_last_line`]):
//!   Locust and captest end every row with one, so such a line is what a run killed while
//!   writing leaves (Locust writes its files in place); its last cell may be cut short, so it is
//!   not read at all. The readers read the file up to [`complete_length`].
//! - **A line over [`MAX_LINE`] bytes** (a history row is under 1 KiB) is an error naming its
//!   line, found without holding the line in memory, so a 2 GB line costs no 2 GB.
//! - **Bytes that are not UTF-8** are an error naming the line.
//! - **A UTF-8 byte-order mark** before the header is skipped.
//! - **A row with another number of cells than the header**, or a quote never closed, is an
//!   error naming its line.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::AnalyzeError;

/// The longest line read, line end included: 1 MiB.
pub const MAX_LINE: usize = 1 << 20;

/// The UTF-8 byte-order mark some editors put before the header.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes read from the end at a time while looking for the last line end.
const TAIL: u64 = 64 << 10;

/// The length of `file` up to its last line end: the whole file when it ends with one (or has
/// none: a header alone), else without the incomplete last line.
pub(crate) fn complete_length(file: &File, path: &Path) -> Result<u64, AnalyzeError> {
    let length = file
        .metadata()
        .map_err(|e| AnalyzeError::read(path, e))?
        .len();
    let mut end = length;
    let mut block = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(TAIL);
        block.resize(usize::try_from(end - start).unwrap_or(0), 0);
        file.read_exact_at(&mut block, start)
            .map_err(|e| AnalyzeError::read(path, e))?;
        if let Some(at) = memchr::memrchr(b'\n', &block) {
            return Ok(start + at as u64 + 1);
        }
        end = start;
    }
    Ok(length)
}

/// The number of the line a reader leaves out of `path` because it has no line end (a file cut
/// short while it was written), if any.
pub fn incomplete_last_line(path: &Path) -> Result<Option<usize>, AnalyzeError> {
    let file = File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let complete = complete_length(&file, path)?;
    let length = file
        .metadata()
        .map_err(|e| AnalyzeError::read(path, e))?
        .len();
    if complete == length {
        return Ok(None);
    }
    let mut line_ends = 0;
    each_block(&file, path, complete, |block| {
        line_ends += memchr::memchr_iter(b'\n', block).count();
        Ok(())
    })?;
    Ok(Some(line_ends + 1))
}

/// Calls `each` with the file's bytes up to `length`, block by block.
fn each_block(
    mut file: &File,
    path: &Path,
    length: u64,
    mut each: impl FnMut(&[u8]) -> Result<(), AnalyzeError>,
) -> Result<(), AnalyzeError> {
    let mut buffer = vec![0u8; 256 << 10];
    let mut left = length;
    while left > 0 {
        let wanted = usize::try_from(left.min(buffer.len() as u64)).unwrap_or(0);
        let read = file
            .read(&mut buffer[..wanted])
            .map_err(|e| AnalyzeError::read(path, e))?;
        if read == 0 {
            break;
        }
        each(&buffer[..read])?;
        left -= read as u64;
    }
    Ok(())
}

/// Checks every line of `path` up to `length`: none over [`MAX_LINE`] bytes, all UTF-8, every
/// record with the header's number of cells.
pub(crate) fn check_lines(file: &File, path: &Path, length: u64) -> Result<(), AnalyzeError> {
    let mut records = Records::default();
    // The current line's bytes and its number.
    let mut current: Vec<u8> = Vec::new();
    let mut line = 1;
    each_block(file, path, length, |block| {
        let mut rest = block;
        loop {
            let (piece, ended) = match memchr::memchr(b'\n', rest) {
                Some(at) => (&rest[..=at], true),
                None => (rest, false),
            };
            if current.len() + piece.len() > MAX_LINE {
                return Err(bad_line(
                    path,
                    line,
                    format!("the line is longer than {} MiB", MAX_LINE >> 20),
                    "rows of a CSV file (a history row is under 1 KiB)",
                ));
            }
            if !ended {
                current.extend_from_slice(piece);
                return Ok(());
            }
            // A line within the block is read where it is; one across blocks from `current`.
            if current.is_empty() {
                records.line(piece, line, path)?;
            } else {
                current.extend_from_slice(piece);
                records.line(&current, line, path)?;
                current.clear();
            }
            line += 1;
            rest = &rest[piece.len()..];
        }
    })?;
    if !current.is_empty() {
        records.line(&current, line, path)?;
    }
    records.finish(path)
}

/// The records of a CSV file, line by line: cells counted against the header's (quoted cells may
/// hold commas and line ends; empty lines are skipped, as the readers skip them).
#[derive(Default)]
struct Records {
    header_cells: Option<usize>,
    /// Cells of the record so far, and the line it started on.
    cells: usize,
    start: usize,
    /// Inside a quoted cell (from the line it opened on).
    quote_opened: Option<usize>,
}

impl Records {
    /// Reads one whole line (`bytes`, its line end included) of number `line`.
    fn line(&mut self, bytes: &[u8], line: usize, path: &Path) -> Result<(), AnalyzeError> {
        let bytes = match line {
            1 => bytes.strip_prefix(BOM).unwrap_or(bytes),
            _ => bytes,
        };
        if let Err(error) = std::str::from_utf8(bytes) {
            let at = error.valid_up_to();
            return Err(bad_line(
                path,
                line,
                format!("byte {} is not UTF-8 text (0x{:02X})", at + 1, bytes[at]),
                "a CSV file in UTF-8, as Locust and captest write",
            ));
        }
        let content = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if self.quote_opened.is_none() {
            if content.is_empty() {
                return Ok(());
            }
            self.start = line;
            self.cells = 1;
        }
        if self.quote_opened.is_none() && memchr::memchr(b'"', content).is_none() {
            self.cells += memchr::memchr_iter(b',', content).count();
        } else {
            for &byte in content {
                match byte {
                    b'"' if self.quote_opened.is_some() => self.quote_opened = None,
                    b'"' => self.quote_opened = Some(line),
                    b',' if self.quote_opened.is_none() => self.cells += 1,
                    _ => {}
                }
            }
        }
        if self.quote_opened.is_some() {
            return Ok(());
        }
        match self.header_cells {
            None => self.header_cells = Some(self.cells),
            Some(expected) if self.cells != expected => {
                return Err(bad_line(
                    path,
                    self.start,
                    format!("{} cells where the header has {expected}", self.cells),
                    "one cell per column on every line",
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The end of the file: a quote still open is an error of the line it opened on.
    fn finish(&self, path: &Path) -> Result<(), AnalyzeError> {
        match self.quote_opened {
            Some(line) => Err(bad_line(
                path,
                line,
                "a quote opens a cell that is never closed".to_owned(),
                "quoted cells closed by a quote",
            )),
            None => Ok(()),
        }
    }
}

/// A line-level error.
pub(crate) fn bad_line(
    path: &Path,
    line: usize,
    problem: String,
    expected: &'static str,
) -> AnalyzeError {
    AnalyzeError::BadLine {
        path: path.to_owned(),
        line,
        problem,
        expected,
    }
}
