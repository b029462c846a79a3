//! The fast path for `_stats_history.csv`, the one file that grows large (a full history holds one
//! row per entry per second: 50 entries × 6 hours is a million rows).
//!
//! Each worker thread reads its own byte range of the file in blocks (no copy of the whole file in
//! memory), finds every comma and line end of a block with SIMD compares ([`separators`]), checks
//! that each line has the header's number of cells, and parses only the cells the analysis uses.
//! Numbers are parsed exactly as polars parses them: correctly rounded to the nearest `f64` (plain
//! decimals of up to 19 digits 8 digits at a time, else `fast-float2`, the parser polars itself
//! uses). The ranges' rows are then joined per entry ([`groups`]).
//!
//! It handles the files Locust and captest write (LF or CRLF, `N/A` percentiles, no quoting). Anything
//! else — a quoted cell, a cell that is not a number, a short row, a missing column — makes it give
//! up ([`Scan::NeedsGeneralReader`]) so that the polars reader reads the file and reports the exact
//! problem with its line.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::cell::parse_cell;
use crate::error::AnalyzeError;
use crate::history::{EntryName, HistoryRow, Percentiles};
use crate::window_percentiles::WindowPercentiles;
use groups::{merge, Grouper, Part};
use separators::Separators;

mod groups;
mod separators;

/// Columns read; a column's index here is its slot in a parsed line.
pub(crate) const COLUMNS: [&str; 20] = [
    "Timestamp",
    "User Count",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
    "50%",
    "66%",
    "75%",
    "80%",
    "90%",
    "95%",
    "98%",
    "99%",
    "99.9%",
    "99.99%",
    "100%",
    "Total Request Count",
    "Total Failure Count",
    "Total Average Response Time",
];
const TYPE_SLOT: u8 = 2;
const NAME_SLOT: u8 = 3;
/// Slots of the current-window percentiles: 50 %, 66 % … 99.99 %, 100 %.
pub(crate) const FIRST_PERCENTILE_SLOT: usize = 6;
/// Slots, among the percentiles, of the three the analysis and the report use: 50 %, 95 %, 99 %.
const NAMED_PERCENTILES: [usize; 3] = [0, 5, 7];
/// Bytes each read asks for.
const BLOCK: usize = 1 << 20;
/// Files smaller than this are read by one thread.
const PARALLEL_FROM: u64 = 8 << 20;

/// The rows of a history file, Aggregated apart, entries grouped by type and name.
pub(crate) type Rows = (Vec<HistoryRow>, Vec<(EntryName, Vec<HistoryRow>)>);

/// What the fast path made of a file.
pub(crate) enum Scan {
    /// Every row, read.
    Read(Rows),
    /// The file has something the fast path does not handle; read it with the general reader.
    NeedsGeneralReader,
}

/// Where each column of a line goes.
struct Layout {
    /// Cells in a line: the header's.
    columns: usize,
    /// The columns read, in order, each with its slot (index into [`COLUMNS`]).
    read: Vec<(usize, u8)>,
}

/// Whether `slot` is read when `percentiles` are asked for.
pub(crate) fn is_read(slot: usize, percentiles: Percentiles) -> bool {
    let percentile = slot.wrapping_sub(FIRST_PERCENTILE_SLOT);
    percentiles == Percentiles::All || percentile > 10 || NAMED_PERCENTILES.contains(&percentile)
}

impl Layout {
    fn from_header(header: &[String], percentiles: Percentiles) -> Option<Layout> {
        let mut read = Vec::new();
        for (slot, column) in COLUMNS.iter().enumerate() {
            if is_read(slot, percentiles) {
                let index = header.iter().position(|h| h == column)?;
                read.push((index, slot as u8));
            }
        }
        read.sort_unstable();
        Some(Layout {
            columns: header.len(),
            read,
        })
    }
}

/// Reads `path` (whose header line is `header`, `header_bytes` long with its line end); the
/// current-window percentiles besides 50/95/99 % only with [`Percentiles::All`].
pub(crate) fn scan(
    path: &Path,
    header: &[String],
    header_bytes: u64,
    percentiles: Percentiles,
) -> Result<Scan, AnalyzeError> {
    let length = std::fs::metadata(path)
        .map_err(|e| AnalyzeError::read(path, e))?
        .len();
    let threads = if length < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    scan_with(path, header, header_bytes, percentiles, threads, BLOCK)
}

fn scan_with(
    path: &Path,
    header: &[String],
    header_bytes: u64,
    percentiles: Percentiles,
    threads: usize,
    block: usize,
) -> Result<Scan, AnalyzeError> {
    let Some(layout) = Layout::from_header(header, percentiles) else {
        return Ok(Scan::NeedsGeneralReader);
    };
    let file = File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    let length = file
        .metadata()
        .map_err(|e| AnalyzeError::read(path, e))?
        .len();
    let body = length.saturating_sub(header_bytes);
    let threads = threads.max(1);
    let bounds: Vec<u64> = (0..=threads as u64)
        .map(|k| header_bytes + body * k / threads as u64)
        .collect();
    let parts: Vec<std::io::Result<Option<Part>>> = if threads == 1 {
        vec![read_range(
            &file, &layout, bounds[0], bounds[1], true, block,
        )]
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = bounds
                .windows(2)
                .enumerate()
                .map(|(k, range)| {
                    let (file, layout) = (&file, &layout);
                    scope.spawn(move || read_range(file, layout, range[0], range[1], k == 0, block))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(std::io::Error::other(
                            "a reader thread stopped unexpectedly",
                        ))
                    })
                })
                .collect()
        })
    };
    let mut read = Vec::with_capacity(parts.len());
    for part in parts {
        match part.map_err(|e| AnalyzeError::read(path, e))? {
            Some(part) => read.push(part),
            None => return Ok(Scan::NeedsGeneralReader),
        }
    }
    let merged = merge(read, threads);
    let mut aggregated = Vec::new();
    let mut entries = Vec::with_capacity(merged.len());
    for ((kind, name), rows) in merged {
        let (Ok(kind), Ok(name)) = (String::from_utf8(kind), String::from_utf8(name)) else {
            return Ok(Scan::NeedsGeneralReader);
        };
        if kind.is_empty() && name == "Aggregated" {
            aggregated = rows;
        } else {
            entries.push((EntryName { method: kind, name }, rows));
        }
    }
    Ok(Scan::Read((aggregated, entries)))
}

/// Reads the lines that start in `[start, end)` (`at_line_start`: `start` is known to begin a
/// line); `None` when one needs the general reader.
fn read_range(
    file: &File,
    layout: &Layout,
    start: u64,
    end: u64,
    at_line_start: bool,
    block: usize,
) -> std::io::Result<Option<Part>> {
    let mut grouper = Grouper::new();
    let mut separators = Separators::default();
    // A range that does not start at a line start starts at the first line beginning in it:
    // read from the byte before and drop everything up to its first line end.
    let mut skip_partial_line = !at_line_start && start > 0;
    let mut offset = if skip_partial_line { start - 1 } else { start };
    // One byte more than is read, for a line end after a last line without one.
    let mut buffer = vec![0u8; block.max(1) + 1];
    let mut filled = 0;
    // File offset of buffer[0].
    let mut buffer_offset = offset;
    loop {
        if filled == buffer.len() - 1 {
            buffer.resize(buffer.len() * 2, 0);
        }
        let room = buffer.len() - 1;
        let read = file.read_at(&mut buffer[filled..room], offset)?;
        offset += read as u64;
        filled += read;
        let at_end = read == 0;
        if at_end && filled > 0 && buffer[filled - 1] != b'\n' {
            buffer[filled] = b'\n';
            filled += 1;
        }
        // The complete lines in the buffer.
        let Some(last_line_end) = memchr::memrchr(b'\n', &buffer[..filled]) else {
            if at_end {
                return Ok(Some(grouper.into_part()));
            }
            continue;
        };
        let mut first = 0;
        if skip_partial_line {
            skip_partial_line = false;
            first = memchr::memchr(b'\n', &buffer[..filled]).map_or(filled, |i| i + 1);
        }
        // Lines starting at `end` or later are the next range's.
        let limit = usize::try_from(end.saturating_sub(buffer_offset)).unwrap_or(usize::MAX);
        let (lines_end, range_done) = if limit > last_line_end {
            (last_line_end + 1, false)
        } else if limit <= first {
            (first, true)
        } else {
            // The line holding byte `limit - 1` ends at or before the last line end.
            let cut = memchr::memchr(b'\n', &buffer[limit - 1..=last_line_end])
                .map_or(last_line_end + 1, |i| limit + i);
            (cut, true)
        };
        if !read_lines(
            &buffer[first..lines_end],
            layout,
            &mut separators,
            &mut grouper,
        ) {
            return Ok(None);
        }
        if range_done || at_end {
            return Ok(Some(grouper.into_part()));
        }
        let consumed = last_line_end + 1;
        buffer.copy_within(consumed..filled, 0);
        filled -= consumed;
        buffer_offset += consumed as u64;
    }
}

/// Parses whole lines (`text` ends with a line end, or is empty) into `grouper`; `false` when
/// they need the general reader.
fn read_lines(
    text: &[u8],
    layout: &Layout,
    separators: &mut Separators,
    grouper: &mut Grouper,
) -> bool {
    let found = separators.find(text);
    if found.has_quote {
        return false; // quoted cells may hold commas
    }
    let offsets = separators.offsets();
    let mut line_start = 0;
    let mut lines = 0;
    let mut next = 0;
    while next < offsets.len() {
        let line_end = next + layout.columns - 1;
        match offsets.get(line_end) {
            Some(&at) if text[at as usize] == b'\n' => {
                if !parse_line(text, line_start, &offsets[next..=line_end], layout, grouper) {
                    return false;
                }
                line_start = at as usize + 1;
                next = line_end + 1;
            }
            _ => {
                // Not a line of `columns` cells: an empty line is skipped, anything else needs the
                // general reader.
                let at = offsets[next] as usize;
                if text[at] != b'\n' || !matches!(&text[line_start..at], b"" | b"\r") {
                    return false;
                }
                line_start = at + 1;
                next += 1;
            }
        }
        lines += 1;
    }
    // Each line above ended at a line end; as many lines as line ends means none hid a line end
    // among its cells.
    lines == found.line_ends
}

/// Parses the line starting at `line_start` whose cells end at `ends` (the last at its line end)
/// into `grouper`; `false` when the line needs the general reader.
fn parse_line(
    text: &[u8],
    line_start: usize,
    ends: &[u32],
    layout: &Layout,
    grouper: &mut Grouper,
) -> bool {
    let mut numbers = [None::<f64>; COLUMNS.len()];
    let (mut kind, mut name): (&[u8], &[u8]) = (b"", b"");
    for &(column, slot) in &layout.read {
        let cell_start = match column.checked_sub(1) {
            Some(previous) => ends[previous] as usize + 1,
            None => line_start,
        };
        let mut cell_end = ends[column] as usize;
        if column + 1 == layout.columns && cell_end > cell_start && text[cell_end - 1] == b'\r' {
            cell_end -= 1;
        }
        match slot {
            TYPE_SLOT => kind = &text[cell_start..cell_end],
            NAME_SLOT => name = &text[cell_start..cell_end],
            _ => match parse_cell(text, cell_start, cell_end) {
                Some(value) => numbers[slot as usize] = value,
                None => return false,
            },
        }
    }
    // Every column but the percentiles must hold a number.
    let required = |slot: usize| numbers[slot];
    let (
        Some(timestamp),
        Some(user_count),
        Some(rps),
        Some(failures_per_s),
        Some(total_requests),
        Some(total_failures),
        Some(total_avg_ms),
    ) = (
        required(0),
        required(1),
        required(4),
        required(5),
        required(17),
        required(18),
        required(19),
    )
    else {
        return false;
    };
    grouper.push(
        kind,
        name,
        HistoryRow {
            timestamp,
            user_count,
            rps,
            failures_per_s,
            window_percentiles_ms: WindowPercentiles::new(std::array::from_fn(|k| {
                numbers[FIRST_PERCENTILE_SLOT + k]
            })),
            total_requests,
            total_failures,
            total_avg_ms,
        },
    );
    true
}

#[cfg(test)]
mod tests;
