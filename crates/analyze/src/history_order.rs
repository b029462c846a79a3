//! A history's Aggregated rows in time order: one per second, Timestamps strictly increasing, as
//! Locust and captest write them. A Timestamp that repeats (a row written twice, two runs in one
//! file) or goes back (files joined out of order, a clock stepped back) would make the steady
//! window and the steps wrong without a word: it is an error naming its line.

use captest_format::columns::{NAME, TYPE};
use captest_format::entry::is_aggregated_row;

use crate::error::AnalyzeError;
use crate::history::HistoryRow;
use crate::lines::{bad_line, BOM};
use crate::table::CsvSource;

/// Checks that the Timestamps of `aggregated` (the Aggregated rows of `source`, in file order)
/// strictly increase.
pub(crate) fn check_time_order(
    source: CsvSource<'_>,
    aggregated: &[HistoryRow],
) -> Result<(), AnalyzeError> {
    let Some(index) = aggregated
        .windows(2)
        .position(|pair| pair[1].timestamp <= pair[0].timestamp)
    else {
        return Ok(());
    };
    let (previous, row) = (aggregated[index].timestamp, aggregated[index + 1].timestamp);
    let problem = if row == previous {
        format!("a second Aggregated row for Timestamp {row}")
    } else {
        format!("Timestamp {row} is earlier than the previous Aggregated row's ({previous})")
    };
    let path = source.path();
    match aggregated_row_line(source, index + 1) {
        Some(line) => Err(bad_line(
            path,
            line,
            problem,
            "one Aggregated row per second, in time order (is it two runs in one file?)",
        )),
        None => Err(AnalyzeError::read(
            path,
            format!("{problem}; expected one Aggregated row per second, in time order"),
        )),
    }
}

/// The line of the `k`th (from 0) Aggregated row of `source`, found by reading its lines
/// (unquoted cells, as Locust writes a history); `None` when it cannot be told.
fn aggregated_row_line(source: CsvSource<'_>, k: usize) -> Option<usize> {
    let bytes = match source {
        CsvSource::File(path) => std::borrow::Cow::Owned(std::fs::read(path).ok()?),
        CsvSource::Memory { bytes, .. } => std::borrow::Cow::Borrowed(bytes),
    };
    let text = bytes.strip_prefix(BOM).unwrap_or(&bytes);
    let mut lines = text.split(|&b| b == b'\n');
    let header: Vec<&[u8]> = trimmed(lines.next()?).split(|&b| b == b',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name.as_bytes());
    let (type_column, name_column) = (column(TYPE)?, column(NAME)?);
    let mut seen = 0;
    for (index, line) in lines.enumerate() {
        let cells: Vec<&[u8]> = trimmed(line).split(|&b| b == b',').collect();
        let (Some(kind), Some(name)) = (cells.get(type_column), cells.get(name_column)) else {
            continue;
        };
        if is_aggregated_row(kind, name) {
            if seen == k {
                return Some(index + 2);
            }
            seen += 1;
        }
    }
    None
}

/// A line without its `\r`.
fn trimmed(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}
