//! One line of a history: which of its cells are read, and how they become a row of an entry's
//! group.

use captest_format::columns::HISTORY_HEADER;
use captest_format::entry::is_aggregated_row;
use captest_format::SteadyWindow;

use super::groups::{Group, Grouper, Part};
use super::{EntryRows, COLUMNS, FIRST_PERCENTILE_SLOT};
use crate::cell::{is_plain_number, parse_cell, parse_decimal, RepeatedCell};
use crate::history::{HistoryRow, Percentiles};
use crate::steady::{Average, WindowRow};
use crate::window_percentiles::{WindowPercentiles, P50, P95, P99};

const TIMESTAMP_SLOT: u8 = 0;
const TYPE_SLOT: u8 = 2;
const NAME_SLOT: u8 = 3;
/// Slots of the cells a steady window uses: Timestamp, 50 %, 95 %, 99 %, Total Request Count,
/// Total Failure Count, Total Average Response Time.
const SUMMED: [usize; 7] = [
    0,
    FIRST_PERCENTILE_SLOT + P50,
    FIRST_PERCENTILE_SLOT + P95,
    FIRST_PERCENTILE_SLOT + P99,
    17,
    18,
    19,
];
/// Slots of the other cells that must hold a number (checked, not kept, in a summed row): User
/// Count, Requests/s, Failures/s.
const CHECKED: [usize; 3] = [1, 4, 5];

/// Cells in a line in Locust 2.x's column order (captest writes the same).
const LOCUST_COLUMNS: usize = HISTORY_HEADER.len();
/// In Locust's order: the columns of Type and Name, of the [`SUMMED`] cells and of the
/// [`CHECKED`] ones.
const LOCUST_TYPE_AND_NAME: (usize, usize) = (2, 3);
const LOCUST_SUMMED: [usize; 7] = [0, 6, 11, 13, 17, 18, 20];
const LOCUST_CHECKED: [usize; 3] = [1, 4, 5];

/// Where each column of a line goes.
pub(super) struct Layout {
    /// Cells in a line: the header's.
    pub(super) columns: usize,
    /// Columns of Type and Name.
    pub(super) type_column: usize,
    pub(super) name_column: usize,
    /// Column of Timestamp.
    pub(super) timestamp_column: usize,
    /// The number columns read from a row that is kept (Aggregated always), in order, each with
    /// its slot (index into [`COLUMNS`]).
    read: Vec<(usize, u8)>,
    /// How entries' rows are kept.
    entry_rows: EntryRows,
    /// The columns of [`SUMMED`]'s cells, in that order.
    summed: [usize; 7],
    /// The columns of [`CHECKED`]'s cells.
    checked: [usize; 3],
    /// Whether the columns are in Locust's order, where [`parse_line`] looks for them first.
    pub(super) locust_order: bool,
}

/// Whether `slot` is read when `percentiles` are asked for.
pub(crate) fn is_read(slot: usize, percentiles: Percentiles) -> bool {
    let percentile = slot.wrapping_sub(FIRST_PERCENTILE_SLOT);
    percentiles == Percentiles::All || percentile > 10 || [P50, P95, P99].contains(&percentile)
}

impl Layout {
    /// The layout of lines under `header`; `None` when a column read is missing.
    pub(super) fn from_header(
        header: &[String],
        percentiles: Percentiles,
        entry_rows: EntryRows,
    ) -> Option<Layout> {
        let column = |name: &str| header.iter().position(|h| h == name);
        let mut read = Vec::new();
        for (slot, name) in COLUMNS.iter().enumerate() {
            if is_read(slot, percentiles) && ![TYPE_SLOT, NAME_SLOT].contains(&(slot as u8)) {
                read.push((column(name)?, slot as u8));
            }
        }
        read.sort_unstable();
        let mut summed = [0; 7];
        for (at, slot) in summed.iter_mut().zip(SUMMED) {
            *at = column(COLUMNS[slot])?;
        }
        let mut checked = [0; 3];
        for (at, slot) in checked.iter_mut().zip(CHECKED) {
            *at = column(COLUMNS[slot])?;
        }
        let (type_column, name_column) = (
            column(COLUMNS[usize::from(TYPE_SLOT)])?,
            column(COLUMNS[usize::from(NAME_SLOT)])?,
        );
        Some(Layout {
            columns: header.len(),
            type_column,
            name_column,
            timestamp_column: column(COLUMNS[usize::from(TIMESTAMP_SLOT)])?,
            read,
            entry_rows,
            summed,
            checked,
            locust_order: header.len() == LOCUST_COLUMNS
                && (type_column, name_column) == LOCUST_TYPE_AND_NAME
                && summed == LOCUST_SUMMED
                && checked == LOCUST_CHECKED,
        })
    }
}

/// What the lines of a byte range are parsed into, and the cells one line leaves for the next.
pub(super) struct Lines {
    /// The entries' groups.
    grouper: Grouper,
    /// The last Timestamp cell (the same on every entry's row of one second).
    timestamps: RepeatedCell,
}

impl Lines {
    /// No lines yet.
    pub(super) fn new() -> Lines {
        Lines {
            grouper: Grouper::new(),
            timestamps: RepeatedCell::default(),
        }
    }

    /// The groups of the lines parsed.
    pub(super) fn into_part(self) -> Part {
        self.grouper.into_part()
    }
}

/// Parses the cells of an entry's line (found by `$cell`) in the columns `$summed` (of the
/// [`SUMMED`] cells) and `$checked` (of the [`CHECKED`] ones), and adds the row to the window of
/// (`$kind`, `$name`) in `$lines`: `false` when the line needs the general reader. A macro, so
/// that the columns of Locust's order are constants where it is used (a function taking them,
/// even inlined, read 7 % slower in an in-process benchmark).
macro_rules! sum_line {
    (
        $text:expr,
        $cell:expr,
        $summed:expr,
        $checked:expr,
        ($kind:expr, $name:expr),
        $window:expr,
        $lines:expr
    ) => {{
        let lines: &mut Lines = $lines;
        let (text, cell) = ($text, $cell);
        let parse = |column: usize| {
            let (start, end) = cell(column);
            parse_cell(text, start, end)
        };
        let (start, end) = cell($summed[0]);
        let cells = [
            lines.timestamps.parse(text, start, end),
            parse($summed[1]),
            parse($summed[2]),
            parse($summed[3]),
            parse($summed[4]),
            parse($summed[5]),
        ];
        // The average as written: summed exactly, made a float only for a window's first and
        // last rows (a cell that is not a plain decimal of up to 19 digits is a float at once).
        let (start, end) = cell($summed[6]);
        let average = match parse_decimal(text, start, end) {
            Some(decimal) => Some(Average::Written(decimal)),
            None => parse_cell(text, start, end).flatten().map(Average::Float),
        };
        let is_number = |column: usize| {
            let (start, end) = cell(column);
            is_plain_number(text, start, end)
        };
        let numbers = is_number($checked[0]) && is_number($checked[1]) && is_number($checked[2]);
        let group = lines.grouper.group($kind, $name, new_window);
        numbers && sum_row(cells, average, $window, group)
    }};
}

/// Parses the line starting at `line_start` whose cells end at `ends` (the last at its line end)
/// into `lines`; `false` when the line needs the general reader.
#[inline(always)]
pub(super) fn parse_line(
    text: &[u8],
    line_start: usize,
    ends: &[u32],
    layout: &Layout,
    lines: &mut Lines,
) -> bool {
    if let (EntryRows::Summed(window), true, Ok(ends)) = (
        &layout.entry_rows,
        layout.locust_order,
        <&[u32; LOCUST_COLUMNS]>::try_from(ends),
    ) {
        // Locust's own order: the cells at constant indexes, bounds-checked once per line.
        let cell = |column: usize| {
            let start = if column == 0 {
                line_start
            } else {
                ends[column - 1] as usize + 1
            };
            (start, ends[column] as usize)
        };
        let (type_column, name_column) = LOCUST_TYPE_AND_NAME;
        let ((type_start, type_end), (name_start, name_end)) =
            (cell(type_column), cell(name_column));
        let (kind, name) = (&text[type_start..type_end], &text[name_start..name_end]);
        if !is_aggregated_row(kind, name) {
            return sum_line!(
                text,
                cell,
                LOCUST_SUMMED,
                LOCUST_CHECKED,
                (kind, name),
                window,
                lines
            );
        }
    }
    let cell = |column: usize| {
        let start = match column.checked_sub(1) {
            Some(previous) => ends[previous] as usize + 1,
            None => line_start,
        };
        let mut end = ends[column] as usize;
        if column + 1 == layout.columns && end > start && text[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    };
    let ((type_start, type_end), (name_start, name_end)) =
        (cell(layout.type_column), cell(layout.name_column));
    let (kind, name) = (&text[type_start..type_end], &text[name_start..name_end]);
    let is_aggregated = is_aggregated_row(kind, name);
    if let (EntryRows::Summed(window), false) = (&layout.entry_rows, is_aggregated) {
        return sum_line!(
            text,
            cell,
            layout.summed,
            layout.checked,
            (kind, name),
            window,
            lines
        );
    }
    keep_line(text, cell, layout, (kind, name), lines)
}

/// Parses the cells of a line that is kept whole (Aggregated, or every row with
/// [`EntryRows::Kept`]; its cells found by `cell`) and appends the row to the group of (`kind`,
/// `name`) in `lines`; `false` when the line needs the general reader.
#[inline(always)]
fn keep_line(
    text: &[u8],
    cell: impl Fn(usize) -> (usize, usize),
    layout: &Layout,
    (kind, name): (&[u8], &[u8]),
    lines: &mut Lines,
) -> bool {
    let mut numbers = [None; COLUMNS.len()];
    for &(column, slot) in &layout.read {
        let (start, end) = cell(column);
        match parse_cell(text, start, end) {
            Some(value) => numbers[usize::from(slot)] = value,
            None => return false,
        }
    }
    // Nothing in a history is negative: the general reader names such a cell.
    if numbers.iter().any(|value| value.is_some_and(|v| v < 0.0)) {
        return false;
    }
    // Every column but the percentiles must hold a number.
    let (
        Some(timestamp),
        Some(user_count),
        Some(rps),
        Some(failures_per_s),
        Some(total_requests),
        Some(total_failures),
        Some(total_avg_ms),
    ) = (
        numbers[0],
        numbers[1],
        numbers[4],
        numbers[5],
        numbers[17],
        numbers[18],
        numbers[19],
    )
    else {
        return false;
    };
    let row = HistoryRow {
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
    };
    if let Group::Rows(rows) = lines.grouper.group(kind, name, || Group::Rows(Vec::new())) {
        rows.push(row);
    }
    true
}

/// An empty window, for an entry seen for the first time.
fn new_window() -> Group {
    Group::Window(Box::default())
}

/// Adds the row of `cells` (the first six parsed [`SUMMED`] cells) and `total_avg_ms` (the
/// seventh) to `group`'s sums when `window` takes it; `false` when a cell is not a number (a
/// percentile may be N/A).
#[inline(always)]
fn sum_row(
    cells: [Option<Option<f64>>; 6],
    total_avg_ms: Option<Average>,
    window: &SteadyWindow,
    group: &mut Group,
) -> bool {
    let [timestamp, p50, p95, p99, total_requests, total_failures] = cells;
    let (Some(p50), Some(p95), Some(p99)) = (p50, p95, p99) else {
        return false;
    };
    let (Some(timestamp), Some(total_requests), Some(total_failures), Some(total_avg_ms)) = (
        timestamp.flatten(),
        total_requests.flatten(),
        total_failures.flatten(),
        total_avg_ms,
    ) else {
        return false;
    };
    // Nothing in a history is negative: the general reader names such a cell.
    let negative_average = match total_avg_ms {
        Average::Written(decimal) => decimal.negative,
        Average::Float(value) => value < 0.0,
    };
    if negative_average
        || timestamp.min(total_requests).min(total_failures) < 0.0
        || [p50, p95, p99].iter().any(|p| p.is_some_and(|v| v < 0.0))
    {
        return false;
    }
    if let (Group::Window(sums), true) = (group, window.is_after_warmup(timestamp)) {
        let row = WindowRow {
            timestamp,
            total_requests,
            total_failures,
            total_avg_ms,
        };
        sums.add_row(&row, [p50, p95, p99], window.contains_time(timestamp));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locust_column_positions_are_those_of_the_history_header() {
        let at = |column: usize| HISTORY_HEADER[column];
        let (type_column, name_column) = LOCUST_TYPE_AND_NAME;
        assert_eq!(at(type_column), COLUMNS[usize::from(TYPE_SLOT)]);
        assert_eq!(at(name_column), COLUMNS[usize::from(NAME_SLOT)]);
        for (column, slot) in LOCUST_SUMMED.into_iter().zip(SUMMED) {
            assert_eq!(at(column), COLUMNS[slot]);
        }
        for (column, slot) in LOCUST_CHECKED.into_iter().zip(CHECKED) {
            assert_eq!(at(column), COLUMNS[slot]);
        }
    }
}
