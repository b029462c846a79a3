//! Runs that ask for too much or carry a scenario mistake: an absurd arrival rate is refused, a
//! high one ends on time (and on SIGTERM) with bounded memory, and a template that fails at run
//! time is counted apart from requests and backed off instead of spinning.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::scenario::{assert_refused_at_load, write};
use crate::support::*;
use captest_format::columns::{NAME, REQUEST_COUNT};
use captest_format::files;

/// The highest rate `rate` accepts, as its --help says.
const MAX_RATE: &str = "1000000";

/// The resident set of process `pid` in KiB (0 once it is gone).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Waits for `child` to exit within `limit`, sampling its RSS; returns the exit code and the
/// highest RSS seen, KiB.
fn watch(child: &mut Child, limit: Duration) -> (Option<i32>, u64) {
    let started = Instant::now();
    let mut peak = 0;
    loop {
        peak = peak.max(rss_kib(child.id()));
        if let Some(exit) = child.try_wait().expect("wait") {
            return (exit.code(), peak);
        }
        assert!(
            started.elapsed() < limit,
            "captest did not stop within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `captest rate` at `rps` against `url` with `extra` flags, its output discarded.
fn spawn_rate(url: &str, rps: &str, extra: &[&str]) -> Child {
    captest()
        .args([
            "rate", "--host", url, "--path", "/health", "--rps", rps, "-q",
        ])
        .args(["--max-in-flight", "64"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("captest rate starts")
}

/// The Aggregated request count of a run's `_stats.csv`.
fn aggregated_requests(prefix: &std::path::Path) -> f64 {
    let stats = read_csv(&with_suffix(prefix, files::STATS));
    let row = stats
        .iter()
        .find(|r| r[NAME] == "Aggregated")
        .expect("an Aggregated row");
    number(row, REQUEST_COUNT)
}

#[test]
fn absurd_arrival_rates_are_refused_in_one_line() {
    let host = format!("http://127.0.0.1:{}", closed_port());
    let cases: [&[&str]; 4] = [
        &["rate", "--rps", "1e10", "-t", "2s"],
        &["rate", "--rps", "1000001", "-t", "2s"],
        &["rate", "--rps-stages", "1s:10,1s:5e6", "-t", "2s"],
        &["step", "--rate", "--start", "2e6", "--every", "5s"],
    ];
    for args in cases {
        let started = Instant::now();
        let mut all = args.to_vec();
        all.extend(["--host", &host, "--path", "/"]);
        let output = run_captest(&all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(MAX_RATE) && stderr.contains("requests per second"),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{args:?}: one line: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{args:?}: refused at once"
        );
    }
    let help = run_captest(&["rate", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains(MAX_RATE));
}

#[test]
fn the_highest_rate_ends_on_time_with_bounded_memory() {
    // The dispatcher cannot start a million iterations a second on this machine: it starts what
    // it can, counts the rest as dropped, and still ends at -t with its memory bounded.
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("max");
    let prefix_text = prefix.to_str().expect("utf-8");
    let started = Instant::now();
    let mut child = spawn_rate(&server.url, MAX_RATE, &["-t", "2s", "--csv", prefix_text]);
    let (code, peak_kib) = watch(&mut child, Duration::from_secs(20));
    let took = started.elapsed();
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}");
    assert!(took < Duration::from_secs(6), "a 2 s run took {took:?}");
    assert!(peak_kib < 128 * 1024, "RSS reached {peak_kib} KiB");
    let requests = aggregated_requests(&prefix);
    let counted = server.counters()["total"].as_u64().expect("total");
    assert!(requests > 0.0, "requests were sent");
    assert!(
        counted as f64 >= requests,
        "server {counted} < counted {requests}"
    );
}

#[test]
fn sigterm_ends_a_high_rate_run_and_its_files_are_written() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("term");
    let prefix_text = prefix.to_str().expect("utf-8");
    // No -t: only the signal ends it.
    let mut child = spawn_rate(&server.url, MAX_RATE, &["--csv", prefix_text]);
    let stats = with_suffix(&prefix, files::STATS);
    let started = Instant::now();
    while !stats.exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, "TERM");
    let signalled = Instant::now();
    let (code, peak_kib) = watch(&mut child, Duration::from_secs(20));
    let took = signalled.elapsed();
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}");
    assert!(took < Duration::from_secs(4), "stopping took {took:?}");
    assert!(peak_kib < 128 * 1024, "RSS reached {peak_kib} KiB");
    assert!(
        aggregated_requests(&prefix) > 0.0,
        "the final stats were written"
    );
    assert!(with_suffix(&prefix, files::HISTORY).exists());
}

/// A one-class scenario whose single request is `request` (TOML keys, one per line).
fn scenario(data: &str, request: &str) -> String {
    format!("{data}[[users]]\nname = \"U\"\n[[users.tasks]]\n[[users.tasks.requests]]\n{request}\n")
}

#[test]
fn scenario_mistakes_found_at_load_time_name_file_line_and_field() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = "[data]\nusers = [{ id = 1 }]\n";
    let cases = [
        (
            "nopool.toml",
            scenario(pool, "path = \"/item/{{ next_row('nopool').id }}\""),
            ":7:",
            "no data pool named \"nopool\"",
        ),
        (
            "pointer.toml",
            scenario("", "path = \"/health\"\njson_exists = \"status\""),
            ":6:",
            "json_exists: JSON pointer \"status\" must start with '/'",
        ),
        (
            "capture.toml",
            scenario(
                "",
                "path = \"/health\"\ncapture = { token = { json = \"token\" } }",
            ),
            ":6:",
            "capture token: JSON pointer",
        ),
        (
            "status.toml",
            scenario("", "path = \"/health\"\nexpect = [200, 999]"),
            ":6:",
            "expect: status 999",
        ),
        (
            "json-len.toml",
            scenario(
                "",
                "path = \"/health\"\nevents = \"{{ json_len(body, 'events') }}\"\nbody = \"{}\"",
            ),
            ":5:",
            "json_len: JSON pointer",
        ),
        (
            "function.toml",
            scenario("", "path = \"/item/{{ no_such_function(1) }}\""),
            ":5:",
            "no_such_function",
        ),
    ];
    assert_refused_at_load(dir.path(), &server, &cases);
}

#[test]
fn a_template_failing_at_run_time_is_an_exception_not_a_request_and_backs_off() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    // random_int's bounds come from a variable: only running it shows they are reversed.
    let text = "[[users]]\nname = \"U\"\nvars = { low = 5 }\n[[users.tasks]]\n\
        [[users.tasks.requests]]\npath = \"/item/{{ random_int(low, 1) }}\"\nname = \"reversed\"\n\
        [[users.tasks.requests]]\npath = \"/health\"\n";
    let file = write(dir.path(), "reversed.toml", text);
    let prefix = dir.path().join("reversed");
    let output = run_captest(&[
        "run",
        file.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "3s",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "exceptions fail the run, as in Locust: {stderr}"
    );
    assert!(stdout.contains("Template errors"), "{stdout}");
    assert!(stderr.contains("random_int: needs low <= high"), "{stderr}");
    let exceptions = read_csv(&with_suffix(&prefix, files::EXCEPTIONS));
    assert_eq!(exceptions.len(), 1, "{exceptions:?}");
    let row = &exceptions[0];
    assert!(
        row["Message"].contains("random_int: needs low <= high"),
        "{row:?}"
    );
    assert!(row["Traceback"].contains("GET reversed"), "{row:?}");
    // Two users, 3 s, at least 1 s between tries: a handful, not hundreds of thousands.
    let count = number(row, "Count");
    assert!((2.0..=10.0).contains(&count), "{count} template errors");
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    assert!(
        stats.iter().all(|r| r[NAME] != "reversed"),
        "the unsent request is no entry: {stats:?}"
    );
    let health = aggregated_requests(&prefix);
    let counted = server.counters()["total"].as_u64().expect("total") as f64;
    assert_eq!(
        health, counted,
        "the server saw exactly the requests counted"
    );
}
