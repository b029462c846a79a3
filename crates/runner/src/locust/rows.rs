//! The cells of Locust's CSV rows, formatted as Locust formats them (see `tests/fixtures/locust/README.md`):
//! Python float reprs, `N/A` for entries without requests, `0` (int) where Locust has an int
//! default, percentiles bucketed and written as integers.

use sha2::{Digest, Sha256};

use captest_format::columns::PERCENTILES;
use captest_format::{Entry, RequestKey};

use super::pyfmt::{py_fixed6, py_float, py_str_repr};
use crate::metrics::{EntryStats, FailureRecord, Median, RunStats};

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
    let (kind, name) = Entry::Aggregated.cells();
    rows.push((kind.to_owned(), name.to_owned(), stats.total()));
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
            let RequestKey { method, name } = &f.entry;
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

    /// The order of the four rows of `tests/fixtures/locust/failing/failing_failures.csv`, which real Locust
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

#[cfg(test)]
mod stats_tests {
    use super::*;
    use crate::locust::bucket_key_ms;
    use crate::metrics::{EntryRegistry, FailureKind, Recorder, RunClock, Sample, Shard};
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use std::time::Instant;

    /// Records random samples for three entries over five seconds and returns the stats plus the
    /// exact samples per entry name.
    fn recorded_run() -> (RunStats, Vec<(String, Vec<u64>)>) {
        let registry = EntryRegistry::new();
        let names = ["/b", "/a", "/c"];
        let ids: Vec<_> = names
            .iter()
            .map(|n| registry.intern(&RequestKey::new("GET", *n)))
            .collect();
        let clock = RunClock::start();
        let mut stats = RunStats::new(registry, clock);
        let recorder = Recorder::new();
        let mut rng = SmallRng::seed_from_u64(7);
        let mut samples = vec![Vec::new(); names.len()];
        let start = stats.start().floor() as i64;
        let mut drained: Vec<Shard> = Vec::new();
        for second in start..start + 5 {
            for _ in 0..400 {
                let which = rng.random_range(0..names.len());
                // Spread over the 1 ms, 10 ms and 100 ms bands.
                let ns = (rng.random::<f64>().powi(3) * 3_000_000_000.0) as u64 + 100_000;
                samples[which].push(ns);
                let failed = rng.random_bool(0.1);
                recorder.record(Sample {
                    entry: ids[which],
                    elapsed_ns: ns,
                    content_length: 100,
                    finished: Instant::now(),
                    failure: failed.then_some(FailureKind::Status(500)),
                    events: 0.0,
                });
            }
            recorder.drain(&mut drained);
            stats.absorb(second, &drained);
        }
        let named = names
            .iter()
            .zip(samples)
            .map(|(n, s)| (n.to_string(), s))
            .collect();
        (stats, named)
    }

    #[test]
    fn aggregated_row_is_the_sum_of_the_entries() {
        let (stats, _) = recorded_run();
        let rows = stats_rows(&stats);
        assert_eq!(rows.len(), 4);
        let names: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(
            names,
            ["/a", "/b", "/c", "Aggregated"],
            "sorted by name, Aggregated last"
        );
        let sum = |column: usize| -> u64 {
            rows[..3]
                .iter()
                .map(|r| r[column].parse::<u64>().expect("int"))
                .sum()
        };
        assert_eq!(rows[3][2].parse::<u64>().expect("int"), sum(2));
        assert_eq!(rows[3][3].parse::<u64>().expect("int"), sum(3));
        assert_eq!(rows[3][2], "2000");
        assert_eq!(rows[3][0], "", "Aggregated has an empty Type");
    }

    #[test]
    fn percentiles_match_a_direct_computation_on_the_samples() {
        let (stats, samples) = recorded_run();
        let rows = stats_rows(&stats);
        for (name, mut exact) in samples {
            exact.sort_unstable();
            let row = rows.iter().find(|r| r[1] == name).expect("row");
            let n = exact.len();
            for (column, p) in PERCENTILES.iter().enumerate() {
                let rank = ((n as f64 * p).floor() as usize).min(n - 1);
                let expected = bucket_key_ms(exact[rank]);
                assert_eq!(row[11 + column], expected.to_string(), "{name} p{p}");
            }
            let mean = exact.iter().sum::<u64>() as f64 / n as f64 / 1e6;
            let written: f64 = row[5].parse().expect("float");
            assert!((written - mean).abs() < 1e-9 * mean.max(1.0));
        }
    }

    #[test]
    fn history_has_every_entry_then_aggregated_with_full_history() {
        let (stats, _) = recorded_run();
        let now = stats.start().floor() as i64 + 5;
        let full = history_rows(&stats, now, 7, true);
        assert_eq!(full.len(), 4);
        assert!(full.iter().all(|r| r[1] == "7" && r[0] == now.to_string()));
        let aggregated_only = history_rows(&stats, now, 7, false);
        assert_eq!(aggregated_only.len(), 1);
        assert_eq!(aggregated_only[0][3], "Aggregated");
        // Without full history the Aggregated percentiles are cumulative, equal to _stats.csv's.
        let stats_row = stats_rows(&stats).pop().expect("Aggregated");
        assert_eq!(aggregated_only[0][6..17], stats_row[11..22]);
    }
}
