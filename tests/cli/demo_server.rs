//! End-to-end tests of `captest demo-server` and of `captest run` against it: nothing is lost,
//! failures are what the server answered, history follows the load shape.

use crate::support::*;
use captest_format::columns::{
    ERROR, FAILURE_COUNT, NAME, OCCURRENCES, REQUEST_COUNT, TIMESTAMP, TOTAL_REQUEST_COUNT,
    USER_COUNT,
};
use captest_format::files;

fn stats_row<'a>(
    rows: &'a [std::collections::HashMap<String, String>],
    name: &str,
) -> &'a std::collections::HashMap<String, String> {
    rows.iter()
        .find(|r| r[NAME] == name)
        .unwrap_or_else(|| panic!("a {name} row"))
}

#[test]
fn nothing_lost_counts_equal_what_the_server_received() {
    let server = DemoServer::start(&[
        "--capacity",
        "16",
        "--service-time",
        "2ms",
        "--error-rate",
        "0.1",
        "--not-found-rate",
        "0.05",
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("lost");
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/items?limit=5",
        "-u",
        "8",
        "-r",
        "8",
        "-t",
        "3s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
        "--csv-full-history",
    ]);
    assert_eq!(output.status.code(), Some(1), "failures exit 1");
    let counters = server.counters();
    let route = &counters["routes"]["GET /items"];
    let received = route["count"].as_u64().expect("count");
    let errors =
        route["status"]["500"].as_u64().unwrap_or(0) + route["status"]["404"].as_u64().unwrap_or(0);
    assert!(received > 1_000, "a real load: {received}");
    assert_eq!(counters["total"].as_u64(), Some(received));

    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let entry = stats_row(&stats, "/items?limit=5");
    let aggregated = stats_row(&stats, "Aggregated");
    assert_eq!(
        number(entry, REQUEST_COUNT) as u64,
        received,
        "every request counted"
    );
    assert_eq!(
        number(entry, FAILURE_COUNT) as u64,
        errors,
        "failures = 500s + 404s"
    );
    assert_eq!(number(aggregated, REQUEST_COUNT) as u64, received);
    let share = errors as f64 / received as f64;
    assert!(
        (0.10..0.20).contains(&share),
        "about 15 % injected failures: {share}"
    );

    let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
    let occurrences: u64 = failures
        .iter()
        .map(|r| r[OCCURRENCES].parse::<u64>().expect("occurrences"))
        .sum();
    assert_eq!(occurrences, errors);
    assert!(failures.iter().any(|r| r[ERROR].contains("500")));
    assert!(failures.iter().any(|r| r[ERROR].contains("404")));
    history_has_one_batch_a_second(&prefix, received);
}

/// One batch per second in `prefix`'s history, each batch with the entry then Aggregated,
/// timestamps increasing; the last Aggregated row counts every one of the `received` requests.
/// The final batch is stamped when the run has ended: on a loaded machine that can be a second
/// later than the next tick (the CI once wrote `…184, 185, 187`), as Locust's final row is.
fn history_has_one_batch_a_second(prefix: &std::path::Path, received: u64) {
    let history = read_csv(&with_suffix(prefix, files::HISTORY));
    let aggregated_rows: Vec<_> = history.iter().filter(|r| r[NAME] == "Aggregated").collect();
    let stamps: Vec<i64> = aggregated_rows
        .iter()
        .map(|r| r[TIMESTAMP].parse().expect("timestamp"))
        .collect();
    let (final_stamp, ticks) = stamps.split_last().expect("history rows");
    assert!(ticks.windows(2).all(|w| w[1] == w[0] + 1), "{stamps:?}");
    assert!(
        ticks
            .last()
            .is_some_and(|last| (1..=2).contains(&(final_stamp - last))),
        "{stamps:?}"
    );
    assert!((4..=6).contains(&stamps.len()), "{stamps:?}");
    let last = aggregated_rows.last().expect("rows");
    assert_eq!(number(last, TOTAL_REQUEST_COUNT) as u64, received);
    assert!(aggregated_rows[2..aggregated_rows.len() - 1]
        .iter()
        .all(|r| r[USER_COUNT] == "8"));
}

/// Sends one request on a fresh connection and returns (status, body).
fn request(
    server: &DemoServer,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let address = server.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn demo_server_serves_items_events_and_per_key_rate_limits() {
    let server = DemoServer::start(&["--service-time", "1ms", "--capacity", "4"]);
    let (status, body) = request(&server, "GET", "/item/5", "", "");
    assert_eq!((status, body.contains("item-5")), (200, true), "{body}");
    assert_eq!(request(&server, "GET", "/item/999999", "", "").0, 404);
    let (status, body) = request(
        &server,
        "POST",
        "/items",
        "",
        r#"{"name":"widget","price":3.5}"#,
    );
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).expect("JSON item");
    let id = created["id"].as_u64().expect("an id");
    assert!(id >= 100_001);
    let item = format!("/item/{id}");
    assert_eq!(request(&server, "PUT", &item, "", r#"{"price":4}"#).0, 200);
    assert_eq!(request(&server, "DELETE", &item, "", "").0, 200);
    assert_eq!(request(&server, "GET", &item, "", "").0, 404);
    let batch = format!(r#"{{"events":[{}]}}"#, vec!["{}"; 20].join(","));
    assert_eq!(
        request(&server, "POST", "/api/v1/event/batch", "", &batch).0,
        202
    );
    assert_eq!(
        request(&server, "POST", "/api/v1/event/batch", "", "[1]").0,
        400
    );

    let statuses = |key: &str| -> Vec<u16> {
        (0..110)
            .map(|_| {
                request(
                    &server,
                    "POST",
                    "/api/v1/event",
                    &format!("X-API-Key: {key}\r\n"),
                    "{}",
                )
                .0
            })
            .collect()
    };
    let free = statuses("free_team_a");
    let accepted = free.iter().filter(|s| **s == 202).count();
    let limited = free.iter().filter(|s| **s == 429).count();
    assert_eq!(accepted + limited, 110);
    assert!(
        (100..=104).contains(&accepted),
        "FREE allows 100/min: {accepted} accepted"
    );
    assert!(
        statuses("pro_team_b").iter().all(|s| *s == 202),
        "PRO allows 1000/min"
    );

    let counters = server.counters();
    assert_eq!(
        counters["routes"]["POST /api/v1/event"]["status"]["429"].as_u64(),
        Some(limited as u64)
    );
    assert_eq!(
        counters["routes"]["GET /item/{id}"]["count"].as_u64(),
        Some(3)
    );
    assert_eq!(
        counters["events"].as_u64(),
        Some(20 + accepted as u64 + 110)
    );
}

#[test]
fn bad_demo_server_flags_are_one_line_and_exit_2() {
    for flags in [
        &["--error-rate", "2"][..],
        &["--capacity", "0"],
        &["--stall-every", "1s", "--stall-for", "2s"],
        &["--service-time", "fast"],
    ] {
        let output = run_captest(&[&["demo-server"][..], flags].concat());
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.trim().is_empty() && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}
