//! The fast path for `_stats_history.csv`, the one file that grows large (a full history holds one
//! row per entry per second: 50 entries × 6 hours is a million rows).
//!
//! A large file is cut into a fixed number of byte ranges, each read by the first worker thread
//! free to take it (a thread slowed by a busy core takes fewer), in blocks (no copy of the whole
//! file in memory): every comma and line end of a block is found with SIMD compares
//! ([`separators`]), each line is checked to have the header's number of cells, and only the cells
//! the analysis uses are parsed ([`line`]). Numbers are parsed exactly as polars parses them:
//! correctly rounded to the nearest `f64` (plain decimals of up to 19 digits 8 digits at a time,
//! else `fast-float2`, the parser polars itself uses). The ranges' rows are then joined per entry
//! in file order ([`groups`]).
//!
//! For the steady state alone ([`EntryRows::Summed`], what `captest analyze` needs), each
//! entry's rows are summed into its [`WindowSums`] over one [`SteadyWindow`] as they are parsed
//! instead of being kept, and
//! the cells the window does not use are only checked to be numbers: a million-row file then costs
//! a few MiB instead of a hundred. The averages are summed exactly as the decimals written (no
//! rounding per row, [`crate::cell::Decimal`]; a cell that is not a plain decimal of up to 19
//! digits is summed as a float), and every sum is grouped by range, not by thread, so the figures
//! do not depend on the number of cores. The general reader sums floats: its averages may differ
//! from these in the last bits.
//!
//! It handles the files Locust and captest write (LF or CRLF, `N/A` percentiles, no quoting). Anything
//! else — a quoted cell, a cell that is not a number or is negative, NaN or infinite, a short row,
//! a missing column, a line over [`crate::lines::MAX_LINE`] bytes — makes it give
//! up ([`Scan::NeedsGeneralReader`]) so that the polars reader reads the file and reports the exact
//! problem with its line.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use captest_format::columns::{
    FAILURES_PER_S, NAME, PERCENTILE_COLUMNS, REQUESTS_PER_S, TIMESTAMP,
    TOTAL_AVERAGE_RESPONSE_TIME, TOTAL_FAILURE_COUNT, TOTAL_REQUEST_COUNT, TYPE, USER_COUNT,
};
use captest_format::{Entry, SteadyWindow};

use crate::error::AnalyzeError;
use crate::history::{HistoryRow, Percentiles};
use crate::lines::complete_length;
use crate::steady::WindowSums;
pub(crate) use ends::{first_timestamp, last_running_timestamp};
use groups::{merge, Group, Part};
pub(crate) use line::is_read;
use line::{parse_line, Layout, Lines};
use range::{read_range, Scratch};
use separators::Separators;

mod ends;
#[doc(hidden)]
pub mod fuzzing;
mod groups;
mod line;
mod range;
mod separators;

/// Columns read; a column's index here is its slot in a parsed line.
pub(crate) const COLUMNS: [&str; 20] = [
    TIMESTAMP,
    USER_COUNT,
    TYPE,
    NAME,
    REQUESTS_PER_S,
    FAILURES_PER_S,
    PERCENTILE_COLUMNS[0],
    PERCENTILE_COLUMNS[1],
    PERCENTILE_COLUMNS[2],
    PERCENTILE_COLUMNS[3],
    PERCENTILE_COLUMNS[4],
    PERCENTILE_COLUMNS[5],
    PERCENTILE_COLUMNS[6],
    PERCENTILE_COLUMNS[7],
    PERCENTILE_COLUMNS[8],
    PERCENTILE_COLUMNS[9],
    PERCENTILE_COLUMNS[10],
    TOTAL_REQUEST_COUNT,
    TOTAL_FAILURE_COUNT,
    TOTAL_AVERAGE_RESPONSE_TIME,
];
/// Slots of the current-window percentiles: 50 %, 66 % … 99.99 %, 100 %.
pub(crate) const FIRST_PERCENTILE_SLOT: usize = 6;
/// Bytes each read asks for.
const BLOCK: usize = 256 << 10;
/// Byte ranges of a file read in parallel: enough that the threads finish together when one is
/// slowed (more threads than this are not used).
const RANGES: usize = 32;
/// Files smaller than this are read by one thread.
const PARALLEL_FROM: u64 = 8 << 20;

/// The rows of a history file, Aggregated apart, entries grouped by type and name.
pub(crate) type Rows = (Vec<HistoryRow>, Vec<(Entry, Vec<HistoryRow>)>);

/// The rows of a history file whose entries' rows were summed: the Aggregated rows, and each
/// entry's sums over the steady window.
pub(crate) type Summed = (Vec<HistoryRow>, Vec<(Entry, WindowSums)>);

/// How the rows of the entries (every row but Aggregated) are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum EntryRows {
    /// Every row.
    Kept,
    /// Summed into each entry's [`WindowSums`] over this window, without User Count, Requests/s
    /// and Failures/s, which the sums do not use.
    Summed(SteadyWindow),
}

/// What the fast path made of a file.
pub(crate) enum Scan {
    /// Every row, read ([`EntryRows::Kept`]).
    Read(Rows),
    /// The Aggregated rows and the entries' sums ([`EntryRows::Summed`]).
    Summed(Summed),
    /// The file has something the fast path does not handle; read it with the general reader.
    NeedsGeneralReader,
}

/// Reads `path` (whose header line is `header`, `header_bytes` long with its line end); the
/// current-window percentiles besides 50/95/99 % only with [`Percentiles::All`], the entries' rows
/// kept as `entry_rows` says.
pub(crate) fn scan(
    path: &Path,
    header: &[String],
    header_bytes: u64,
    percentiles: Percentiles,
    entry_rows: EntryRows,
) -> Result<Scan, AnalyzeError> {
    let length = std::fs::metadata(path)
        .map_err(|e| AnalyzeError::read(path, e))?
        .len();
    let (threads, ranges) = if length < PARALLEL_FROM {
        (1, 1)
    } else {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores.min(RANGES), RANGES)
    };
    let split = Split {
        threads,
        ranges,
        block: BLOCK,
    };
    scan_with(path, header, header_bytes, (percentiles, entry_rows), split)
}

/// How a file is read in parallel.
#[derive(Debug, Clone, Copy)]
struct Split {
    /// Reader threads.
    threads: usize,
    /// Byte ranges, each read whole by one thread and joined in file order: their number, not
    /// the threads', decides how sums are grouped, so the figures do not depend on the cores.
    ranges: usize,
    /// Bytes each read asks for.
    block: usize,
}

fn scan_with(
    path: &Path,
    header: &[String],
    header_bytes: u64,
    (percentiles, entry_rows): (Percentiles, EntryRows),
    split: Split,
) -> Result<Scan, AnalyzeError> {
    if header.iter().any(|column| column.contains('"')) {
        return Ok(Scan::NeedsGeneralReader); // a quote that does not enclose a whole cell
    }
    let Some(layout) = Layout::from_header(header, percentiles, entry_rows) else {
        return Ok(Scan::NeedsGeneralReader);
    };
    let file = File::open(path).map_err(|e| AnalyzeError::read(path, e))?;
    // A last line without line end (a run killed while writing) is left out, as the general
    // reader leaves it out.
    let length = complete_length(&file, path)?;
    let body = length.saturating_sub(header_bytes);
    let ranges = split.ranges.max(1);
    let threads = split.threads.clamp(1, ranges);
    let bounds: Vec<u64> = (0..=ranges as u64)
        .map(|k| header_bytes + body * k / ranges as u64)
        .collect();
    let mut parts = read_parts(&file, &layout, &bounds, threads, split.block);
    parts.sort_by_key(|(k, _)| *k);
    let mut read = Vec::with_capacity(parts.len());
    for (_, part) in parts {
        match part.map_err(|e| AnalyzeError::read(path, e))? {
            Some(part) => read.push(part),
            None => return Ok(Scan::NeedsGeneralReader),
        }
    }
    Ok(into_scan(merge(read, threads), entry_rows))
}

/// Reads the byte ranges between consecutive `bounds` of `file` on `threads` threads (each takes
/// the next range not yet taken, with one scratch of `block` bytes): each range's number and its
/// part, in the order they were read.
fn read_parts(
    file: &File,
    layout: &Layout,
    bounds: &[u64],
    threads: usize,
    block: usize,
) -> Vec<(usize, std::io::Result<Option<Part>>)> {
    let ranges = bounds.len() - 1;
    let next_range = AtomicUsize::new(0);
    let read_every = || {
        let mut scratch = Scratch::new(block);
        std::iter::from_fn(|| {
            let k = next_range.fetch_add(1, Ordering::Relaxed);
            (k < ranges).then(|| {
                let range = (bounds[k], bounds[k + 1]);
                (k, read_range(file, layout, range, k == 0, &mut scratch))
            })
        })
        .collect::<Vec<_>>()
    };
    if threads == 1 {
        return read_every();
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(read_every)).collect();
        let mut parts = Vec::with_capacity(ranges);
        for worker in workers {
            match worker.join() {
                Ok(done) => parts.extend(done),
                Err(_) => parts.push((
                    0,
                    Err(std::io::Error::other(
                        "a reader thread stopped unexpectedly",
                    )),
                )),
            }
        }
        parts
    })
}

/// The scan of the groups of a whole file: Aggregated's rows apart, the entries' rows or sums as
/// `entry_rows` says.
fn into_scan(merged: Vec<(groups::RawKey, Group)>, entry_rows: EntryRows) -> Scan {
    let mut aggregated = Vec::new();
    let mut entries = Vec::with_capacity(merged.len());
    let mut windows = Vec::with_capacity(merged.len());
    for ((kind, name), group) in merged {
        // `N/A` is a missing value to the general reader in every column (an empty Type or
        // Name); such a row is left to it, so both readers read the file alike (found by the
        // history_reader fuzz target).
        if kind == b"N/A" || name == b"N/A" {
            return Scan::NeedsGeneralReader;
        }
        let (Ok(kind), Ok(name)) = (String::from_utf8(kind), String::from_utf8(name)) else {
            return Scan::NeedsGeneralReader;
        };
        let entry = Entry::from_owned_row(kind, name);
        match group {
            Group::Rows(rows) if entry.is_aggregated() => {
                aggregated = rows;
            }
            Group::Rows(rows) => entries.push((entry, rows)),
            Group::Window(window) => windows.push((entry, *window)),
        }
    }
    match entry_rows {
        EntryRows::Kept => Scan::Read((aggregated, entries)),
        EntryRows::Summed(_) => Scan::Summed((aggregated, windows)),
    }
}

/// Parses whole lines (`text` ends with a line end, or is empty) into `lines`; `false` when
/// they need the general reader. On an x86-64 processor with AVX2 (nearly every one since 2015),
/// the same code compiled for it: bit counts and searches in one instruction each.
fn read_lines(
    text: &[u8],
    layout: &Layout,
    separators: &mut Separators,
    lines: &mut Lines,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_features() {
        // SAFETY: the processor has every feature `read_lines_avx2` is compiled for.
        return unsafe { read_lines_avx2(text, layout, separators, lines) };
    }
    lines_into(text, layout, separators, lines)
}

/// Whether this processor has the features [`read_lines_avx2`] is compiled for.
#[cfg(target_arch = "x86_64")]
fn has_avx2_features() -> bool {
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("bmi1")
        && std::is_x86_feature_detected!("lzcnt")
        && std::is_x86_feature_detected!("popcnt")
}

/// [`lines_into`] compiled for x86-64 processors with AVX2, BMI1, LZCNT and POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,lzcnt,popcnt")]
fn read_lines_avx2(
    text: &[u8],
    layout: &Layout,
    separators: &mut Separators,
    lines: &mut Lines,
) -> bool {
    lines_into(text, layout, separators, lines)
}

/// What [`read_lines`] does, inlined into each of its compilations.
#[inline(always)]
fn lines_into(
    text: &[u8],
    layout: &Layout,
    separators: &mut Separators,
    lines: &mut Lines,
) -> bool {
    let found = separators.find(text);
    if found.has_quote {
        return false; // quoted cells may hold commas
    }
    let offsets = separators.offsets();
    let mut line_start = 0;
    let mut line_count = 0;
    let mut next = 0;
    while next < offsets.len() {
        let line_end = next + layout.columns - 1;
        match offsets.get(line_end) {
            Some(&at) if text[at as usize] == b'\n' => {
                if !parse_line(text, line_start, &offsets[next..=line_end], layout, lines) {
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
        line_count += 1;
    }
    // Each line above ended at a line end; as many lines as line ends means none hid a line end
    // among its cells.
    line_count == found.line_ends
}

#[cfg(test)]
mod tests;
