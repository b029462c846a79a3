//! A target that accepts and never answers: the requests still in flight when the run stops
//! are counted as `RunEnded` failures, and the summary's duration is the run's true length.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::support::{captest, cores, read_csv, wait_for_exit, with_suffix};
use captest_format::columns::{ERROR, FAILURE_COUNT, NAME, OCCURRENCES, REQUEST_COUNT};
use captest_format::files;

#[test]
fn requests_in_flight_when_the_run_stops_are_run_ended_failures_and_the_duration_is_true() {
    let _load = cores::Load::start();
    // Accepts every connection and holds it, reading nothing, answering nothing.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("silent");
    let started = Instant::now();
    let mut child = captest()
        .args([
            "run",
            "--host",
            &format!("http://{address}"),
            "-u",
            "2",
            "-r",
            "2",
        ])
        .args(["-t", "2s", "--timeout", "60s", "--stop-timeout", "2s"])
        .args(["--csv", prefix.to_str().expect("utf-8")])
        .stdout(std::process::Stdio::piped())
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
    assert_eq!(code, Some(1), "in-flight requests are failures: {stdout}");
    assert!(
        took >= Duration::from_secs(4),
        "2 s of load and 2 s to finish: {took:?}"
    );
    assert!(
        stdout.contains("Run finished after 00:00:04"),
        "the true duration (load and stop timeout): {stdout}"
    );
    assert!(
        stdout.contains("RunEnded('request in flight when the run stopped')"),
        "{stdout}"
    );
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let total = stats
        .iter()
        .find(|r| r[NAME] == "Aggregated")
        .expect("Aggregated");
    assert_eq!(
        total[REQUEST_COUNT], "2",
        "one request per user, in flight: {stats:?}"
    );
    assert_eq!(total[FAILURE_COUNT], "2", "{stats:?}");
    let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(
        failures[0][ERROR],
        "RunEnded('request in flight when the run stopped')"
    );
    assert_eq!(failures[0][OCCURRENCES], "2");
}
