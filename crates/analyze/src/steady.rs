//! The steady state: what is left after the warmup, with the pandas recipe's figures and honest
//! ones side by side.

use captest_format::SteadyWindow;
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

/// The cumulative figures of one history row: what [`WindowSums`] keep of their first and
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

/// An entry's recipe rows (strictly after the warmup, [`SteadyWindow`]) summed in time order,
/// those in the window apart: everything [`SteadyFigures`] are computed from, without the rows
/// (a full history holds a million of them). Rows are [added](WindowSums::add) one by one, or
/// the sums of consecutive parts of a file [joined](WindowSums::join).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WindowSums {
    /// The first row (its cumulative figures are the window's start).
    first: Option<WindowRow>,
    /// The last row in the window.
    last: Option<WindowRow>,
    /// Rows in the window.
    rows: usize,
    /// Of the current-window 50th, 95th and 99th percentiles in the window (N/A cells left out).
    percentiles: [Mean; 3],
    /// The last recipe row.
    recipe_last: Option<WindowRow>,
    /// Recipe rows.
    recipe_rows: usize,
    /// Of `Total Average Response Time` over the recipe rows.
    averages: AverageSum,
}

impl WindowSums {
    /// Adds the next row if `window` takes it (as a recipe row, and as a window row when it is in
    /// the window). Reads its timestamp, cumulative figures and the current-window 50/95/99 % only.
    pub fn add(&mut self, row: &HistoryRow, window: &SteadyWindow) {
        if !window.is_after_warmup(row.timestamp) {
            return;
        }
        let cumulative = WindowRow {
            timestamp: row.timestamp,
            total_requests: row.total_requests,
            total_failures: row.total_failures,
            total_avg_ms: Average::Float(row.total_avg_ms),
        };
        let in_window = window.contains_time(row.timestamp);
        self.add_row(
            &cumulative,
            [row.p50_ms(), row.p95_ms(), row.p99_ms()],
            in_window,
        );
    }

    /// Adds the next recipe row, given as its cumulative figures and its current-window 50th, 95th
    /// and 99th percentiles, ms (`None` for N/A); `in_window`: it is in the window too.
    #[inline(always)]
    pub(crate) fn add_row(
        &mut self,
        row: &WindowRow,
        percentiles_ms: [Option<f64>; 3],
        in_window: bool,
    ) {
        self.first.get_or_insert(*row);
        self.recipe_last = Some(*row);
        self.recipe_rows += 1;
        self.averages.add(row.total_avg_ms);
        if in_window {
            self.last = Some(*row);
            self.rows += 1;
            for (mean, value) in self.percentiles.iter_mut().zip(percentiles_ms) {
                if let Some(value) = value {
                    mean.add(value);
                }
            }
        }
    }

    /// Joins the sums of the rows that follow these sums' in the file.
    pub fn join(&mut self, later: &WindowSums) {
        if self.first.is_none() {
            self.first = later.first;
        }
        if later.last.is_some() {
            self.last = later.last;
        }
        if later.recipe_last.is_some() {
            self.recipe_last = later.recipe_last;
        }
        self.rows += later.rows;
        self.recipe_rows += later.recipe_rows;
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
        let (Some(first), Some(recipe_last)) = (self.first, self.recipe_last) else {
            return figures;
        };
        // pandas: `diff().mean()` over the recipe rows' n-1 differences, whose sum is last - first
        // (exactly so for request counts, which are whole numbers).
        if self.recipe_rows > 1 {
            figures.rps_recipe =
                (recipe_last.total_requests - first.total_requests) / (self.recipe_rows - 1) as f64;
        }
        let Some(last) = self.last else {
            return figures;
        };
        let requests = last.total_requests - first.total_requests;
        let failures = last.total_failures - first.total_failures;
        let seconds = last.timestamp - first.timestamp;
        figures.requests = requests;
        if seconds > 0.0 {
            figures.rps = requests / seconds;
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

impl WindowSums {
    /// The sums of the rows of `rows` (one entry's, in time order) that `window` takes.
    pub fn of_rows(rows: &[HistoryRow], window: &SteadyWindow) -> WindowSums {
        let mut sums = WindowSums::default();
        for row in window.recipe_rows(rows) {
            sums.add(row, window);
        }
        sums
    }
}

/// The figures of `rows` (one entry's, in time order) over `window`, for `entry`.
pub fn steady_figures(entry: &str, rows: &[HistoryRow], window: &SteadyWindow) -> SteadyFigures {
    WindowSums::of_rows(rows, window).figures(entry)
}

#[cfg(test)]
mod tests;
