//! Scenario files end to end: full URLs, event templates, step runs, sequences with captures,
//! request timeouts and CSV data pools.

use crate::support::scenario::*;
use crate::support::*;
use captest_format::columns::{ERROR, EVENTS, NAME, REQUESTS, USER_COUNT};
use captest_format::files;

#[test]
fn a_full_url_sends_that_request_to_another_service() {
    let main = DemoServer::start(&["--service-time", "1ms"]);
    let other = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "two.toml",
        &format!(
            r#"
[[users]]
name = "TwoServices"
wait = {{ constant = "10ms" }}
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"
[[users.tasks.requests]]
path = "{}/item/{{{{ random_int(1, 10) }}}}"
name = "other /item/[id]"
"#,
            other.url
        ),
    );
    let prefix = dir.path().join("two");
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &main.url,
        "-u",
        "2",
        "-r",
        "10",
        "-t",
        "2s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stats = stats_by_name(&prefix);
    let sent = stats["GET other /item/[id]"].0;
    assert!(sent > 10.0);
    assert_eq!(
        other.counters()["routes"]["GET /item/{id}"]["count"].as_f64(),
        Some(sent)
    );
    assert!(main.counters()["routes"].get("GET /item/{id}").is_none());
    assert_eq!(
        main.counters()["routes"]["GET /health"]["count"].as_f64(),
        Some(stats["GET /health"].0)
    );
}

#[test]
fn events_may_be_a_template_over_the_body() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "sized.toml",
        r#"
[[users]]
name = "Batches"
wait = { constant = "10ms" }
vars = { size = 7 }
[[users.tasks]]
[[users.tasks.requests]]
method = "POST"
path = "/api/v1/event/batch"
headers = { Content-Type = "application/json" }
body = '{"events": [{{ repeat(random_int(1, 5) * size, "{}") }}]}'
events = "{{ json_len(body, '/events') }}"
"#,
    );
    let prefix = dir.path().join("sized");
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "-u",
        "2",
        "-r",
        "10",
        "-t",
        "2s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let events = read_csv(&with_suffix(&prefix, files::EVENTS));
    let row = events
        .iter()
        .find(|r| r[NAME] == "POST /api/v1/event/batch")
        .expect("a row");
    let counted: f64 = row[EVENTS].parse().expect("events");
    let requests: f64 = row[REQUESTS].parse().expect("requests");
    // What captest counted from each body is what the server accepted, and varies per request.
    assert_eq!(Some(counted), server.counters()["events"].as_f64());
    assert!(
        counted > requests * 7.0 && counted < requests * 35.0,
        "{counted} events in {requests} requests"
    );
}

#[test]
fn step_runs_a_scenario_file() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "stepped.toml",
        r#"
[[users]]
name = "Browser"
wait = { constant = "50ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/item/{{ random_int(1, 5) }}"
name = "/item/[id]"
expect = [200, 404]
"#,
    );
    let prefix = dir.path().join("stepped");
    run_ok(
        &[
            "step",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "--start",
            "2",
            "--step",
            "2",
            "--every",
            "2s",
            "--max-steps",
            "2",
            "--no-auto-stop",
        ],
        &prefix,
        0,
    );
    let steps = read_csv(&with_suffix(&prefix, files::STEPS));
    let users: Vec<&str> = steps.iter().map(|s| s[USER_COUNT].as_str()).collect();
    assert_eq!(users, ["2", "4"], "{steps:?}");
    let stats = stats_by_name(&prefix);
    let sent = stats["GET /item/[id]"].0;
    assert!(sent > 0.0, "{stats:?}");
    assert_eq!(
        route_count(&server.counters(), "GET /item/{id}") as f64,
        sent,
        "the scenario's requests, under its name"
    );
}

#[test]
fn a_sequence_runs_its_requests_in_order() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    // Each step's expected status holds only in this order: the GET after the DELETE must 404,
    // the DELETE after the GET must find the item.
    let scenario = write(
        dir.path(),
        "flow.toml",
        r#"
[[users]]
name = "Flow"
wait = { constant = "20ms" }
[[users.sequence]]
method = "POST"
path = "/items"
json = { name = "flow", price = 1 }
capture = { id = { json = "/id" } }
name = "1 create"
[[users.sequence]]
path = "/item/{{ id }}"
name = "2 read"
expect = [200]
[[users.sequence]]
method = "DELETE"
path = "/item/{{ id }}"
name = "3 delete"
expect = [200]
[[users.sequence]]
path = "/item/{{ id }}"
name = "4 gone"
expect = [404]
"#,
    );
    let prefix = dir.path().join("flow");
    run_ok(
        &[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "3",
            "-r",
            "10",
            "-t",
            "2s",
        ],
        &prefix,
        0,
    );
    let stats = stats_by_name(&prefix);
    let created = stats["POST 1 create"].0;
    assert!(created >= 30.0, "{stats:?}");
    for name in ["GET 2 read", "DELETE 3 delete", "GET 4 gone"] {
        // Every flow that started ran on (the last of each user may be cut by the stop).
        let (count, failures) = stats[name];
        assert_eq!(failures, 0.0, "{name}: {stats:?}");
        assert!(
            count + 3.0 >= created && count <= created,
            "{name}: {stats:?}"
        );
    }
    let counters = server.counters();
    let status = |route: &str, code: &str| {
        counters["routes"][route]["status"][code]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(
        status("GET /item/{id}", "404") as f64,
        stats["GET 4 gone"].0,
        "{counters}"
    );
    assert_eq!(
        status("DELETE /item/{id}", "200") as f64,
        stats["DELETE 3 delete"].0
    );
}

#[test]
fn a_request_timeout_overrides_the_runs() {
    let server = DemoServer::start(&["--service-time", "300ms", "--capacity", "16"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "timeouts.toml",
        r#"
[[users]]
name = "Mixed"
wait = { constant = "10ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/items"
name = "impatient"
timeout = "50ms"
[[users.tasks]]
[[users.tasks.requests]]
path = "/items"
name = "patient"
"#,
    );
    let prefix = dir.path().join("timeouts");
    run_ok(
        &[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "4",
            "-r",
            "10",
            "-t",
            "3s",
            "--timeout",
            "5s",
        ],
        &prefix,
        1,
    );
    let stats = stats_by_name(&prefix);
    let (impatient, impatient_failed) = stats["GET impatient"];
    let (patient, patient_failed) = stats["GET patient"];
    assert!(
        impatient > 0.0 && impatient_failed == impatient,
        "{stats:?}"
    );
    assert!(patient > 0.0 && patient_failed == 0.0, "{stats:?}");
    let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0][NAME], "impatient");
    assert!(
        failures[0][ERROR].starts_with("ReadTimeout") && failures[0][ERROR].contains("50 ms"),
        "{failures:?}"
    );
}

#[test]
fn a_csv_data_pool_is_read_round_robin() {
    let server = DemoServer::start(&["--service-time", "1ms", "--capacity", "64"]);
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "routes.csv",
        "route,comment\nhealth,liveness\nitems,list\nitem/1,one item\n",
    );
    let scenario = write(
        dir.path(),
        "pool.toml",
        r#"
[data]
routes = { csv = "routes.csv" }

[[users]]
name = "Rotating"
wait = { constant = "10ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/{{ next_row('routes').route }}"
name = "rotating"
expect = [200, 404]
"#,
    );
    let prefix = dir.path().join("pool");
    let users = 3;
    run_ok(
        &[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            &users.to_string(),
            "-r",
            "10",
            "-t",
            "2s",
        ],
        &prefix,
        0,
    );
    let counters = server.counters();
    let counts: Vec<u64> = ["GET /health", "GET /items", "GET /item/{id}"]
        .iter()
        .map(|route| route_count(&counters, route))
        .collect();
    let total: u64 = counts.iter().sum();
    assert_eq!(total as f64, stats_by_name(&prefix)["GET rotating"].0);
    assert!(total >= 150, "{counts:?}");
    // One shared cursor: the rows take turns, so no row is ahead by more than the requests a
    // stop can leave unsent (one per user); drawing at random would spread them by ~√n.
    let spread = counts.iter().max().expect("max") - counts.iter().min().expect("min");
    assert!(spread <= users, "{counts:?}");
}
