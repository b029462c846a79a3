//! The cells of Locust's CSV rows, formatted as Locust formats them (see `shared/locust/FORMAT.md`):
//! Python float reprs, `N/A` for entries without requests, `0` (int) where Locust has an int
//! default, percentiles bucketed and written as integers.

use sha2::{Digest, Sha256};

use super::columns::{AGGREGATED, PERCENTILES};
use super::pyfmt::{py_fixed6, py_float, py_str_repr};
use crate::metrics::{EntryKey, EntryStats, FailureRecord, Median, RunStats};

/// Which percentiles the history rows carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryPercentiles {
    /// The ~10 s "current" window (Locust with `--csv-full-history`).
    Current,
    /// Cumulative since the start (Locust without `--csv-full-history`).
    Cumulative,
}

fn median_cell(entry: &EntryStats) -> String {
    match entry.median_ms() {
        None => "0".to_owned(),
        Some(Median::Bucketed(ms)) => ms.to_string(),
        Some(Median::Exact(ms)) => py_float(ms),
    }
}

/// `min or 0` / `max` as Locust writes them: an int 0 without requests, else the exact float.
fn time_cell(value: Option<f64>) -> String {
    match value {
        Some(ms) if ms != 0.0 => py_float(ms),
        _ => "0".to_owned(),
    }
}

fn content_cell(entry: &EntryStats) -> String {
    if entry.total.requests == 0 {
        "0".to_owned()
    } else {
        py_float(entry.total.content_bytes as f64 / entry.total.requests as f64)
    }
}

/// The cumulative cells shared by `_stats.csv` and the `Total *` history columns:
/// median, average, min, max, average content size.
fn cumulative_time_cells(entry: &EntryStats) -> [String; 5] {
    [
        median_cell(entry),
        py_float(entry.avg_ms()),
        time_cell(entry.min_ms()),
        time_cell(entry.max_ms()),
        content_cell(entry),
    ]
}

fn percentile_cells(entry: &EntryStats, current_at: Option<i64>) -> Vec<String> {
    if entry.total.requests == 0 {
        return vec!["N/A".to_owned(); PERCENTILES.len()];
    }
    PERCENTILES
        .iter()
        .map(|p| match current_at {
            Some(now) => entry
                .current_percentile_ms(now, *p)
                .unwrap_or(0)
                .to_string(),
            None => entry.percentile_ms(*p).to_string(),
        })
        .collect()
}

/// Every entry (sorted by name, method) and then the Aggregated row, with its Type cell.
fn rows_in_locust_order(stats: &RunStats) -> Vec<(String, String, &EntryStats)> {
    let mut rows: Vec<(String, String, &EntryStats)> = stats
        .sorted_entries()
        .into_iter()
        .map(|(key, entry)| (key.method, key.name, entry))
        .collect();
    rows.push((String::new(), AGGREGATED.to_owned(), stats.total()));
    rows
}

/// The data rows of `_stats.csv`.
pub fn stats_rows(stats: &RunStats) -> Vec<Vec<String>> {
    rows_in_locust_order(stats)
        .into_iter()
        .map(|(method, name, entry)| {
            let mut row = vec![
                method,
                name,
                entry.total.requests.to_string(),
                entry.total.failures.to_string(),
            ];
            let [median, avg, min, max, content] = cumulative_time_cells(entry);
            row.extend([median, avg, min, max, content]);
            row.push(py_float(stats.total_rps(entry)));
            row.push(py_float(stats.total_fail_per_sec(entry)));
            row.extend(percentile_cells(entry, None));
            row
        })
        .collect()
}

/// The rows of one `_stats_history.csv` batch written at epoch second `now` with `users` running:
/// only Aggregated, or every entry then Aggregated with `full_history`.
pub fn history_rows(
    stats: &RunStats,
    now: i64,
    users: usize,
    full_history: bool,
) -> Vec<Vec<String>> {
    let mut rows = rows_in_locust_order(stats);
    if !full_history {
        rows.drain(..rows.len() - 1);
    }
    let percentiles = if full_history {
        HistoryPercentiles::Current
    } else {
        HistoryPercentiles::Cumulative
    };
    rows.into_iter()
        .map(|(method, name, entry)| {
            let mut row = vec![now.to_string(), users.to_string(), method, name];
            row.push(py_fixed6(
                entry.current_rps(stats.last_request(), stats.start()),
            ));
            row.push(py_fixed6(
                entry.current_fail_per_sec(stats.last_request(), stats.start()),
            ));
            let current_at = (percentiles == HistoryPercentiles::Current).then_some(now);
            row.extend(percentile_cells(entry, current_at));
            row.push(entry.total.requests.to_string());
            row.push(entry.total.failures.to_string());
            row.extend(cumulative_time_cells(entry));
            row
        })
        .collect()
}

/// Locust's failure key: SHA-256 of `"{method}.{name}.{repr(error)}"`, which orders `_failures.csv`.
pub fn failure_sort_key(method: &str, name: &str, error: &str) -> String {
    let key = format!("{method}.{name}.{}", py_str_repr(error));
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn iso_utc(epoch: f64) -> String {
    chrono::DateTime::from_timestamp(epoch.floor() as i64, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The data rows of `_failures.csv`, in Locust's order.
pub fn failure_rows<'a>(failures: impl Iterator<Item = &'a FailureRecord>) -> Vec<Vec<String>> {
    let mut rows: Vec<(String, Vec<String>)> = failures
        .map(|f| {
            let EntryKey { method, name } = &f.entry;
            let error = f.kind.describe(name);
            let key = failure_sort_key(method, name, &error);
            let row = vec![
                method.clone(),
                name.clone(),
                error,
                f.occurrences.to_string(),
                iso_utc(f.first_seen),
                iso_utc(f.last_seen),
            ];
            (key, row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.into_iter().map(|(_, row)| row).collect()
}

/// The data rows of `_exceptions.csv`.
pub fn exception_rows(stats: &RunStats) -> Vec<Vec<String>> {
    stats
        .exceptions()
        .iter()
        .map(|e| {
            vec![
                e.count.to_string(),
                e.message.clone(),
                e.traceback.clone(),
                "local".to_owned(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order of the four rows of `shared/locust/failing/failing_failures.csv`, which real Locust
    /// sorted by this key.
    #[test]
    fn failure_order_matches_real_locust_file() {
        let rows = [
            (
                "POST",
                "/items",
                "HTTPError('500 Server Error: Internal Server Error for url: /items')",
            ),
            (
                "POST",
                "/api/v1/event/batch",
                "HTTPError('429 Client Error: Too Many Requests for url: /api/v1/event/batch')",
            ),
            (
                "POST",
                "/api/v1/event",
                "ConnectionRefusedError(111, 'Connection refused')",
            ),
            (
                "GET",
                "/item/[id]",
                "HTTPError('404 Client Error: Not Found for url: /item/[id]')",
            ),
        ];
        let keys: Vec<String> = rows
            .iter()
            .map(|(m, n, e)| failure_sort_key(m, n, e))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }
}
