//! The steady state: what is left after the warmup, with the pandas recipe's figures and honest
//! ones side by side.

use serde::Serialize;

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

/// A running mean: values added in order, summed as pandas sums them.
#[derive(Default)]
struct Mean {
    sum: f64,
    count: usize,
}

impl Mean {
    fn add(&mut self, value: f64) {
        self.sum += value;
        self.count += 1;
    }

    fn value(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// The figures of `rows` (at least two, in time order) for `entry`.
pub fn steady_figures(entry: &str, rows: &[HistoryRow]) -> SteadyFigures {
    let (first, last) = match (rows.first(), rows.last()) {
        (Some(first), Some(last)) => (first, last),
        _ => {
            return SteadyFigures {
                entry: entry.to_owned(),
                requests: 0.0,
                rps: 0.0,
                rps_recipe: 0.0,
                avg_ms: 0.0,
                avg_ms_window: None,
                p50_ms: None,
                p95_ms: None,
                p99_ms: None,
                error_pct: 0.0,
                source: "history",
            }
        }
    };
    let requests = last.total_requests - first.total_requests;
    let failures = last.total_failures - first.total_failures;
    let seconds = last.timestamp - first.timestamp;
    // One pass over the rows (a full history holds a million): the sums of the recipe's
    // per-row figures, in row order as pandas adds them.
    let mut diffs = Mean::default();
    let mut averages = Mean::default();
    let mut percentiles = [Mean::default(), Mean::default(), Mean::default()];
    let mut previous_total = None;
    for row in rows {
        // pandas: diff() then mean() over the n-1 differences (NaN first row skipped).
        if let Some(previous) = previous_total {
            diffs.add(row.total_requests - previous);
        }
        previous_total = Some(row.total_requests);
        averages.add(row.total_avg_ms);
        for (mean, value) in percentiles
            .iter_mut()
            .zip([row.p50_ms(), row.p95_ms(), row.p99_ms()])
        {
            if let Some(value) = value {
                mean.add(value);
            }
        }
    }
    let [p50, p95, p99] = percentiles.map(|m| m.value());
    let time_weighted =
        last.total_avg_ms * last.total_requests - first.total_avg_ms * first.total_requests;
    SteadyFigures {
        entry: entry.to_owned(),
        requests,
        rps: if seconds > 0.0 {
            requests / seconds
        } else {
            0.0
        },
        rps_recipe: diffs.value().unwrap_or(0.0),
        avg_ms: averages.value().unwrap_or(0.0),
        avg_ms_window: (requests > 0.0).then(|| time_weighted / requests),
        p50_ms: p50,
        p95_ms: p95,
        p99_ms: p99,
        error_pct: if requests > 0.0 {
            failures * 100.0 / requests
        } else {
            0.0
        },
        source: "history",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let figures = steady_figures("Aggregated", &rows);
        assert_eq!(figures.rps_recipe, 150.0);
        assert_eq!(figures.rps, 100.0);
        assert!((figures.avg_ms - 40.0 / 3.0).abs() < 1e-12);
        // (400×20 − 100×10) / 300 requests.
        assert!((figures.avg_ms_window.unwrap() - 7000.0 / 300.0).abs() < 1e-12);
        assert!((figures.error_pct - 1.0).abs() < 1e-12);
        assert_eq!(window(&rows, 2.0).len(), 2);
    }
}
