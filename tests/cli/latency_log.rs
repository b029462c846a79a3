//! `PREFIX_latency.hdr` end to end: a real run's per-second HDR histograms read back, strictly,
//! once with the hdrhistogram crate alone (so the runner is checked against the interval-log
//! format, not against captest's own reader) and once through analyze's [`LatencyLog`]: the
//! intervals sum to `_stats.csv`'s counts and percentiles, each second matches the growth of
//! `_stats_history.csv`'s `Total Request Count`, and an interrupted run keeps a readable log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::support::analyze::expect_error;
use crate::support::{
    captest, locust_dir, number, read_csv, run_captest, signal, wait_for_exit, with_suffix,
    DemoServer,
};
use base64::prelude::{Engine, BASE64_STANDARD};
use captest_analyze::{LatencyLog, Run};
use captest_format::columns::{
    AVERAGE_CONTENT_SIZE, AVERAGE_RESPONSE_TIME, FAILURE_COUNT, MAX_RESPONSE_TIME,
    MIN_RESPONSE_TIME, NAME, REQUEST_COUNT, TIMESTAMP, TOTAL_REQUEST_COUNT, TYPE,
};
use captest_format::{files, Entry};
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

/// Every entry's whole-run histogram: the sum of its intervals, read with the hdrhistogram crate
/// only. Strict: every histogram is tagged with an entry, starts on a whole second after
/// BaseTime, lasts whole seconds (at least one), and an entry's intervals never overlap.
fn whole_run_histograms(path: &Path) -> HashMap<Entry, Histogram<u64>> {
    let text = std::fs::read(path).expect("hdr log");
    let mut deserializer = Deserializer::new();
    let mut sums: HashMap<Entry, Histogram<u64>> = HashMap::new();
    let mut spans: HashMap<Entry, Vec<(u64, u64)>> = HashMap::new();
    let mut base_time = None;
    for entry in IntervalLogIterator::new(&text) {
        match entry.expect("a valid interval log") {
            LogEntry::BaseTime(time) => base_time = Some(time),
            LogEntry::StartTime(_) => {}
            LogEntry::Interval(interval) => {
                assert!(base_time.is_some(), "BaseTime comes before the intervals");
                let tag = interval.tag().expect("tagged").as_str();
                let entry = Entry::from_hdr_tag(tag).expect("the tag names an entry");
                let (start, length) = (interval.start_timestamp(), interval.duration());
                assert_eq!(
                    start.subsec_nanos(),
                    0,
                    "{tag}: whole-second start {start:?}"
                );
                assert_eq!(
                    length.subsec_nanos(),
                    0,
                    "{tag}: whole-second length {length:?}"
                );
                assert!(length.as_secs() >= 1, "{tag}: {length:?}");
                spans
                    .entry(entry.clone())
                    .or_default()
                    .push((start.as_secs(), start.as_secs() + length.as_secs()));
                let bytes = BASE64_STANDARD
                    .decode(interval.encoded_histogram())
                    .expect("base64");
                let histogram: Histogram<u64> = deserializer
                    .deserialize(&mut bytes.as_slice())
                    .expect("a V2 histogram");
                assert!(!histogram.is_empty(), "{tag}: only seconds with requests");
                let sum = sums
                    .entry(entry)
                    .or_insert_with(|| Histogram::new(3).expect("histogram"));
                sum.add(&histogram).expect("auto-resizing");
            }
        }
    }
    for (entry, spans) in spans {
        assert!(
            spans.windows(2).all(|w| w[0].1 <= w[1].0),
            "{entry}: intervals in order, never overlapping: {spans:?}"
        );
    }
    sums
}

/// Checks every second of `prefix`'s full history against its `_latency.hdr`, through analyze:
/// for each entry (Aggregated too) and each of its history rows stamped `T`, the intervals ending
/// in (previous row's Timestamp, `T`] — (−∞, `T`] for its first row — hold exactly the growth of
/// its `Total Request Count`; and every interval ends at one of its rows' Timestamps.
fn check_each_second(prefix: &Path) {
    let run = Run::load(prefix).expect("analyze loads the run");
    let log = run
        .latency
        .as_ref()
        .expect("_latency.hdr is read with the run");
    let mut rows: HashMap<Entry, Vec<(f64, f64)>> = HashMap::new();
    for row in read_csv(&with_suffix(prefix, files::HISTORY)) {
        rows.entry(Entry::from_row(&row[TYPE], &row[NAME]))
            .or_default()
            .push((number(&row, TIMESTAMP), number(&row, TOTAL_REQUEST_COUNT)));
    }
    let mut in_history: Vec<Entry> = rows.keys().cloned().collect();
    in_history.sort();
    let mut in_log = log.entries();
    assert_eq!(in_log.last(), Some(&Entry::Aggregated), "Aggregated last");
    in_log.sort();
    assert_eq!(
        in_log, in_history,
        "the same entries in the log and the history"
    );
    for (entry, rows) in &rows {
        let mut previous = (f64::NEG_INFINITY, 0.0);
        for &(timestamp, total) in rows {
            let counted: u64 = log
                .intervals(entry, previous.0, timestamp)
                .iter()
                .map(|(_, histogram)| histogram.len())
                .sum();
            assert_eq!(
                counted as f64,
                total - previous.1,
                "{entry}: requests in ({}, {timestamp}]",
                previous.0
            );
            previous = (timestamp, total);
        }
        let stamps: Vec<f64> = rows.iter().map(|(t, _)| *t).collect();
        for (start, end) in log.spans(entry) {
            assert!(
                stamps.contains(&end),
                "{entry}: [{start}, {end}) ends at a row"
            );
        }
    }
}

/// Runs two weighted entries (5 % of them 404s) for 4 s against `server`, with a full history
/// and a latency log, and returns the run's prefix.
fn run_two_entries(server: &DemoServer, dir: &Path) -> PathBuf {
    let scenario = dir.join("two.toml");
    std::fs::write(
        &scenario,
        "[[users]]\nname = \"Reader\"\nwait = { constant = \"5ms\" }\n\
         [[users.tasks]]\nweight = 3\n[[users.tasks.requests]]\npath = \"/items\"\n\
         [[users.tasks]]\nweight = 1\n[[users.tasks.requests]]\npath = \"/item/{{ random_int(1, 50) }}\"\nname = \"/item/[id]\"\n",
    )
    .expect("scenario");
    let prefix = dir.join("two");
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "-u",
        "6",
        "-r",
        "100",
        "-t",
        "4s",
        "-q",
        "--csv-full-history",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    prefix
}

/// `_stats.csv`'s Aggregated row is the sum of its `entries`' rows: counts summed, averages
/// weighted by requests, min and max the entries' extremes.
fn assert_aggregated_row_sums(
    entries: &[HashMap<String, String>],
    aggregated: &HashMap<String, String>,
) {
    let sum = |column: &str| entries.iter().map(|r| number(r, column)).sum::<f64>();
    for column in [REQUEST_COUNT, FAILURE_COUNT] {
        assert_eq!(number(aggregated, column), sum(column), "{column}");
    }
    assert!(
        number(aggregated, FAILURE_COUNT) > 0.0,
        "404s were injected"
    );
    let requests = sum(REQUEST_COUNT);
    let weighted = |column: &str| {
        entries
            .iter()
            .map(|r| number(r, column) * number(r, REQUEST_COUNT))
            .sum::<f64>()
            / requests
    };
    for column in [AVERAGE_RESPONSE_TIME, AVERAGE_CONTENT_SIZE] {
        let expected = weighted(column);
        assert!(
            (number(aggregated, column) - expected).abs() <= 1e-6 * expected.max(1.0),
            "{column}: {} vs {expected}",
            aggregated[column]
        );
    }
    let min = entries
        .iter()
        .map(|r| number(r, MIN_RESPONSE_TIME))
        .fold(f64::INFINITY, f64::min);
    let max = entries
        .iter()
        .map(|r| number(r, MAX_RESPONSE_TIME))
        .fold(0.0, f64::max);
    assert_eq!(number(aggregated, MIN_RESPONSE_TIME), min);
    assert_eq!(number(aggregated, MAX_RESPONSE_TIME), max);
}

/// An entry's whole-run `histogram` holds its `_stats.csv` `row`'s count, max and percentiles.
fn assert_histogram_matches_row(
    key: &Entry,
    histogram: &Histogram<u64>,
    row: &HashMap<String, String>,
) {
    assert_eq!(histogram.len() as f64, number(row, REQUEST_COUNT), "{key}");
    let max_ms = histogram.max() as f64 / 1000.0;
    let stats_max = number(row, MAX_RESPONSE_TIME);
    assert!(
        (max_ms - stats_max).abs() <= stats_max * 0.002 + 0.01,
        "{key}: hdr max {max_ms} ms vs {stats_max} ms"
    );
    // _stats.csv percentiles are Locust's rounded buckets (1 ms below 100 ms, 10 ms below
    // 1 s): a direct computation from the full-resolution histogram lands in the same bucket.
    for (column, quantile) in [("50%", 0.5), ("95%", 0.95), ("99%", 0.99)] {
        let direct_ms = histogram.value_at_quantile(quantile) as f64 / 1000.0;
        let reported = number(row, column);
        let bucket = if direct_ms < 100.0 { 1.0 } else { 10.0 };
        assert!(
            (reported - direct_ms).abs() <= bucket,
            "{key} {column}: {reported} ms in _stats.csv, {direct_ms} ms computed"
        );
    }
}

#[test]
fn hdr_log_reads_back_and_aggregated_is_the_sum_of_the_entries() {
    let server = DemoServer::start(&["--service-time", "2ms", "--not-found-rate", "0.05"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = run_two_entries(&server, dir.path());
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let (entries, aggregated) = stats.split_at(stats.len() - 1);
    assert_eq!(entries.len(), 2, "{stats:?}");
    assert_aggregated_row_sums(entries, &aggregated[0]);
    let requests = entries
        .iter()
        .map(|r| number(r, REQUEST_COUNT))
        .sum::<f64>();

    // The HDR log: per entry the sum of its intervals, counts as in _stats.csv, and the
    // entries merge exactly into Aggregated.
    let histograms = whole_run_histograms(&with_suffix(&prefix, files::LATENCY_HDR));
    assert_eq!(histograms.len(), 3, "{:?}", histograms.keys());
    let mut merged = Histogram::<u64>::new(3).expect("histogram");
    for row in entries {
        let key = Entry::from_row(&row[TYPE], &row[NAME]);
        let histogram = histograms
            .get(&key)
            .unwrap_or_else(|| panic!("{key} in {:?}", histograms.keys()));
        assert_histogram_matches_row(&key, histogram, row);
        merged.add(histogram).expect("same range");
    }
    let total = &histograms[&Entry::Aggregated];
    assert_eq!(total.len() as f64, requests);
    assert!(
        merged
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .eq(total
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))),
        "entries merge exactly into Aggregated"
    );
    check_each_second(&prefix);
}

/// The whole-run request count of `entry` in `log`.
fn whole_run_count(log: &LatencyLog, entry: &Entry) -> u64 {
    log.histogram(entry, f64::NEG_INFINITY, f64::INFINITY)
        .map_or(0, |histogram| histogram.len())
}

#[test]
fn an_interrupted_run_keeps_a_readable_log_that_matches_its_stats() {
    let server = DemoServer::start(&["--service-time", "5ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("interrupted");
    let log_path = with_suffix(&prefix, files::LATENCY_HDR);
    let mut child = captest()
        .args([
            "run",
            "--host",
            &server.url,
            "--path",
            "/items",
            "-u",
            "4",
            "-r",
            "100",
            "-t",
            "60s",
            "-q",
            "--csv-full-history",
            "--csv",
            prefix.to_str().expect("utf-8"),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("captest starts");
    std::thread::sleep(Duration::from_millis(2600));
    // Written as the run goes: the seconds so far are in the file before the run ends.
    let running = LatencyLog::read(&log_path).expect("readable while the run goes on");
    let so_far = whole_run_count(&running, &Entry::Aggregated);
    assert!(so_far > 0, "seconds already measured are written");
    signal(&child, "INT");
    let exit = wait_for_exit(&mut child, Duration::from_secs(10));
    assert_eq!(exit.code(), Some(0));
    let log = LatencyLog::read(&log_path).expect("readable after SIGINT");
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    assert_eq!(stats.len(), 2, "GET /items and Aggregated: {stats:?}");
    for row in &stats {
        let entry = Entry::from_row(&row[TYPE], &row[NAME]);
        assert_eq!(
            whole_run_count(&log, &entry) as f64,
            number(row, REQUEST_COUNT),
            "{entry}: the log holds every request of _stats.csv"
        );
    }
    assert!(whole_run_count(&log, &Entry::Aggregated) > so_far);
    check_each_second(&prefix);
}

#[test]
fn a_locust_run_has_no_latency_log_and_a_corrupt_one_is_bad_input() {
    let locust = locust_dir().join("constant").join("constant");
    let run = Run::load(&locust).expect("a Locust run");
    assert!(run.latency.is_none(), "Locust writes no _latency.hdr");
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("constant");
    for suffix in [files::STATS, files::HISTORY, files::FAILURES] {
        std::fs::copy(with_suffix(&locust, suffix), with_suffix(&prefix, suffix)).expect("copy");
    }
    let log_path = with_suffix(&prefix, files::LATENCY_HDR);
    std::fs::write(
        &log_path,
        "#[StartTime: 1700000000.250 (seconds since epoch)]\n\
         #[BaseTime: 1700000000.000 (seconds since epoch)]\n\
         Tag=GET%20/items,0.000,1.000,2.000,not-a-histogram\n",
    )
    .expect("write");
    let shown = format!("{}: line 3: ", log_path.display());
    expect_error(&[prefix.to_str().expect("utf-8")], &shown);
}
