//! The values compared when `--warmup` is given: each metric over the steady window of the
//! history (the entry's own rows of a full history; the Aggregated rows for Aggregated), so that
//! the warmup counts neither in the samples nor in the values and deltas.

use captest_format::{Entry, Metric, Warmup};
use serde::Serialize;

use crate::history::HistoryRow;
use crate::run::Run;

use super::measure::{entries, steady_rows, value, weight, weights_of};

/// Where a compared value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The steady window of `_stats_history.csv` (after `--warmup`).
    History,
    /// The whole run's `_stats.csv` (warmup included).
    Stats,
}

/// The value of `metric` for `entry` over the run's steady window for `warmup`
/// ([`captest_format::SteadyWindow`], the one `analyze` uses) when the history carries it (see
/// [`steady_value`]); else the whole run's `_stats.csv` value. With no warmup the whole run is
/// the window, and `_stats.csv` has its exact figures.
pub fn compared_value(
    run: &Run,
    entry: &Entry,
    metric: Metric,
    weights: &[(String, f64)],
    warmup: Warmup,
) -> Option<(f64, Source)> {
    if !warmup.is_zero() {
        if let Some(v) = steady_value(run, entry, metric, weights, warmup) {
            return Some((v, Source::History));
        }
    }
    value(run, entry, metric, weights).map(|v| (v, Source::Stats))
}

/// Requests per second over `rows` (first to last), if they span time.
fn window_rps(rows: &[&HistoryRow]) -> Option<f64> {
    let (first, last) = (rows.first()?, rows.last()?);
    let seconds = last.timestamp - first.timestamp;
    (seconds > 0.0).then(|| (last.total_requests - first.total_requests) / seconds)
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

/// The value of `metric` for `entry` over the steady window of the history, or `None` when the
/// history does not carry it there (no history, no rows of the entry, fewer than two rows in the
/// window, or no request in it):
/// - `avg`: the average response time of the requests completed in the window, ms;
/// - `rps`: requests completed in the window ÷ its seconds;
/// - `errors`: failures ÷ requests completed in the window, percent; `fail_count`: failures in it;
/// - `events`: window rps × events per request (Aggregated: the sum over the entries, which needs
///   a full history);
/// - percentiles: the mean over the window's rows of Locust's current-window (≈10 s) percentile,
///   ms (as `captest analyze` reports the steady percentiles); `max`: the largest current-window
///   100 % (slowest response) in the window, ms.
pub fn steady_value(
    run: &Run,
    entry: &Entry,
    metric: Metric,
    weights: &[(String, f64)],
    warmup: Warmup,
) -> Option<f64> {
    if metric == Metric::Events && entry.is_aggregated() {
        let names = entries(run);
        let weights = weights_of(run, weights);
        return names
            .iter()
            .filter(|e| !e.is_aggregated())
            .map(|e| {
                let rows = steady_rows(run, e, warmup)?;
                Some(window_rps(&rows)? * weight(weights, e))
            })
            .sum();
    }
    let rows = steady_rows(run, entry, warmup)?;
    let (first, last) = (rows.first()?, rows.last()?);
    if rows.len() < 2 {
        return None;
    }
    let requests = last.total_requests - first.total_requests;
    let failures = last.total_failures - first.total_failures;
    match metric {
        Metric::Avg => (requests > 0.0).then(|| {
            (last.total_avg_ms * last.total_requests - first.total_avg_ms * first.total_requests)
                / requests
        }),
        Metric::Rps => window_rps(&rows),
        Metric::Events => Some(window_rps(&rows)? * weight(weights_of(run, weights), entry)),
        Metric::Errors => (requests > 0.0).then(|| failures * 100.0 / requests),
        Metric::FailCount => Some(failures),
        Metric::Percentile(p) => mean(rows.iter().filter_map(|r| r.percentile_ms(p))),
        Metric::Max => rows
            .iter()
            .filter_map(|r| r.percentile_ms(100.0))
            .reduce(f64::max),
    }
}
