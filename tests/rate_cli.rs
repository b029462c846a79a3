//! Open-model `captest rate` and staged `captest run` against the demo server: latency measured
//! from the intended start shows a stalled server (coordinated omission), and the user count
//! follows the stages second by second.

mod support;

use support::*;

fn aggregated_p99(prefix: &std::path::Path) -> f64 {
    let stats = read_csv(&with_suffix(prefix, "_stats.csv"));
    let row = stats
        .iter()
        .find(|r| r["Name"] == "Aggregated")
        .expect("Aggregated row");
    row["99%"].parse().expect("a p99")
}

#[test]
fn a_stalled_server_shows_in_the_open_model_p99_but_hides_from_the_closed_model() {
    // The whole server pauses 500 ms every 5 s.
    let server = DemoServer::start(&[
        "--capacity",
        "16",
        "--service-time",
        "2ms",
        "--stall-every",
        "5s",
        "--stall-for",
        "500ms",
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    let open = dir.path().join("open");
    let output = run_captest(&[
        "rate",
        "--host",
        &server.url,
        "--path",
        "/item/3",
        "--rps",
        "200",
        "-t",
        "11s",
        "-q",
        "--csv",
        open.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let closed = dir.path().join("closed");
    // About the same throughput from 4 users pausing 18 ms between requests.
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/item/3",
        "-u",
        "4",
        "-r",
        "4",
        "--wait",
        "18ms",
        "-t",
        "11s",
        "-q",
        "--csv",
        closed.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let open_p99 = aggregated_p99(&open);
    let closed_p99 = aggregated_p99(&closed);
    assert!(
        open_p99 >= 400.0,
        "the stall is visible at p99: {open_p99} ms"
    );
    assert!(
        closed_p99 * 4.0 < open_p99,
        "the closed model hides it: closed {closed_p99} ms vs open {open_p99} ms"
    );
}

/// The staged level at `t` seconds for `30s:1,...`-style stages (linear ramps).
fn staged(stages: &[(f64, f64)], t: f64) -> f64 {
    let (mut start, mut from) = (0.0, 0.0);
    for (length, to) in stages {
        if t <= start + length {
            return from + (to - from) * (t - start) / length;
        }
        start += length;
        from = *to;
    }
    from
}

#[test]
fn history_user_count_follows_linear_stages() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("stages");
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/health",
        "--wait",
        "100ms",
        "--stages",
        "4s:8,2s:8,2s:2",
        "-r",
        "100",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let history = read_csv(&with_suffix(&prefix, "_stats_history.csv"));
    let stages = [(4.0, 8.0), (2.0, 8.0), (2.0, 2.0)];
    let first: f64 = history[0]["Timestamp"].parse().expect("timestamp");
    assert!(history.len() >= 8, "{} rows", history.len());
    for row in &history {
        let t: f64 = row["Timestamp"].parse::<f64>().expect("timestamp") - first;
        let users: f64 = row["User Count"].parse().expect("users");
        if t > 8.0 {
            // The final batch, written after the users stopped.
            continue;
        }
        // The run started within the first second: the level lies between the shape at t-1 and t.
        let (a, b) = (staged(&stages, (t - 1.0).max(0.0)), staged(&stages, t));
        let (low, high) = (a.min(b).floor() - 1.0, a.max(b).ceil() + 1.0);
        assert!(
            (low..=high).contains(&users),
            "at +{t}s: {users} users, shape says {a:.1}..{b:.1}"
        );
    }
    assert!(history.iter().any(|r| r["User Count"] == "8"));
}
