//! Metric values of a run per entry (from `_stats.csv`, the run's final totals) and per-interval
//! samples over the steady window (from a full `_stats_history.csv`) for significance tests.

use captest_format::{Entry, Metric, Warmup};

use crate::history::HistoryRow;
use crate::run::Run;
use crate::stats::StatsRow;
use crate::totals::of_totals;

/// Seconds between samples of Locust's current-window percentiles: their windows (≈10 s) must not
/// overlap for the samples to be independent.
const PERCENTILE_SAMPLE_EVERY_S: f64 = 10.0;

/// The entries of a run's `_stats.csv` in the order of their labels (`METHOD name`), then
/// Aggregated.
pub fn entries(run: &Run) -> Vec<Entry> {
    let mut entries: Vec<Entry> = run.entry_stats().map(|r| r.entry.clone()).collect();
    entries.sort_by_cached_key(Entry::to_string);
    entries.push(Entry::Aggregated);
    entries
}

/// The entries of either run: the baseline's, then those only the current run has, Aggregated
/// last.
pub fn entries_of_both(baseline: &Run, current: &Run) -> Vec<Entry> {
    let mut entries = entries(baseline);
    for entry in self::entries(current) {
        if !entries.contains(&entry) {
            entries.insert(entries.len() - 1, entry);
        }
    }
    entries
}

/// The `_stats.csv` row of `entry`.
pub(super) fn stats_row<'a>(run: &'a Run, entry: &Entry) -> Option<&'a StatsRow> {
    run.stats.iter().find(|r| r.entry == *entry)
}

/// `--events` weights when given, else the run's own `_events.csv`.
pub(super) fn weights_of<'a>(run: &'a Run, given: &'a [(String, f64)]) -> &'a [(String, f64)] {
    if given.is_empty() {
        run.event_weights.as_slice()
    } else {
        given
    }
}

/// Events per request of `entry` from (entry, weight) pairs (`--events` or `_events.csv`: an
/// entry's label, `METHOD name`, or its name alone).
pub(super) fn weight(weights: &[(String, f64)], entry: &Entry) -> f64 {
    let label = entry.to_string();
    weights
        .iter()
        .filter(|(given, _)| {
            *given == label || (!entry.method().is_empty() && given == entry.name())
        })
        .map(|(_, w)| *w)
        .next()
        .unwrap_or(0.0)
}

/// The value of `metric` for `entry` over the whole run; `None` when the run lacks it. Events per
/// request come from `weights` (`--events`) when given, else from the run's own `_events.csv`.
pub fn value(run: &Run, entry: &Entry, metric: Metric, weights: &[(String, f64)]) -> Option<f64> {
    let weights = weights_of(run, weights);
    if metric == Metric::Events && entry.is_aggregated() {
        let total: f64 = run
            .entry_stats()
            .map(|r| r.rps * weight(weights, &r.entry))
            .sum();
        return Some(total);
    }
    of_totals(metric, stats_row(run, entry)?, Some(weight(weights, entry)))
}

pub(super) fn history_rows<'a>(run: &'a Run, entry: &Entry) -> Option<&'a [HistoryRow]> {
    let history = run.history.as_ref()?;
    if entry.is_aggregated() {
        return Some(&history.aggregated);
    }
    history.entries.get(entry).map(Vec::as_slice)
}

/// The history rows of `entry` in the run's steady window for `warmup` (the one `analyze`
/// uses, [`captest_format::SteadyWindow`]); `None` when the history lacks the entry.
pub(super) fn steady_rows<'a>(
    run: &'a Run,
    entry: &Entry,
    warmup: Warmup,
) -> Option<Vec<&'a HistoryRow>> {
    let rows = history_rows(run, entry)?;
    let window = run.history.as_ref()?.window(warmup);
    Some(window.rows(rows).iter().collect())
}

/// A current-window figure of `rows` every 10 s, so that the windows do not overlap.
fn window_samples(rows: &[&HistoryRow], figure: impl Fn(&HistoryRow) -> Option<f64>) -> Vec<f64> {
    let mut next = f64::NEG_INFINITY;
    rows.iter()
        .filter(|r| {
            let take = r.timestamp >= next;
            if take {
                next = r.timestamp + PERCENTILE_SAMPLE_EVERY_S;
            }
            take
        })
        .filter_map(|r| figure(r))
        .collect()
}

/// Per-interval samples of `metric` for `entry` over the steady window for `warmup`: per second for
/// avg, rps and errors; every 10 s for percentiles and max (non-overlapping current windows;
/// max is Locust's 100 % column). Empty when the history lacks the entry or the metric has no
/// per-interval form (counts, events).
pub fn samples(run: &Run, entry: &Entry, metric: Metric, warmup: Warmup) -> Vec<f64> {
    let Some(rows) = steady_rows(run, entry, warmup) else {
        return Vec::new();
    };
    let pairs = rows
        .windows(2)
        .filter(|w| w[1].total_requests > w[0].total_requests);
    match metric {
        Metric::Avg => pairs
            .map(|w| {
                let n = w[1].total_requests - w[0].total_requests;
                (w[1].total_avg_ms * w[1].total_requests - w[0].total_avg_ms * w[0].total_requests)
                    / n
            })
            .collect(),
        Metric::Rps => rows
            .windows(2)
            .map(|w| {
                (w[1].total_requests - w[0].total_requests)
                    / (w[1].timestamp - w[0].timestamp).max(1.0)
            })
            .collect(),
        Metric::Errors => pairs
            .map(|w| {
                (w[1].total_failures - w[0].total_failures) * 100.0
                    / (w[1].total_requests - w[0].total_requests)
            })
            .collect(),
        Metric::Percentile(p) => window_samples(&rows, |r| r.percentile_ms(p)),
        // Locust's 100 % column: the slowest response of the current window.
        Metric::Max => window_samples(&rows, |r| r.percentile_ms(100.0)),
        Metric::Events | Metric::FailCount => Vec::new(),
    }
}
