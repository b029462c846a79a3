//! Scenario files end to end: every example runs against the demo server without unexpected
//! failures, weights and pacing are honoured, captures flow between requests, errors point at
//! file:line:column before any request, and secrets never reach an output file.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use support::*;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn stats_by_name(prefix: &Path) -> HashMap<String, (f64, f64)> {
    read_csv(&with_suffix(prefix, "_stats.csv"))
        .into_iter()
        .map(|r| {
            let key = format!("{} {}", r["Type"], r["Name"]).trim().to_owned();
            (
                key,
                (
                    r["Request Count"].parse().expect("count"),
                    r["Failure Count"].parse().expect("fails"),
                ),
            )
        })
        .collect()
}

#[test]
fn every_example_runs_against_the_demo_server_without_unexpected_failures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut examples: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
            .expect("examples/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
    examples.sort();
    assert!(examples.len() >= 2);
    for file in examples {
        let server = DemoServer::start(&["--service-time", "2ms", "--capacity", "16"]);
        let name = file
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let prefix = dir.path().join(&name);
        let output = run_captest(&[
            "run",
            file.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "20",
            "-r",
            "20",
            "-t",
            "4s",
            "-q",
            "--csv",
            prefix.to_str().expect("utf-8"),
        ]);
        let failures =
            std::fs::read_to_string(with_suffix(&prefix, "_failures.csv")).unwrap_or_default();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {failures}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stats = stats_by_name(&prefix);
        assert!(stats["Aggregated"].0 >= 20.0, "{name}: {stats:?}");
        if name == "items-crud" {
            // The created id flowed: every create was updated and deleted on the server.
            let counters = server.counters();
            let routes = &counters["routes"];
            let created = routes["POST /items"]["status"]["201"]
                .as_u64()
                .expect("creates");
            assert!(created > 0);
            // Each of the 20 users may be stopped once between the steps of its flow.
            let updated = routes["PUT /item/{id}"]["status"]["200"]
                .as_u64()
                .expect("updates");
            let deleted = routes["DELETE /item/{id}"]["status"]["200"]
                .as_u64()
                .expect("deletes");
            assert!(
                updated + 20 >= created && deleted <= updated && updated <= created,
                "{created} created, {updated} updated, {deleted} deleted"
            );
            assert!(
                deleted + 20 >= created,
                "{created} created, {deleted} deleted"
            );
            assert!(routes.get("unknown route").is_none());
        }
        if name == "scaling-system" {
            // NormalUser's CRUD updates the item it created, and polls the services of the pool.
            let counters = server.counters();
            let routes = &counters["routes"];
            let created = routes["POST /items"]["status"]["201"]
                .as_u64()
                .expect("creates");
            let updated = routes["PUT /item/{id}"]["status"]["200"]
                .as_u64()
                .expect("updates");
            assert!(
                created > 0 && updated + 20 >= created && updated <= created,
                "{created} created, {updated} updated"
            );
            assert!(stats["GET /services/[name]/health"].0 > 0.0, "{stats:?}");
        }
        if name == "event-analytics" {
            let events = read_csv(&with_suffix(&prefix, "_events.csv"));
            assert!(events
                .iter()
                .any(|r| r["Name"] == "POST /api/v1/event/batch"));
            let counters = server.counters();
            let limited = |route: &str| {
                counters["routes"][route]["status"]["429"]
                    .as_u64()
                    .unwrap_or(0)
            };
            assert!(
                limited("POST /api/v1/event") + limited("POST /api/v1/event/batch") > 0,
                "FREE keys are limited: {counters}"
            );
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn task_weights_hold_within_two_points_over_ten_thousand_requests() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "weights.toml",
        r#"
[[users]]
name = "Weighted"
[[users.tasks]]
weight = 1
[[users.tasks.requests]]
path = "/health"
name = "one"
[[users.tasks]]
weight = 2
[[users.tasks.requests]]
path = "/health"
name = "two"
[[users.tasks]]
weight = 7
[[users.tasks.requests]]
path = "/health"
name = "seven"
"#,
    );
    let prefix = dir.path().join("weights");
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "4s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stats = stats_by_name(&prefix);
    let total = stats["Aggregated"].0;
    assert!(total >= 10_000.0, "{total} requests");
    for (name, weight) in [("GET one", 0.1), ("GET two", 0.2), ("GET seven", 0.7)] {
        let share = stats[name].0 / total;
        assert!(
            (share - weight).abs() <= 0.02,
            "{name}: {share:.3} vs {weight}"
        );
    }
}

#[test]
fn pacing_and_wait_times_hold_within_five_percent() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    // 4 users × 5 s with 100 ms per iteration: 200 requests (/health answers in well under 1 ms).
    for (name, wait) in [
        ("pacing", r#"{ pacing = "100ms" }"#),
        ("constant", r#"{ constant = "99ms" }"#),
        ("between", r#"{ between = ["49ms", "149ms"] }"#),
        ("throughput", "{ throughput = 10.0 }"),
    ] {
        let scenario = write(
            dir.path(),
            &format!("{name}.toml"),
            &format!("[[users]]\nname = \"Paced\"\nwait = {wait}\n[[users.tasks]]\n[[users.tasks.requests]]\npath = \"/health\"\n"),
        );
        let prefix = dir.path().join(name);
        let output = run_captest(&[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "4",
            "-r",
            "100",
            "-t",
            "5s",
            "-q",
            "--csv",
            prefix.to_str().expect("utf-8"),
        ]);
        assert_eq!(output.status.code(), Some(0), "{name}: {output:?}");
        let requests = stats_by_name(&prefix)["Aggregated"].0;
        assert!(
            (requests / 200.0 - 1.0).abs() <= 0.05,
            "{name}: {requests} requests"
        );
    }
}

#[test]
fn class_selection_and_tags_pick_what_runs() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("reads");
    let output = run_captest(&[
        "run",
        example("items-crud.toml").to_str().expect("utf-8"),
        "ItemsApiUser",
        "--tags",
        "read",
        "--host",
        &server.url,
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "2s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stats = stats_by_name(&prefix);
    assert!(stats.contains_key("GET /items") && stats.contains_key("GET /item/[id]"));
    assert!(
        !stats.contains_key("POST /items") && !stats.contains_key("GET /health"),
        "{stats:?}"
    );
    let unknown = run_captest(&[
        "run",
        example("items-crud.toml").to_str().expect("utf-8"),
        "Nobody",
        "--host",
        &server.url,
        "-t",
        "1s",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user class \"Nobody\""));
}

#[test]
fn scenario_errors_name_file_line_and_column_before_any_request() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let base = "[[users]]\nname = \"U\"\n[[users.tasks]]\n[[users.tasks.requests]]\n";
    let cases = [
        ("unknown-key.toml", format!("{base}path = \"/health\"\nmethd = \"GET\"\n"), ":6:1:", "unknown field"),
        ("wrong-type.toml", format!("{base}path = \"/health\"\nexpect = \"200\"\n"), ":6:", "expected"),
        ("bad-template.toml", format!("{base}path = \"/item/{{{{ random_int(1, \"\n"), ":5:", "bad template"),
        ("undefined.toml", format!("{base}path = \"/item/{{{{ item_id }}}}\"\n"), ":5:", "undefined variable \"item_id\""),
        ("missing-env.toml", format!("{base}path = \"/health\"\nheaders = {{ Authorization = \"Bearer {{{{ env('CAPTEST_TEST_UNSET_VAR') }}}}\" }}\n"), ":6:", "CAPTEST_TEST_UNSET_VAR"),
        ("missing-data.toml", format!("[data]\nusers = {{ csv = \"nope.csv\" }}\n{base}path = \"/health\"\n"), ":2:", "cannot read data file"),
    ];
    for (name, text, position, needle) in cases {
        let file = write(dir.path(), name, &text);
        let output = run_captest(&[
            "run",
            file.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-t",
            "1s",
            "-q",
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{name}{position}")) && stderr.contains(needle),
            "{name}: {stderr}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{name}: one line: {stderr}"
        );
    }
    assert_eq!(
        server.counters()["total"].as_u64(),
        Some(0),
        "no request was sent"
    );
}

#[test]
fn secrets_from_env_and_captures_never_reach_output_files() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "secret.toml",
        r#"
[[users]]
name = "Secretive"
wait = { constant = "10ms" }
on_start = [ { method = "POST", path = "/items", json = { name = "{{ env('CAPTEST_TEST_SECRET') }}" }, capture = { token = { json = "/name" } } } ]
[[users.tasks]]
[[users.tasks.requests]]
path = "/item/999999?auth={{ token }}"
headers = { Authorization = "Bearer {{ env('CAPTEST_TEST_SECRET') }}" }
[[users.tasks.requests]]
path = "/item/1?key={{ env('CAPTEST_TEST_SECRET') }}"
name = "keyed item"
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"
name = "keyed health"
headers = { X-Api-Key = "{{ env('CAPTEST_TEST_SECRET') }}" }
"#,
    );
    // A URL-safe secret reaches the server (and its 404s are listed); one with a space or a
    // control character makes the rendered paths invalid: those failures are listed by request
    // name, without the rendered text.
    for (run, secret, expected) in [
        ("safe", "s3cr3t-v4lue", "404"),
        ("space", "s3cr3t v4lue", "InvalidURL"),
        ("control", "s3cr3t\u{1}v4lue", "InvalidURL"),
    ] {
        let run_dir = dir.path().join(run);
        std::fs::create_dir(&run_dir).expect("run dir");
        let prefix = run_dir.join("secret");
        let output = captest()
            .args([
                "run",
                scenario.to_str().expect("utf-8"),
                "--host",
                &server.url,
                "-u",
                "2",
                "-r",
                "2",
                "-t",
                "2s",
                "--csv",
            ])
            .arg(&prefix)
            .env("CAPTEST_TEST_SECRET", secret)
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{run}: the requests fail: {output:?}"
        );
        let mut everything = String::from_utf8_lossy(&output.stdout).into_owned();
        everything.push_str(&String::from_utf8_lossy(&output.stderr));
        for entry in std::fs::read_dir(&run_dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "csv" || e == "hdr") {
                everything.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&path).expect("read"),
                ));
            }
        }
        assert!(
            everything.contains(expected),
            "{run}: the failures are listed"
        );
        // Neither half of the secret, however it might be escaped.
        assert!(
            !everything.contains("s3cr3t") && !everything.contains("v4lue"),
            "{run}: the secret leaked:\n{everything}"
        );
        if expected == "InvalidURL" {
            let failures = read_csv(&with_suffix(&prefix, "_failures.csv"));
            let keyed = failures
                .iter()
                .find(|r| r["Name"] == "keyed item")
                .unwrap_or_else(|| panic!("{run}: {failures:?}"));
            assert!(
                keyed["Error"].contains("GET keyed item")
                    && keyed["Error"].contains("not a valid URL"),
                "{run}: the message names the request and the problem: {keyed:?}"
            );
            assert!(keyed["Occurrences"].parse::<u64>().expect("count") > 0);
        }
        if run == "control" {
            // A control character is no valid header value either.
            let failures = read_csv(&with_suffix(&prefix, "_failures.csv"));
            let header = failures
                .iter()
                .find(|r| r["Name"] == "keyed health")
                .unwrap_or_else(|| panic!("{run}: {failures:?}"));
            assert!(
                header["Error"].starts_with("InvalidHeader")
                    && header["Error"].contains("GET keyed health")
                    && header["Error"].contains("x-api-key"),
                "{header:?}"
            );
        }
    }
}

#[test]
fn fixed_count_classes_and_repeat_bodies() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "fixed.toml",
        r#"
[[users]]
name = "Reader"
weight = 1
wait = { constant = "20ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"

[[users]]
name = "Admin"
fixed_count = 1
wait = { constant = "20ms" }
[[users.tasks]]
[[users.tasks.requests]]
method = "POST"
path = "/api/v1/event/batch"
headers = { Content-Type = "application/json" }
body = '{"events": [{{ repeat(20, "{\"type\": \"click\"}") }}]}'
events = 20
"#,
    );
    let prefix = dir.path().join("fixed");
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "-u",
        "5",
        "-r",
        "50",
        "-t",
        "2s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
        "--csv-full-history",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let counters = server.counters();
    let batches = counters["routes"]["POST /api/v1/event/batch"]["status"]["202"]
        .as_u64()
        .expect("batches");
    assert_eq!(
        counters["events"].as_u64(),
        Some(batches * 20),
        "20 events per repeated body"
    );
    let health = counters["routes"]["GET /health"]["count"]
        .as_u64()
        .expect("reads");
    // One admin and four readers at the same pace: about four reads per batch.
    let ratio = health as f64 / batches as f64;
    assert!(
        (3.0..5.0).contains(&ratio),
        "{health} reads, {batches} batches"
    );
}

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
    let events = read_csv(&with_suffix(&prefix, "_events.csv"));
    let row = events
        .iter()
        .find(|r| r["Name"] == "POST /api/v1/event/batch")
        .expect("a row");
    let counted: f64 = row["Events"].parse().expect("events");
    let requests: f64 = row["Requests"].parse().expect("requests");
    // What captest counted from each body is what the server accepted, and varies per request.
    assert_eq!(Some(counted), server.counters()["events"].as_f64());
    assert!(
        counted > requests * 7.0 && counted < requests * 35.0,
        "{counted} events in {requests} requests"
    );
}

/// `captest ARGS` with `--csv PREFIX -q` added; asserts the exit code.
fn run_ok(args: &[&str], prefix: &Path, code: i32) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-q", "--csv", prefix.to_str().expect("utf-8")]);
    let output = run_captest(&all);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {output:?}");
}

fn route_count(counters: &serde_json::Value, route: &str) -> u64 {
    counters["routes"][route]["count"].as_u64().unwrap_or(0)
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
    let steps = read_csv(&with_suffix(&prefix, "_steps.csv"));
    let users: Vec<&str> = steps.iter().map(|s| s["User Count"].as_str()).collect();
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
fn exclude_tags_leave_tasks_out() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("noread");
    run_ok(
        &[
            "run",
            example("items-crud.toml").to_str().expect("utf-8"),
            "--exclude-tags",
            "read",
            "--host",
            &server.url,
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "2s",
        ],
        &prefix,
        0,
    );
    let stats = stats_by_name(&prefix);
    assert!(stats.contains_key("POST /items"), "{stats:?}");
    assert!(
        !stats.contains_key("GET /items") && !stats.contains_key("GET /item/[id]"),
        "{stats:?}"
    );
    let counters = server.counters();
    assert_eq!(route_count(&counters, "GET /items"), 0, "{counters}");
    assert!(route_count(&counters, "POST /items") > 0, "{counters}");
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
    let failures = read_csv(&with_suffix(&prefix, "_failures.csv"));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["Name"], "impatient");
    assert!(
        failures[0]["Error"].starts_with("TimeoutError") && failures[0]["Error"].contains("50 ms"),
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

#[test]
fn class_weights_share_the_users() {
    let server = DemoServer::start(&["--service-time", "1ms", "--capacity", "64"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "classes.toml",
        r#"
[[users]]
name = "Heavy"
weight = 3
wait = { constant = "100ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"

[[users]]
name = "Light"
weight = 1
wait = { constant = "100ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/services/light/health"
"#,
    );
    let prefix = dir.path().join("classes");
    run_ok(
        &[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "40",
            "-r",
            "100",
            "-t",
            "3s",
        ],
        &prefix,
        0,
    );
    let counters = server.counters();
    let heavy = route_count(&counters, "GET /health") as f64;
    let light = route_count(&counters, "GET /services/{name}/health") as f64;
    assert!(heavy + light >= 400.0, "{counters}");
    let share = heavy / (heavy + light);
    assert!((share - 0.75).abs() <= 0.10, "heavy share {share:.3}");
}
