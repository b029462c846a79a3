//! A run handed over in memory is the run its files hold: the runner's tables are the files'
//! bytes, analyze reads the same figures from either, and `--threshold` on a live run agrees
//! with a later `captest check` of its files.

use std::path::Path;
use std::time::Instant;

use captest_analyze::compare::check;
use captest_analyze::{analyze, AnalyzeOptions, Percentiles, Run};
use captest_format::files::{self, prefixed};
use captest_format::{RunTables, Threshold};
use captest_runner::metrics::{
    EntryRegistry, FailureKind, Recorder, RequestKey, RunClock, RunStats, Sample,
};
use captest_runner::sink::{run_tables, write_events_csv, write_steps_csv, LocustCsvFiles};
use captest_runner::steps::StepResult;

use crate::support::*;

/// Event weights of the two entries (`GET /a` carries 2 events a request).
const WEIGHTS: [f64; 2] = [2.0, 0.0];

/// Records `seconds` seconds of two entries (every fourth `POST /b` fails) with the runner's
/// writer, files under `prefix` and the history kept in memory; returns the tables handed over.
fn record_run(prefix: &Path, seconds: i64) -> RunTables {
    let registry = EntryRegistry::new();
    let ids = [
        registry.intern(&RequestKey::new("GET", "/a")),
        registry.intern(&RequestKey::new("POST", "/b")),
    ];
    let mut stats = RunStats::new(registry, RunClock::start());
    let mut csv = LocustCsvFiles::create(prefix, true)
        .expect("create the run's files")
        .keeping_history();
    let recorder = Recorder::new();
    let mut shards = Vec::new();
    let start = stats.start().floor() as i64;
    // The run's response times at full resolution, for its one step.
    let mut latency = hdrhistogram::Histogram::<u64>::new(3).expect("3 digits");
    for second in start..start + seconds {
        for n in 0..40u64 {
            for (k, id) in ids.iter().enumerate() {
                recorder.record(Sample {
                    entry: *id,
                    elapsed_ns: (5 + n * 3 + second as u64 % 7) * 1_000_000,
                    content_length: 100 + n,
                    finished: Instant::now(),
                    failure: (k == 1 && n % 4 == 0).then_some(FailureKind::Status(500)),
                    events: if k == 0 { 2.0 } else { 0.0 },
                });
            }
        }
        recorder.drain(&mut shards);
        stats.absorb(second, &shards);
        latency
            .add(&stats.last_second().0.hdr)
            .expect("auto-resizing");
        shards.clear();
        csv.write_interval(&stats, second, 2)
            .expect("write an interval");
    }
    let steps = steps_of(&stats, start, seconds, latency);
    write_steps_csv(&prefixed(prefix, files::STEPS), &steps, false, true).expect("steps");
    write_events_csv(&prefixed(prefix, files::EVENTS), &stats, &WEIGHTS).expect("events");
    let history = csv.take_history().expect("the history was kept");
    run_tables(history, &stats, &steps, false, &WEIGHTS)
}

/// One step over the whole run, with its `latency`.
fn steps_of(
    stats: &RunStats,
    start: i64,
    seconds: i64,
    latency: hdrhistogram::Histogram<u64>,
) -> Vec<StepResult> {
    let total = stats.total();
    vec![StepResult {
        index: 0,
        level: 2.0,
        users: 2,
        start: start as f64,
        end: (start + seconds) as f64,
        steady_seconds: seconds as u64,
        requests: total.total.requests,
        failures: total.total.failures,
        events: 0.0,
        latency,
        stop_reason: Some("duration reached".to_owned()),
    }]
}

#[test]
fn the_tables_in_memory_are_the_files_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("run");
    let tables = record_run(&prefix, 4);
    for suffix in [
        files::STATS,
        files::HISTORY,
        files::FAILURES,
        files::EXCEPTIONS,
        files::STEPS,
        files::EVENTS,
    ] {
        let written = std::fs::read(prefixed(&prefix, suffix)).expect("a written file");
        assert_eq!(tables.table(suffix), Some(&written[..]), "{suffix}");
    }
}

#[test]
fn analyze_reads_the_same_figures_from_the_tables_as_from_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("run");
    let tables = record_run(&prefix, 6);
    let gates: Vec<Threshold> = [
        "p95<40ms",
        "avg<30ms",
        "errors<5%",
        "GET /a:max<2s",
        "rps>1",
    ]
    .iter()
    .map(|t| t.parse().expect("a threshold"))
    .collect();
    let from_files = Run::load(&prefix).expect("the files");
    let in_memory = Run::from_tables(&prefix, &tables, Percentiles::All).expect("the tables");
    assert_eq!(
        check(&in_memory, &gates, &[]),
        check(&from_files, &gates, &[]),
        "the gates"
    );
    let named = Run::from_tables(&prefix, &tables, Percentiles::Named).expect("the tables");
    let named_files = Run::load_with(&prefix, Percentiles::Named).expect("the files");
    let options = AnalyzeOptions::default();
    assert_eq!(
        analyze(&named, &options).expect("analysis"),
        analyze(&named_files, &options).expect("analysis"),
        "the analysis the report is made of"
    );
    assert_eq!(in_memory.files, from_files.files, "the same files named");
}

#[test]
fn threshold_on_a_live_run_agrees_with_a_later_check_of_its_files() {
    let server = DemoServer::start(&["--service-time", "5ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("live");
    let prefix_text = prefix.to_str().expect("utf-8");
    let gates = [
        "--threshold",
        "p95<1ms",
        "--threshold",
        "avg<1s",
        "--threshold",
        "errors<1%",
        "--threshold",
        "rps>1",
    ];
    let live = run_captest(
        &[
            &[
                "run",
                "--host",
                server.url.as_str(),
                "--path",
                "/items",
                "-u",
                "2",
                "-r",
                "2",
                "-t",
                "3s",
                "-q",
                "--csv",
                prefix_text,
            ][..],
            &gates[..],
        ]
        .concat(),
    );
    assert_eq!(live.status.code(), Some(1), "p95<1ms fails: {live:?}");
    let later = run_captest(&[&["check", prefix_text][..], &gates[..]].concat());
    assert_eq!(later.status.code(), Some(1), "{later:?}");
    let live_text = String::from_utf8_lossy(&live.stdout);
    let later_text = String::from_utf8_lossy(&later.stdout);
    assert!(later_text.contains("p95<1ms"), "{later_text}");
    assert_eq!(
        live_text.trim(),
        later_text.trim(),
        "the same gates, figures and verdicts"
    );
}
