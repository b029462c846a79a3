//! Where the steady window starts and ends, found before the file is read in parallel (each
//! reader sums only the rows the window takes): the first Timestamp, in the lines up to the first
//! Aggregated row, and the last Aggregated row with users running, in the lines of the file's end.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use captest_format::columns::USER_COUNT;
use captest_format::entry::is_aggregated_row;

use super::line::Layout;
use super::EntryRows;
use crate::cell::parse_slice;
use crate::error::AnalyzeError;
use crate::history::Percentiles;
use crate::lines::complete_length;

/// Bytes after the header in which the first Aggregated row is looked for (Locust writes it
/// after every entry's row of the first second).
const FIRST_ROWS: usize = 16 << 20;

/// Bytes read from the end at a time when the last Aggregated row with users is looked for.
const LAST_ROWS: u64 = 64 << 10;

/// The smallest timestamp of the lines up to the first Aggregated row (looked for in the first
/// [`FIRST_ROWS`] bytes after the header; Locust writes it after every entry's row of the first
/// second, rows in time order); `None` when it is not there or the lines are not plain (the fast
/// path's files).
pub(crate) fn first_timestamp(
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
    let mut smallest = f64::INFINITY;
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
            if cells.len() != layout.columns {
                continue;
            }
            let Some(timestamp) = parse_slice(cells[layout.timestamp_column]).flatten() else {
                return Ok(None);
            };
            smallest = smallest.min(timestamp);
            if is_aggregated_row(cells[layout.type_column], cells[layout.name_column]) {
                return Ok(Some(smallest));
            }
        }
        looked = end;
        if read == 0 {
            break;
        }
    }
    Ok(None)
}

/// The timestamp of the last Aggregated row with `User Count` > 0, or of the last Aggregated row
/// when none of the Aggregated rows has users; read from the end of the file, [`LAST_ROWS`] bytes
/// at a time. `None` when there is no Aggregated row or a line is not plain (the fast path's
/// files).
pub(crate) fn last_running_timestamp(
    path: &Path,
    header: &[String],
    header_bytes: u64,
) -> Result<Option<f64>, AnalyzeError> {
    let Some(layout) = Layout::from_header(header, Percentiles::Named, EntryRows::Kept) else {
        return Ok(None);
    };
    let Some(users_column) = header.iter().position(|h| h == USER_COUNT) else {
        return Ok(None);
    };
    let file = File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let length = complete_length(&file, path)?;
    // `text` holds the bytes from `start` to `end` (complete lines only, the first excepted while
    // `start` is not the header's end).
    let mut end = length;
    let mut last_aggregated = None;
    while end > header_bytes {
        let start = end.saturating_sub(LAST_ROWS).max(header_bytes);
        let mut text = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        file.read_exact_at(&mut text, start)
            .map_err(|e| AnalyzeError::read(path, e))?;
        // The first line may begin before `start`: it is read with the next block.
        let first = if start == header_bytes {
            0
        } else {
            match memchr::memchr(b'\n', &text) {
                Some(i) if i + 1 < text.len() => i + 1,
                // A line longer than a block: not a plain history.
                _ => return Ok(None),
            }
        };
        for line in text[first..].rsplit(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let cells: Vec<&[u8]> = line.split(|&b| b == b',').collect();
            if line.contains(&b'"') || cells.len() != layout.columns {
                return Ok(None);
            }
            if !is_aggregated_row(cells[layout.type_column], cells[layout.name_column]) {
                continue;
            }
            let (Some(timestamp), Some(users)) = (
                parse_slice(cells[layout.timestamp_column]).flatten(),
                parse_slice(cells[users_column]).flatten(),
            ) else {
                return Ok(None);
            };
            if users > 0.0 {
                return Ok(Some(timestamp));
            }
            last_aggregated.get_or_insert(timestamp);
        }
        end = start + first as u64;
    }
    Ok(last_aggregated)
}
