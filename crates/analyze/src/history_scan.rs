//! The fast path for `_stats_history.csv`, the one file that grows large (a full history holds one
//! row per entry per second: 50 entries × 6 hours is a million rows).
//!
//! Each worker thread reads its own byte range of the file in blocks (no copy of the whole file in
//! memory), splits lines, skips the columns the analysis does not use and parses the others as it
//! goes. Numbers are parsed exactly as polars parses them: correctly rounded to the nearest `f64`
//! (exact integer and short-decimal fast path, else `fast-float2`, the parser polars itself uses).
//!
//! It handles the files Locust and captest write (LF or CRLF, `N/A` percentiles, no quoting). Anything
//! else — a quoted cell, a cell that is not a number, a short row, a missing column — makes it give
//! up ([`Scan::NeedsGeneralReader`]) so that the polars reader reads the file and reports the exact
//! problem with its line.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::cell::{cell_end, parse_number};
use crate::error::AnalyzeError;
use crate::history::{EntryName, HistoryRow, Percentiles};
use crate::window_percentiles::OtherPercentiles;

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
const FIRST_PERCENTILE_SLOT: usize = 6;
/// Slots, among the percentiles, of the three [`HistoryRow`] keeps as fields: 50 %, 95 %, 99 %.
const NAMED_PERCENTILES: [usize; 3] = [0, 5, 7];
const SKIP: u8 = u8::MAX;
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
    /// Slot of each column (index into [`COLUMNS`]) or [`SKIP`].
    slots: Vec<u8>,
    /// The last column needed: the rest of the line is not looked at.
    last_needed: usize,
}

/// Whether `slot` is read when `percentiles` are asked for.
pub(crate) fn is_read(slot: usize, percentiles: Percentiles) -> bool {
    let percentile = slot.wrapping_sub(FIRST_PERCENTILE_SLOT);
    percentiles == Percentiles::All || percentile > 10 || NAMED_PERCENTILES.contains(&percentile)
}

impl Layout {
    fn from_header(header: &[String], percentiles: Percentiles) -> Option<Layout> {
        let mut slots = vec![SKIP; header.len()];
        let mut last_needed = 0;
        for (slot, column) in COLUMNS.iter().enumerate() {
            if !is_read(slot, percentiles) {
                continue;
            }
            let index = header.iter().position(|h| h == column)?;
            slots[index] = slot as u8;
            last_needed = last_needed.max(index);
        }
        Some(Layout { slots, last_needed })
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
    let mut merged = Part::default();
    for part in parts {
        match part.map_err(|e| AnalyzeError::read(path, e))? {
            Some(part) => merged.append(part),
            None => return Ok(Scan::NeedsGeneralReader),
        }
    }
    let mut aggregated = Vec::new();
    let mut entries = Vec::with_capacity(merged.groups.len());
    for ((kind, name), rows) in merged.groups {
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

/// An entry's type and name, as the bytes of the file.
type RawKey = (Vec<u8>, Vec<u8>);

/// The rows of one byte range, grouped by (type, name) in order of first appearance.
#[derive(Default)]
struct Part {
    groups: Vec<(RawKey, Vec<HistoryRow>)>,
}

impl Part {
    /// Appends a later part's rows (file order is kept within every group).
    fn append(&mut self, later: Part) {
        if self.groups.is_empty() {
            *self = later;
            return;
        }
        let mut index: HashMap<RawKey, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, (key, _))| (key.clone(), i))
            .collect();
        for (key, mut rows) in later.groups {
            match index.get(&key) {
                Some(&i) => self.groups[i].1.append(&mut rows),
                None => {
                    index.insert(key.clone(), self.groups.len());
                    self.groups.push((key, rows));
                }
            }
        }
    }
}

/// Rows of a part as they are parsed; the last group used is tried first (a full history repeats
/// the same entries in the same order every second).
struct Grouper {
    part: Part,
    last: usize,
}

impl Grouper {
    fn push(&mut self, kind: &[u8], name: &[u8], row: HistoryRow) {
        let groups = &mut self.part.groups;
        let same = |i: usize| {
            groups
                .get(i)
                .is_some_and(|((k, n), _)| k.as_slice() == kind && n.as_slice() == name)
        };
        let found = if same(self.last) {
            Some(self.last)
        } else if same(self.last + 1) {
            Some(self.last + 1)
        } else {
            (0..groups.len()).find(|&i| same(i))
        };
        let index = found.unwrap_or_else(|| {
            groups.push(((kind.to_vec(), name.to_vec()), Vec::new()));
            groups.len() - 1
        });
        groups[index].1.push(row);
        self.last = index;
    }
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
    let mut grouper = Grouper {
        part: Part::default(),
        last: 0,
    };
    // A range that does not start at a line start starts at the first line beginning in it:
    // read from the byte before and drop everything up to its first line end.
    let mut skip_partial_line = !at_line_start && start > 0;
    let mut offset = if skip_partial_line { start - 1 } else { start };
    let mut buffer = vec![0u8; block];
    let mut filled = 0;
    // File offset of buffer[0].
    let mut buffer_offset = offset;
    loop {
        if filled == buffer.len() {
            buffer.resize(buffer.len() * 2, 0);
        }
        let read = file.read_at(&mut buffer[filled..], offset)?;
        offset += read as u64;
        filled += read;
        let at_end = read == 0;
        let mut consumed = 0;
        while consumed < filled {
            let line_end = match memchr::memchr(b'\n', &buffer[consumed..filled]) {
                Some(i) => consumed + i,
                None if at_end => filled,
                None => break,
            };
            let line_start_offset = buffer_offset + consumed as u64;
            let line = &buffer[consumed..line_end];
            consumed = line_end + 1;
            if skip_partial_line {
                skip_partial_line = false;
                continue;
            }
            if line_start_offset >= end {
                return Ok(Some(grouper.part));
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            if !parse_line(line, layout, &mut grouper) {
                return Ok(None);
            }
        }
        if at_end {
            return Ok(Some(grouper.part));
        }
        let consumed = consumed.min(filled);
        buffer.copy_within(consumed..filled, 0);
        filled -= consumed;
        buffer_offset += consumed as u64;
    }
}

/// Parses one line into `grouper`; `false` when the line needs the general reader.
fn parse_line(line: &[u8], layout: &Layout, grouper: &mut Grouper) -> bool {
    if memchr::memchr(b'"', line).is_some() {
        return false; // quoted cells may hold commas
    }
    let mut numbers = [None::<f64>; COLUMNS.len()];
    let (mut kind, mut name): (&[u8], &[u8]) = (b"", b"");
    let mut at = 0;
    let mut column = 0;
    loop {
        let Some(&slot) = layout.slots.get(column) else {
            return false; // more cells than header columns
        };
        if slot == SKIP || slot == TYPE_SLOT || slot == NAME_SLOT {
            let cell_end = cell_end(line, at);
            let cell = &line[at..cell_end];
            if slot == TYPE_SLOT {
                kind = cell;
            } else if slot == NAME_SLOT {
                name = cell;
            }
            at = cell_end;
        } else {
            match parse_number(line, at) {
                Some((value, cell_end)) => {
                    numbers[slot as usize] = value;
                    at = cell_end;
                }
                None => return false,
            }
        }
        if column == layout.last_needed {
            break;
        }
        if at >= line.len() {
            return false; // fewer cells than needed
        }
        at += 1;
        column += 1;
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
    let percentile = |k: usize| numbers[FIRST_PERCENTILE_SLOT + k];
    let mut others = (0..11).filter(|k| !NAMED_PERCENTILES.contains(k));
    let others: [Option<f64>; 8] = std::array::from_fn(|_| others.next().and_then(percentile));
    grouper.push(
        kind,
        name,
        HistoryRow {
            timestamp,
            user_count,
            rps,
            failures_per_s,
            p50_ms: percentile(NAMED_PERCENTILES[0]),
            p95_ms: percentile(NAMED_PERCENTILES[1]),
            p99_ms: percentile(NAMED_PERCENTILES[2]),
            other_percentiles_ms: OtherPercentiles::new(others),
            total_requests,
            total_failures,
            total_avg_ms,
        },
    );
    true
}

#[cfg(test)]
mod tests;
