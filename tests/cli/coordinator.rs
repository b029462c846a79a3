//! Live distributed runs end to end: `captest coordinator` and three shards joining it
//! (`--coordinator URL`) against `captest demo-server`, on loopback. The coordinator's merged
//! files are those `captest merge` writes from the shards' bundles, byte for byte; a step rule
//! on the merged figures stops every shard; a killed shard is reported and the run goes on; a
//! shard of another run is refused.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use crate::shards::{aggregated_requests, check_merged, merge};
use crate::support::coordinated::{end_shard, start_shard, CoordinatorProcess};
use crate::support::prometheus::http_get;
use crate::support::{closed_port, read_csv, signal, DemoServer};
use captest_format::files;

/// Starts `count` shards of `command` joining `coordinator`.
fn shards(
    dir: &Path,
    count: usize,
    command: &[&str],
    server: &DemoServer,
    coordinator: &CoordinatorProcess,
) -> Vec<(PathBuf, Child)> {
    (0..count)
        .map(|i| start_shard(dir, i, count, command, server, &coordinator.url))
        .collect()
}

/// Waits until shard `index` (bundle at `prefix`) has reported `seconds` seconds (at most
/// 15 s), then SIGKILLs it.
fn kill_after_reports(prefix: &Path, shard: Child, seconds: usize, index: usize) {
    let lines = files::prefixed(prefix, files::SHARD_SECONDS);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::fs::read_to_string(&lines).map_or(0, |t| t.lines().count()) < seconds {
        assert!(
            std::time::Instant::now() < deadline,
            "shard {index} reported nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(&shard, "KILL");
    let _ = end_shard(shard);
}

/// Every file of the run under `prefix`, by file name ending.
fn run_files(prefix: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = prefix.parent().expect("a directory");
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("the run's directory")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read(&path).ok()?))
        })
        .collect();
    found.sort();
    found
}

/// The coordinator's files are those of `captest merge` of the shards' bundles.
fn assert_same_as_merge(dir: &Path, coordinated: &Path, prefixes: &[PathBuf]) {
    let merged = merge(&dir.join("by-merge"), prefixes);
    let live = run_files(coordinated);
    let replayed = run_files(&merged);
    let names: Vec<&String> = live.iter().map(|(name, _)| name).collect();
    assert!(names.len() >= 6, "{names:?}");
    assert_eq!(names, replayed.iter().map(|(n, _)| n).collect::<Vec<_>>());
    for ((name, bytes), (_, expected)) in live.iter().zip(&replayed) {
        assert!(bytes == expected, "{name} differs from captest merge's");
    }
}

/// Each line of a shard's `_shard_seconds.jsonl`: its `now` and the requests it holds.
fn seconds(prefix: &Path) -> Vec<(i64, u64)> {
    std::fs::read_to_string(files::prefixed(prefix, files::SHARD_SECONDS))
        .expect("a shard's seconds")
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|line| {
            let entries = line["entries"].as_array().cloned().unwrap_or_default();
            let requests = entries.iter().filter_map(|e| e["requests"].as_u64()).sum();
            (line["now"].as_i64().unwrap_or_default(), requests)
        })
        .collect()
}

fn meta(prefix: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(files::prefixed(prefix, files::SHARD_META)).expect("a _shard.json");
    serde_json::from_str(&text).expect("JSON")
}

/// The coordinator's `--metrics` serves the merged requests while the run goes.
fn merged_requests_are_served(address: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let body = http_get(address, "/metrics")
            .map(|(_, body)| body)
            .unwrap_or_default();
        let counted: u64 = body
            .lines()
            .filter(|l| l.starts_with("captest_requests_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        if counted > 0 {
            assert!(body.contains("command=\"coordinator\""), "{body}");
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no merged requests served: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn three_shards_and_a_coordinator_write_what_merge_writes() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = ["run", "-u", "7", "-r", "7", "-t", "3s"];
    let metrics = format!("127.0.0.1:{}", closed_port());
    let flag = format!("--metrics={metrics}");
    let with_metrics = [&command[..], &[flag.as_str()]].concat();
    let coordinator = CoordinatorProcess::start(dir.path(), 3, &[], &with_metrics, &server);
    let started = shards(dir.path(), 3, &command, &server, &coordinator);
    merged_requests_are_served(&metrics);
    let mut prefixes = Vec::new();
    for (prefix, child) in started {
        let (code, stderr) = end_shard(child);
        assert_eq!(code, Some(0), "a shard exits cleanly: {stderr}");
        prefixes.push(prefix);
    }
    let merged = coordinator.merged.clone();
    let ended = coordinator.wait(Duration::from_secs(20));
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert!(
        ended.stderr.contains("every shard registered"),
        "{}",
        ended.stderr
    );
    assert!(
        ended.stdout.contains("Aggregated"),
        "a live view: {}",
        ended.stdout
    );
    check_merged(&server, &prefixes, &merged);
    assert_same_as_merge(dir.path(), &merged, &prefixes);
}

#[test]
fn a_step_rule_on_the_merged_figures_stops_every_shard() {
    // 8 requests at once, 20 ms each: 400 req/s at most; 6 more users a step saturate it.
    let server = DemoServer::start(&["--capacity", "8", "--service-time", "20ms"]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = [
        "step",
        "--path",
        "/item/1",
        "--start",
        "6",
        "--step",
        "6",
        "--every",
        "3s",
        "--max-users",
        "60",
        "--settle",
        "1s",
        "--stop-on",
        "rps-growth<5%",
    ];
    let coordinator = CoordinatorProcess::start(dir.path(), 3, &[], &command, &server);
    let started = shards(dir.path(), 3, &command, &server, &coordinator);
    let mut prefixes = Vec::new();
    for (prefix, child) in started {
        let (code, stderr) = end_shard(child);
        assert_eq!(code, Some(0), "a shard exits cleanly: {stderr}");
        prefixes.push(prefix);
    }
    let merged = coordinator.merged.clone();
    let ended = coordinator.wait(Duration::from_secs(20));
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    let steps = read_csv(&files::prefixed(&merged, files::STEPS));
    let last = steps.last().expect("merged steps");
    let reason = last["Stop Reason"].clone();
    assert!(reason.contains("throughput"), "{steps:?}");
    assert!(steps.len() < 10, "stopped before --max-users: {steps:?}");
    assert!(ended
        .stdout
        .contains(&format!("stopped every shard: {reason}")));
    // Every shard ended for the merged rule, its last request within 2 s of the end of the
    // step the rule fired at (a bundle line's `now` ends the second its requests landed in).
    let step_end: f64 = last["End"].parse().expect("a step end");
    for prefix in &prefixes {
        assert_eq!(
            meta(prefix)["ended"],
            reason.as_str(),
            "{}",
            prefix.display()
        );
        let last_busy = seconds(prefix)
            .iter()
            .filter(|(_, requests)| *requests > 0)
            .map(|(now, _)| *now)
            .max()
            .expect("a second with requests");
        assert!(
            last_busy as f64 - step_end <= 2.0,
            "{}: requests until {last_busy}, the rule fired at {step_end}",
            prefix.display()
        );
    }
    assert_same_as_merge(dir.path(), &merged, &prefixes);
}

#[test]
fn a_killed_shard_is_reported_and_the_run_goes_on_with_the_others() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = ["run", "-u", "6", "-r", "6", "-t", "6s"];
    let extra = ["--lost-after", "2s"];
    let coordinator = CoordinatorProcess::start(dir.path(), 3, &extra, &command, &server);
    let mut started = shards(dir.path(), 3, &command, &server, &coordinator);
    // Wait until the killed shard has reported a few seconds.
    let (killed_prefix, killed) = started.remove(1);
    kill_after_reports(&killed_prefix, killed, 3, 1);
    let mut survivors = Vec::new();
    for (prefix, child) in started {
        let (code, stderr) = end_shard(child);
        assert_eq!(code, Some(0), "a shard exits cleanly: {stderr}");
        survivors.push(prefix);
    }
    let merged = coordinator.merged.clone();
    let ended = coordinator.wait(Duration::from_secs(20));
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert!(ended.stderr.contains("shard 1 lost"), "{}", ended.stderr);
    let position = &meta(&merged)["shard"];
    assert_eq!(position["lost"], serde_json::json!([1]), "{position}");
    assert_eq!(position["partial"], true);
    // Everything the killed shard reported is in: its bundle holds what it wrote, and it posted
    // each line right after writing it (the last one may not have left).
    let survived: u64 = survivors.iter().map(|p| aggregated_requests(p)).sum();
    let per_line: Vec<u64> = seconds(&killed_prefix).iter().map(|(_, r)| *r).collect();
    let written: u64 = per_line.iter().sum();
    let from_killed = aggregated_requests(&merged) - survived;
    let last = per_line.last().copied().unwrap_or_default();
    assert!(written > 0, "the killed shard sent load");
    assert!(
        from_killed == written || from_killed == written - last,
        "{from_killed} of the killed shard's requests merged, {written} written"
    );
}

#[test]
fn a_shard_of_another_run_is_refused() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = ["run", "-u", "6", "-t", "2s"];
    let coordinator = CoordinatorProcess::start(dir.path(), 2, &[], &command, &server);
    let other = ["run", "-u", "7", "-t", "2s"];
    let (_, child) = start_shard(dir.path(), 0, 2, &other, &server, &coordinator.url);
    let (code, stderr) = end_shard(child);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("refused this shard: not a shard of this run"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    let (_, child) = start_shard(dir.path(), 0, 3, &command, &server, &coordinator.url);
    let (code, stderr) = end_shard(child);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("expects 2 shards"), "{stderr}");
}

#[test]
fn with_require_all_shards_a_lost_shard_stops_the_run() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = ["run", "-u", "4", "-r", "4", "-t", "20s"];
    let extra = ["--lost-after", "2s", "--require-all-shards"];
    let coordinator = CoordinatorProcess::start(dir.path(), 3, &extra, &command, &server);
    let mut started = shards(dir.path(), 3, &command, &server, &coordinator);
    let (killed_prefix, killed) = started.remove(2);
    kill_after_reports(&killed_prefix, killed, 2, 2);
    for (prefix, child) in started {
        let (code, stderr) = end_shard(child);
        assert_eq!(code, Some(0), "a shard exits cleanly: {stderr}");
        let ended = meta(&prefix)["ended"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(ended, "shard 2 lost (--require-all-shards)");
        // Stopped long before its 20 s.
        let busy = seconds(&prefix).iter().filter(|(_, r)| *r > 0).count();
        assert!(busy < 12, "{} busy seconds", busy);
    }
    let ended = coordinator.wait(Duration::from_secs(20));
    assert_eq!(ended.code, Some(4), "{}", ended.stderr);
    assert!(ended.stderr.contains("shard 2 lost"), "{}", ended.stderr);
}

#[test]
fn abort_on_fail_judges_the_merged_figures_and_stops_every_shard() {
    let server = DemoServer::start(&["--error-rate", "0.5"]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = ["run", "-u", "3", "-r", "3", "-t", "20s"];
    let gate = ["--threshold", "errors<1%", "--abort-on-fail"];
    let judged = [&command[..], &gate[..]].concat();
    let coordinator = CoordinatorProcess::start(dir.path(), 3, &[], &judged, &server);
    let started = shards(dir.path(), 3, &command, &server, &coordinator);
    for (prefix, child) in started {
        let (code, stderr) = end_shard(child);
        // The shard's own requests failed (Locust's exit code 1), and it stopped early.
        assert_eq!(code, Some(1), "{stderr}");
        let ended = meta(&prefix)["ended"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(ended.contains("errors<1%"), "{ended}");
        assert!(
            seconds(&prefix).len() < 10,
            "{} stopped early",
            prefix.display()
        );
    }
    let ended = coordinator.wait(Duration::from_secs(20));
    assert_eq!(
        ended.code,
        Some(1),
        "a crossed gate: {}\n{}",
        ended.stdout,
        ended.stderr
    );
    assert!(
        ended.stdout.contains("stopped every shard: "),
        "{}",
        ended.stdout
    );
}

#[test]
fn shards_that_lose_their_coordinator_go_on_alone_and_keep_every_second() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let command = ["run", "-u", "4", "-r", "4", "-t", "5s"];
    let mut coordinator = CoordinatorProcess::start(dir.path(), 2, &[], &command, &server);
    let started = shards(dir.path(), 2, &command, &server, &coordinator);
    let lines = files::prefixed(&started[0].0, files::SHARD_SECONDS);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::fs::read_to_string(&lines).map_or(0, |t| t.lines().count()) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "shard 0 reported nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    coordinator.kill();
    let mut prefixes = Vec::new();
    for (prefix, child) in started {
        let (code, stderr) = end_shard(child);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stderr.contains("went on alone"), "{stderr}");
        assert_eq!(meta(&prefix)["ended"], "time limit reached");
        prefixes.push(prefix);
    }
    // Their bundles hold the whole run: the merge counts what the server received.
    let merged = merge(&dir.path().join("after"), &prefixes);
    check_merged(&server, &prefixes, &merged);
}
