//! The steady state: what is left after the warmup, with the pandas recipe's figures and honest
//! ones side by side.

use serde::Serialize;

use crate::cell::{Decimal, FRACTION_DIGITS, POWERS_OF_TEN};
use crate::history::HistoryRow;

/// Figures of one entry (or Aggregated) over the steady window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SteadyFigures {
    /// The entry, `METHOD name`, or `Aggregated`.
    pub entry: String,
    /// Requests completed inside the window.
    pub requests: f64,
    /// Requests in the window ÷ its duration, per second (the honest figure).
    pub rps: f64,
    /// `stable['Total Request Count'].diff().mean()`: what the usual pandas recipe reports.
    pub rps_recipe: f64,
    /// `stable['Total Average Response Time'].mean()`, ms: the recipe's average (of cumulative
    /// averages).
    pub avg_ms: f64,
    /// Average response time of the requests completed inside the window, ms.
    pub avg_ms_window: Option<f64>,
    /// Mean over the window of Locust's current-window (≈10 s) median, ms.
    pub p50_ms: Option<f64>,
    /// Mean over the window of the current-window 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// Mean over the window of the current-window 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Failed requests in the window, percent of its requests.
    pub error_pct: f64,
    /// Where the figures come from: `history` (steady window) or `stats` (whole run).
    pub source: &'static str,
}

/// The rows at or after `from` (unix seconds).
pub fn window(rows: &[HistoryRow], from: f64) -> &[HistoryRow] {
    let start = rows.partition_point(|r| r.timestamp < from);
    &rows[start..]
}

/// A running mean: a sum and a count (sums of consecutive parts of a file are added together).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Mean {
    sum: f64,
    count: usize,
}

impl Mean {
    #[inline(always)]
    fn add(&mut self, value: f64) {
        self.sum += value;
        self.count += 1;
    }

    fn join(&mut self, later: Mean) {
        self.sum += later.sum;
        self.count += later.count;
    }

    fn value(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// `Total Average Response Time`s summed: those read as written exactly (the fast reader's), per
/// number of fraction digits, the others as floats.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct AverageSum {
    floats: Mean,
    /// Sums of the mantissas of the decimals with 0, 1, … 19 fraction digits.
    written: [i128; FRACTION_DIGITS],
    written_count: usize,
}

impl AverageSum {
    #[inline(always)]
    fn add(&mut self, average: Average) {
        match average {
            Average::Float(value) => self.floats.add(value),
            Average::Written(decimal) => {
                let mantissa = i128::from(decimal.mantissa);
                self.written[usize::from(decimal.fraction)] += if decimal.negative {
                    -mantissa
                } else {
                    mantissa
                };
                self.written_count += 1;
            }
        }
    }

    fn join(&mut self, later: AverageSum) {
        self.floats.join(later.floats);
        for (sum, later) in self.written.iter_mut().zip(later.written) {
            *sum += later;
        }
        self.written_count += later.written_count;
    }

    /// The mean: each number of fraction digits' exact sum is rounded to a float, divided by its
    /// power of ten and added (a few roundings in all, instead of one per row).
    fn value(&self) -> Option<f64> {
        let written: f64 = (self.written.iter().enumerate())
            .filter(|(_, sum)| **sum != 0)
            .map(|(fraction, sum)| *sum as f64 / POWERS_OF_TEN[fraction])
            .sum();
        let count = self.floats.count + self.written_count;
        (count > 0).then(|| (self.floats.sum + written) / count as f64)
    }
}

/// A row's `Total Average Response Time`: the decimal as written, or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Average {
    /// As the fast reader reads it: summed exactly.
    Written(Decimal),
    /// Already a float (the polars reader's).
    Float(f64),
}

impl Average {
    /// The value, ms.
    fn value(self) -> f64 {
        match self {
            Average::Written(decimal) => decimal.value(),
            Average::Float(value) => value,
        }
    }
}

/// The cumulative figures of one history row: what a [`SteadyWindow`] keeps of its first and
/// last rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WindowRow {
    /// Unix time, seconds.
    pub(crate) timestamp: f64,
    /// Requests since the start.
    pub(crate) total_requests: f64,
    /// Failures since the start.
    pub(crate) total_failures: f64,
    /// Average response time since the start, ms.
    pub(crate) total_avg_ms: Average,
}

/// An entry's rows in the steady window, summed in time order: everything [`SteadyFigures`] are
/// computed from, without the rows (a full history holds a million of them). Rows are
/// [added](SteadyWindow::add) one by one, or windows of consecutive parts of a file
/// [joined](SteadyWindow::join).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SteadyWindow {
    /// The first row (its cumulative figures are the window's start).
    first: Option<WindowRow>,
    /// The last row.
    last: Option<WindowRow>,
    rows: usize,
    /// Of `Total Average Response Time`.
    averages: AverageSum,
    /// Of the current-window 50th, 95th and 99th percentiles (N/A cells left out).
    percentiles: [Mean; 3],
}

impl SteadyWindow {
    /// Adds the next row of the window. Reads its timestamp, cumulative figures and the
    /// current-window 50/95/99 % only.
    pub fn add(&mut self, row: &HistoryRow) {
        let cumulative = WindowRow {
            timestamp: row.timestamp,
            total_requests: row.total_requests,
            total_failures: row.total_failures,
            total_avg_ms: Average::Float(row.total_avg_ms),
        };
        self.add_row(&cumulative, [row.p50_ms(), row.p95_ms(), row.p99_ms()]);
    }

    /// Adds the next row of the window, given as its cumulative figures and its current-window
    /// 50th, 95th and 99th percentiles, ms (`None` for N/A).
    #[inline(always)]
    pub(crate) fn add_row(&mut self, row: &WindowRow, percentiles_ms: [Option<f64>; 3]) {
        self.first.get_or_insert(*row);
        self.last = Some(*row);
        self.rows += 1;
        self.averages.add(row.total_avg_ms);
        for (mean, value) in self.percentiles.iter_mut().zip(percentiles_ms) {
            if let Some(value) = value {
                mean.add(value);
            }
        }
    }

    /// Joins the window of the rows that follow this window's in the file.
    pub fn join(&mut self, later: &SteadyWindow) {
        if self.first.is_none() {
            self.first = later.first;
        }
        if later.last.is_some() {
            self.last = later.last;
        }
        self.rows += later.rows;
        self.averages.join(later.averages);
        for (mean, later) in self.percentiles.iter_mut().zip(later.percentiles) {
            mean.join(later);
        }
    }

    /// Rows in the window.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The figures of the window for `entry`.
    pub fn figures(&self, entry: &str) -> SteadyFigures {
        let [p50, p95, p99] = self.percentiles.map(|m| m.value());
        let mut figures = SteadyFigures {
            entry: entry.to_owned(),
            requests: 0.0,
            rps: 0.0,
            rps_recipe: 0.0,
            avg_ms: self.averages.value().unwrap_or(0.0),
            avg_ms_window: None,
            p50_ms: p50,
            p95_ms: p95,
            p99_ms: p99,
            error_pct: 0.0,
            source: "history",
        };
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return figures;
        };
        let requests = last.total_requests - first.total_requests;
        let failures = last.total_failures - first.total_failures;
        let seconds = last.timestamp - first.timestamp;
        figures.requests = requests;
        if seconds > 0.0 {
            figures.rps = requests / seconds;
        }
        // pandas: `diff().mean()` over the rows' n-1 differences, whose sum is last - first
        // (exactly so for request counts, which are whole numbers).
        if self.rows > 1 {
            figures.rps_recipe = requests / (self.rows - 1) as f64;
        }
        if requests > 0.0 {
            let time_weighted = last.total_avg_ms.value() * last.total_requests
                - first.total_avg_ms.value() * first.total_requests;
            figures.avg_ms_window = Some(time_weighted / requests);
            figures.error_pct = failures * 100.0 / requests;
        }
        figures
    }
}

impl<'a> FromIterator<&'a HistoryRow> for SteadyWindow {
    /// The window of `rows`, in time order.
    fn from_iter<I: IntoIterator<Item = &'a HistoryRow>>(rows: I) -> SteadyWindow {
        let mut window = SteadyWindow::default();
        for row in rows {
            window.add(row);
        }
        window
    }
}

/// The figures of `rows` (at least two, in time order) for `entry`.
pub fn steady_figures(entry: &str, rows: &[HistoryRow]) -> SteadyFigures {
    rows.iter().collect::<SteadyWindow>().figures(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window of averages only (every other figure the same), as written or as floats.
    fn averages(values: &[(u64, u8)], written: bool) -> SteadyWindow {
        let mut window = SteadyWindow::default();
        for (k, &(mantissa, fraction)) in values.iter().enumerate() {
            let decimal = Decimal {
                mantissa,
                fraction,
                negative: false,
            };
            let row = WindowRow {
                timestamp: k as f64,
                total_requests: k as f64,
                total_failures: 0.0,
                total_avg_ms: if written {
                    Average::Written(decimal)
                } else {
                    Average::Float(decimal.value())
                },
            };
            window.add_row(&row, [None; 3]);
        }
        window
    }

    #[test]
    fn written_averages_are_summed_exactly_in_any_grouping() {
        // Locust-like averages with 13 to 16 fraction digits, and a run of 0.1s whose float sum
        // drifts.
        let mut values: Vec<(u64, u8)> = (0..3000u64)
            .map(|k| (11_250_526_598_471_949 + k * 7_919_937, 13 + (k % 4) as u8))
            .collect();
        values.extend(std::iter::repeat_n((1, 1), 1000));
        let whole = averages(&values, true);
        for parts in [2, 3, 7, 64] {
            let mut joined = SteadyWindow::default();
            for chunk in values.chunks(values.len().div_ceil(parts)) {
                joined.join(&averages(chunk, true));
            }
            assert_eq!(joined.figures("e").avg_ms, whole.figures("e").avg_ms);
        }
        // The exact mean, from integers: every mantissa scaled to 16 fraction digits.
        let scaled: u128 = (values.iter())
            .map(|&(m, f)| u128::from(m) * 10u128.pow(16 - u32::from(f)))
            .sum();
        let exact = scaled as f64 / 1e16 / values.len() as f64;
        let got = whole.figures("e").avg_ms;
        assert!(
            (got - exact).abs() <= 4.0 * f64::EPSILON * exact,
            "{got} vs {exact}"
        );
        // Floats agree to rounding.
        let floats = averages(&values, false).figures("e").avg_ms;
        assert!((floats - got).abs() <= 1e-13 * got, "{floats} vs {got}");
        // The window's last average, as written, gives the window's own average.
        let last = values.last().map(|&(m, f)| Decimal {
            mantissa: m,
            fraction: f,
            negative: false,
        });
        assert_eq!(
            whole.last.map(|row| row.total_avg_ms.value()),
            last.map(Decimal::value)
        );
    }

    fn row(timestamp: f64, total: f64, avg: f64) -> HistoryRow {
        HistoryRow {
            timestamp,
            user_count: 10.0,
            rps: 0.0,
            failures_per_s: 0.0,
            window_percentiles_ms: crate::window_percentiles::WindowPercentiles::new(
                std::array::from_fn(|k| match k {
                    0 => Some(10.0),
                    5 => Some(20.0),
                    _ => None,
                }),
            ),
            total_requests: total,
            total_failures: total / 100.0,
            total_avg_ms: avg,
        }
    }

    #[test]
    fn recipe_and_honest_figures_differ_when_rows_are_missing() {
        // A missing row at t=3: the recipe averages per-row diffs, the honest figure divides by time.
        let rows = [
            row(1.0, 100.0, 10.0),
            row(2.0, 200.0, 10.0),
            row(4.0, 400.0, 20.0),
        ];
        let figures = steady_figures(captest_format::AGGREGATED, &rows);
        assert_eq!(figures.rps_recipe, 150.0);
        assert_eq!(figures.rps, 100.0);
        assert!((figures.avg_ms - 40.0 / 3.0).abs() < 1e-12);
        // (400×20 − 100×10) / 300 requests.
        assert!((figures.avg_ms_window.unwrap() - 7000.0 / 300.0).abs() < 1e-12);
        assert!((figures.error_pct - 1.0).abs() < 1e-12);
        assert_eq!(window(&rows, 2.0).len(), 2);
    }
}
