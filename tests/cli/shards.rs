//! Sharded runs end to end: three `captest run|rate --shard I/3` processes on one start clock
//! against `captest demo-server`, then `captest merge`: the merged run counts every request the
//! server received, and its percentiles are those of the shards' histograms added up.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use crate::support::{captest, read_csv, run_captest, wait_for_exit, DemoServer};
use captest_analyze::LatencyLog;
use captest_format::{files, Entry};
use hdrhistogram::Histogram;

/// Runs `command` (`run …` or `rate …`) as three shards starting together; their prefixes.
fn run_shards(dir: &Path, server: &DemoServer, command: &[&str]) -> Vec<PathBuf> {
    let start_at = humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(3));
    let start_at = start_at.to_string();
    let prefixes: Vec<PathBuf> = (0..3).map(|i| dir.join(format!("shard-{i}/run"))).collect();
    let mut children: Vec<_> = prefixes
        .iter()
        .enumerate()
        .map(|(i, prefix)| {
            captest()
                .args(command)
                .args(["--host", &server.url, "-q", "--start-at", &start_at])
                .args(["--shard", &format!("{i}/3"), "--csv"])
                .arg(prefix)
                .stdout(Stdio::null())
                .spawn()
                .expect("a shard starts")
        })
        .collect();
    for child in &mut children {
        let status = wait_for_exit(child, Duration::from_secs(30));
        assert_eq!(status.code(), Some(0), "a shard exits cleanly");
    }
    prefixes
}

/// `captest merge` of `prefixes` (or their directories) into `dir/merged/run`.
pub(crate) fn merge(dir: &Path, shards: &[PathBuf]) -> PathBuf {
    let merged = dir.join("merged/run");
    let mut args = vec!["merge".to_owned()];
    args.extend(shards.iter().map(|p| p.display().to_string()));
    args.extend(["--csv".to_owned(), merged.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run_captest(&args);
    assert!(output.status.success(), "{output:?}");
    merged
}

pub(crate) fn aggregated_requests(prefix: &Path) -> u64 {
    let rows = read_csv(&files::prefixed(prefix, files::STATS));
    let row = rows
        .iter()
        .find(|r| r["Name"] == "Aggregated")
        .expect("an Aggregated row");
    row["Request Count"].parse().expect("a count")
}

fn whole_run(prefix: &Path) -> Histogram<u64> {
    let log = LatencyLog::read(&files::prefixed(prefix, files::LATENCY_HDR)).expect("a log");
    log.histogram(&Entry::Aggregated, f64::MIN, f64::MAX)
        .expect("requests were timed")
}

/// The merged run has every request the server received, as the shards' sum, and the p50, p95
/// and p99 of the shards' histograms added up.
pub(crate) fn check_merged(server: &DemoServer, shards: &[PathBuf], merged: &Path) {
    let received = server.counters()["total"].as_u64().expect("a total");
    assert!(received > 30, "the shards sent load: {received}");
    assert_eq!(aggregated_requests(merged), received);
    let sum: u64 = shards.iter().map(|p| aggregated_requests(p)).sum();
    assert_eq!(sum, received);
    let mut added = whole_run(&shards[0]);
    for shard in &shards[1..] {
        added.add(whole_run(shard)).expect("histograms add");
    }
    let merged = whole_run(merged);
    assert_eq!(merged.len(), received);
    for quantile in [0.5, 0.95, 0.99] {
        assert_eq!(
            merged.value_at_quantile(quantile),
            added.value_at_quantile(quantile),
            "p{}",
            quantile * 100.0
        );
    }
}

#[test]
fn three_user_shards_merge_to_what_the_server_received() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let shards = run_shards(
        dir.path(),
        &server,
        &["run", "-u", "7", "-r", "7", "-t", "3s"],
    );
    // Users split 3, 2, 2: each shard's history says so.
    let users: Vec<String> = shards
        .iter()
        .map(|p| {
            let rows = read_csv(&files::prefixed(p, files::HISTORY));
            rows.iter()
                .map(|r| r["User Count"].clone())
                .max()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(users, ["3", "2", "2"]);
    let dirs: Vec<PathBuf> = shards
        .iter()
        .filter_map(|p| p.parent().map(Path::to_owned))
        .collect();
    let merged = merge(dir.path(), &dirs);
    check_merged(&server, &shards, &merged);
    let rows = read_csv(&files::prefixed(&merged, files::HISTORY));
    let most = rows
        .iter()
        .filter_map(|r| r["User Count"].parse::<u64>().ok())
        .max();
    assert_eq!(most, Some(7), "the merged User Count is the shards' sum");
    partial_merge(dir.path(), &shards);
}

/// Shard 1 left out: an error naming it, unless `--allow-partial`, which marks the run partial
/// in its `_shard.json`, and `analyze` warns about it.
fn partial_merge(dir: &Path, shards: &[PathBuf]) {
    let (first, last) = (
        shards[0].display().to_string(),
        shards[2].display().to_string(),
    );
    let partial = dir.join("partial/run").display().to_string();
    let output = run_captest(&["merge", &first, &last, "--csv", &partial]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("shard 1 of 3 missing"), "{stderr}");
    let output = run_captest(&["merge", &first, &last, "--csv", &partial, "--allow-partial"]);
    assert!(output.status.success(), "{output:?}");
    let meta =
        std::fs::read_to_string(format!("{partial}{}", files::SHARD_META)).unwrap_or_default();
    assert!(meta.contains("\"partial\": true"), "{meta}");
    let output = run_captest(&["analyze", &partial]);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("partial run, 2 of 3 shards merged"),
        "{stderr}"
    );
}

#[test]
fn three_rate_shards_interleave_into_one_schedule() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let shards = run_shards(dir.path(), &server, &["rate", "--rps", "30", "-t", "3s"]);
    let merged = merge(dir.path(), &shards);
    check_merged(&server, &shards, &merged);
    // The arrivals of one 30/s schedule, dealt in turn: no shard has more than one more.
    let counts: Vec<u64> = shards.iter().map(|p| aggregated_requests(p)).collect();
    let (low, high) = (counts.iter().min(), counts.iter().max());
    assert!(high.zip(low).is_some_and(|(h, l)| h - l <= 2), "{counts:?}");
}

#[test]
fn merge_refuses_a_missing_shard_and_a_late_shard_exits_3() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("out/run").display().to_string();
    let output = run_captest(&["merge", "/nonexistent/shard-0/run", "--csv", &out]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let prefix = dir.path().join("late/run");
    let late = humantime::format_rfc3339_seconds(SystemTime::now() - Duration::from_secs(60));
    let output = run_captest(&[
        "run",
        "--host",
        "http://127.0.0.1:9",
        "-t",
        "1s",
        "--shard",
        "0/2",
        "--csv",
        &prefix.display().to_string(),
        "--start-at",
        &late.to_string(),
        "--start-grace",
        "5s",
    ]);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    for bad in ["2/2", "x"] {
        let output = run_captest(&["run", "--host", "http://127.0.0.1:9", "--shard", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}: {output:?}");
    }
    let output = run_captest(&["run", "--host", "http://127.0.0.1:9", "--shard", "0/2"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--shard needs --csv"), "{stderr}");
}

#[test]
fn a_sharded_step_run_merges_into_the_unsharded_steps() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = [
        "step",
        "--start",
        "3",
        "--step",
        "3",
        "--every",
        "3s",
        "--max-steps",
        "2",
        "--no-auto-stop",
    ];
    let shards = run_shards(dir.path(), &server, &command);
    let merged = merge(dir.path(), &shards);
    check_merged(&server, &shards, &merged);
    let steps = read_csv(&files::prefixed(&merged, files::STEPS));
    let users: Vec<&str> = steps.iter().map(|r| r["User Count"].as_str()).collect();
    assert_eq!(users, ["3", "6"], "the merged steps are the unsharded ones");
    let first = read_csv(&files::prefixed(&shards[0], files::STEPS));
    let users: Vec<&str> = first.iter().map(|r| r["User Count"].as_str()).collect();
    assert_eq!(users, ["1", "2"], "shard 0 ran its share of each step");
}
