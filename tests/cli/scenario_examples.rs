//! Scenario files end to end: every example runs against the demo server without unexpected
//! failures, and classes and tags select what runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::support::scenario::*;
use crate::support::*;
use captest_format::columns::NAME;
use captest_format::files;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
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
    // Each example against its own server, all at once: light loads (20 users, 2 ms each) that
    // would take 4 s apiece one after another. A failing example panics its thread, and the scope
    // re-raises it.
    std::thread::scope(|scope| {
        for file in &examples {
            let dir = dir.path();
            scope.spawn(move || example_runs_without_unexpected_failures(dir, file));
        }
    });
}

/// Runs one example for 4 s against its own demo server and checks its outputs and the server's
/// counters.
fn example_runs_without_unexpected_failures(dir: &Path, file: &Path) {
    let server = DemoServer::start(&["--service-time", "2ms", "--capacity", "16"]);
    let name = file
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let prefix = dir.join(&name);
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
        std::fs::read_to_string(with_suffix(&prefix, files::FAILURES)).unwrap_or_default();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{name}: {failures}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stats = stats_by_name(&prefix);
    assert!(stats["Aggregated"].0 >= 20.0, "{name}: {stats:?}");
    match name.as_str() {
        "items-crud" => items_crud_flowed(&server),
        "scaling-system" => scaling_system_flowed(&server, &stats),
        "event-analytics" => events_were_counted_and_limited(&server, &prefix),
        _ => {}
    }
}

/// The server's count of `route`'s answers with `status` (the route must have had some).
fn answered(routes: &serde_json::Value, route: &str, status: &str) -> u64 {
    routes[route]["status"][status]
        .as_u64()
        .unwrap_or_else(|| panic!("{route} answered {status}: {routes}"))
}

/// items-crud: the created id flowed, every create was updated and deleted on the server.
fn items_crud_flowed(server: &DemoServer) {
    let counters = server.counters();
    let routes = &counters["routes"];
    let created = answered(routes, "POST /items", "201");
    assert!(created > 0);
    // Each of the 20 users may be stopped once between the steps of its flow.
    let updated = answered(routes, "PUT /item/{id}", "200");
    let deleted = answered(routes, "DELETE /item/{id}", "200");
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

/// scaling-system: NormalUser's CRUD updates the item it created, and polls the services of the
/// pool.
fn scaling_system_flowed(server: &DemoServer, stats: &HashMap<String, (f64, f64)>) {
    let counters = server.counters();
    let routes = &counters["routes"];
    let created = answered(routes, "POST /items", "201");
    let updated = answered(routes, "PUT /item/{id}", "200");
    assert!(
        created > 0 && updated + 20 >= created && updated <= created,
        "{created} created, {updated} updated"
    );
    assert!(stats["GET /services/[name]/health"].0 > 0.0, "{stats:?}");
}

/// event-analytics: the batch's events are counted in `_events.csv`, and FREE keys are limited.
fn events_were_counted_and_limited(server: &DemoServer, prefix: &Path) {
    let events = read_csv(&with_suffix(prefix, files::EVENTS));
    assert!(events.iter().any(|r| r[NAME] == "POST /api/v1/event/batch"));
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
