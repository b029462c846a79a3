//! A target that accepts and never answers: the requests still in flight when the run stops
//! are counted as `RunEnded` failures, and the summary's duration is the run's true length.

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use crate::support::{captest, cores, read_csv, wait_for_exit, with_suffix};
use captest_format::columns::{ERROR, FAILURE_COUNT, NAME, OCCURRENCES, REQUEST_COUNT};
use captest_format::files;

const RUN_ENDED: &str = "RunEnded('request in flight when the run stopped')";

/// A loopback server that accepts every connection and holds it, reading nothing, answering
/// nothing (until the test process ends).
fn silent_target() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    address
}

/// Runs `captest ARGS` (2 s of load, 2 s of stop timeout) against a silent target and checks
/// that its `in_flight` requests are RunEnded failures and the printed duration is 4 s.
fn run_against_silence(args: &[&str], in_flight: std::ops::RangeInclusive<u64>) {
    let _load = cores::Load::start();
    let address = silent_target();
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("silent");
    let started = Instant::now();
    let mut child = captest()
        .args(args)
        .args(["--host", &format!("http://{address}")])
        .args(["-t", "2s", "--timeout", "60s", "--stop-timeout", "2s"])
        .args(["--csv", prefix.to_str().expect("utf-8")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("captest starts");
    let code = wait_for_exit(&mut child, Duration::from_secs(30)).code();
    let took = started.elapsed();
    let mut stdout = String::new();
    use std::io::Read;
    let _ = child
        .stdout
        .take()
        .map(|mut s| s.read_to_string(&mut stdout));
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .map(|mut s| s.read_to_string(&mut stderr));
    assert_eq!(code, Some(1), "in-flight requests are failures: {stdout}");
    assert!(
        took >= Duration::from_secs(4),
        "2 s of load and 2 s to finish: {took:?}"
    );
    assert!(
        stdout.contains("Run finished after 00:00:04"),
        "the true duration (load and stop timeout): {stdout}"
    );
    assert!(stdout.contains(RUN_ENDED), "in the summary: {stdout}");
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let total = stats
        .iter()
        .find(|r| r[NAME] == "Aggregated")
        .expect("Aggregated");
    let requests: u64 = total[REQUEST_COUNT].parse().expect("a count");
    assert!(in_flight.contains(&requests), "{stats:?}");
    assert_eq!(total[FAILURE_COUNT], total[REQUEST_COUNT], "{stats:?}");
    let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0][ERROR], RUN_ENDED);
    assert_eq!(failures[0][OCCURRENCES], total[REQUEST_COUNT]);
    let warning = format!(
        "warning: {} requests still in flight when the run stopped",
        total[REQUEST_COUNT]
    );
    assert!(stderr.contains(&warning), "named on stderr: {stderr}");
}

#[test]
fn users_in_flight_when_the_run_stops_are_run_ended_failures_and_the_duration_is_true() {
    // One request per user, never answered.
    run_against_silence(&["run", "-u", "2", "-r", "2"], 2..=2);
}

#[test]
fn open_model_iterations_in_flight_when_the_run_stops_are_run_ended_failures() {
    // 5 iterations a second for 2 s (9 or 10 by where the schedule's ticks fall), all left
    // waiting.
    run_against_silence(&["rate", "--rps", "5"], 9..=10);
}
