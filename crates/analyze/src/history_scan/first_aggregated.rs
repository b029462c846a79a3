//! Where the steady window starts: the first Aggregated row's timestamp, found before the file is
//! read in parallel (each reader sums only the rows from the warmup's end on).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use captest_format::entry::is_aggregated_row;

use super::line::Layout;
use super::EntryRows;
use crate::cell::parse_slice;
use crate::error::AnalyzeError;
use crate::history::Percentiles;

/// Bytes after the header in which the first Aggregated row is looked for (Locust writes it
/// after every entry's row of the first second).
const FIRST_ROWS: usize = 16 << 20;

/// The timestamp of the first Aggregated row (looked for in the first [`FIRST_ROWS`] bytes after
/// the header); `None` when it is not there or the lines are not plain (the fast path's files).
pub(crate) fn first_aggregated_timestamp(
    path: &Path,
    header: &[String],
    header_bytes: u64,
) -> Result<Option<f64>, AnalyzeError> {
    let Some(layout) = Layout::from_header(header, Percentiles::Named, EntryRows::Kept) else {
        return Ok(None);
    };
    let file = File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let mut text = Vec::new();
    // Where the first line not yet looked at starts.
    let mut looked = 0;
    while text.len() < FIRST_ROWS {
        let filled = text.len();
        text.resize(filled + (64 << 10), 0);
        let read = file
            .read_at(&mut text[filled..], header_bytes + filled as u64)
            .map_err(|e| AnalyzeError::read(path, e))?;
        text.truncate(filled + read);
        // Complete lines only (the rest too once the file has ended).
        let end = if read == 0 {
            text.len()
        } else {
            memchr::memrchr(b'\n', &text).map_or(0, |i| i + 1)
        };
        for line in text[looked.min(end)..end].split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.contains(&b'"') {
                return Ok(None);
            }
            let cells: Vec<&[u8]> = line.split(|&b| b == b',').collect();
            if cells.len() == layout.columns
                && is_aggregated_row(cells[layout.type_column], cells[layout.name_column])
            {
                return Ok(parse_slice(cells[layout.timestamp_column]).flatten());
            }
        }
        looked = end;
        if read == 0 {
            break;
        }
    }
    Ok(None)
}
