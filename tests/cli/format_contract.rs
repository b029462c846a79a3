//! The file contract end to end: what the runner's writers put in a run's files is what analyze's
//! readers take out, both going through `captest_format` (headers, suffixes, entry keys). A
//! column renamed on one side only, or a suffix typed differently, fails here.

use std::path::Path;
use std::time::Instant;

use captest_analyze::{Entry, Run};
use captest_format::columns::{
    EVENTS_HEADER, EXCEPTIONS_HEADER, FAILURES_HEADER, HISTORY_HEADER, STATS_HEADER, STEPS_HEADER,
};
use captest_format::files::{self, prefixed};
use captest_runner::metrics::{
    new_latency_histogram, EntryRegistry, FailureKind, Recorder, RequestKey, RunClock, RunStats,
    Sample,
};
use captest_runner::sink::{write_events_csv, write_steps_csv, LocustCsvFiles};
use captest_runner::steps::StepResult;

/// Seconds of history the run writes (analyze needs two Aggregated rows at least).
const SECONDS: i64 = 3;
/// Requests recorded per entry per second; every fourth `POST /b` fails.
const PER_SECOND: u64 = 8;
/// Users reported in the history.
const USERS: usize = 2;

/// Writes a small run with the runner's own writer types under `prefix`: two entries over
/// [`SECONDS`] seconds with full history, one step, and event weights (`GET /a`: 2 per request).
fn write_run(prefix: &Path) -> RunStats {
    let registry = EntryRegistry::new();
    let ids = [
        registry.intern(&RequestKey::new("GET", "/a")),
        registry.intern(&RequestKey::new("POST", "/b")),
    ];
    let mut stats = RunStats::new(registry, RunClock::start());
    let mut csv = LocustCsvFiles::create(prefix, true).expect("create the run's files");
    let recorder = Recorder::new();
    let mut shards = Vec::new();
    let start = stats.start().floor() as i64;
    for second in start..start + SECONDS {
        for n in 0..PER_SECOND {
            for (k, id) in ids.iter().enumerate() {
                recorder.record(Sample {
                    entry: *id,
                    elapsed_ns: (10 + n) * 1_000_000,
                    content_length: 100,
                    finished: Instant::now(),
                    failure: (k == 1 && n % 4 == 0).then_some(FailureKind::Status(500)),
                    events: if k == 0 { 2.0 } else { 0.0 },
                });
            }
        }
        recorder.drain(&mut shards);
        stats.absorb(second, &shards);
        shards.clear();
        csv.write_interval(&stats, second, USERS)
            .expect("write an interval");
    }
    let step = StepResult {
        index: 0,
        level: USERS as f64,
        users: USERS,
        start: start as f64,
        end: (start + SECONDS) as f64,
        steady_seconds: SECONDS as u64,
        requests: 2 * PER_SECOND * SECONDS as u64,
        failures: 2 * SECONDS as u64,
        events: 0.0,
        latency: new_latency_histogram(),
        stop_reason: Some("duration reached".to_owned()),
    };
    write_steps_csv(&prefixed(prefix, files::STEPS), &[step], false, false)
        .expect("write the steps");
    write_events_csv(&prefixed(prefix, files::EVENTS), &stats, &[2.0, 0.0])
        .expect("write the events");
    stats
}

/// The first line of `PREFIX` + `suffix`, split into cells.
fn header_of(prefix: &Path, suffix: &str) -> Vec<String> {
    let text = std::fs::read_to_string(prefixed(prefix, suffix)).expect("a written file");
    let line = text.lines().next().expect("a header line");
    line.split(',').map(str::to_owned).collect()
}

#[test]
fn every_file_the_runner_writes_has_the_header_of_the_format_crate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("run");
    write_run(&prefix);
    for (suffix, header) in [
        (files::STATS, &STATS_HEADER[..]),
        (files::HISTORY, &HISTORY_HEADER[..]),
        (files::FAILURES, &FAILURES_HEADER[..]),
        (files::EXCEPTIONS, &EXCEPTIONS_HEADER[..]),
        (files::STEPS, &STEPS_HEADER[..]),
        (files::EVENTS, &EVENTS_HEADER[..]),
    ] {
        assert_eq!(header_of(&prefix, suffix), header, "{suffix}");
    }
}

#[test]
fn analyze_reads_back_every_file_the_runner_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("run");
    write_run(&prefix);
    // Found from any of its files, as from its prefix.
    let run = Run::load(&prefixed(&prefix, files::HISTORY)).expect("analyze reads the run");
    assert_eq!(run.files.prefix, prefix);
    let get_a = Entry::from_row("GET", "/a");
    let post_b = Entry::from_row("POST", "/b");

    let history = run.history.as_ref().expect("the history");
    assert_eq!(history.aggregated.len(), SECONDS as usize);
    let keys: Vec<&Entry> = history.entries.keys().collect();
    assert_eq!(keys, [&get_a, &post_b], "full history: one group per entry");
    let last = history.aggregated.last().expect("a row");
    let total = (2 * PER_SECOND * SECONDS as u64) as f64;
    assert_eq!(
        (last.user_count, last.total_requests, last.total_failures),
        (USERS as f64, total, 2.0 * SECONDS as f64)
    );

    let entries: Vec<&Entry> = run.stats.iter().map(|r| &r.entry).collect();
    assert_eq!(entries, [&get_a, &post_b, &Entry::Aggregated]);
    let aggregated = run.aggregated_stats().expect("the Aggregated row");
    assert_eq!(
        (aggregated.requests, aggregated.failures),
        (total, 2.0 * SECONDS as f64)
    );

    assert_eq!(run.failures.len(), 1);
    assert_eq!(run.failures[0].entry, post_b);
    assert_eq!(run.failures[0].occurrences, 2.0 * SECONDS as f64);
    assert!(run.exceptions.is_empty());

    assert_eq!(run.steps.len(), 1);
    assert_eq!(run.steps[0].users, USERS as f64);
    assert_eq!(run.steps[0].stop_reason, "duration reached");

    assert_eq!(run.event_weights, [(get_a.to_string(), 2.0)]);
}
