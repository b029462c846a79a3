//! The live page of a `step` run: the steps completed so far with the knee so far (the knee
//! `captest analyze` finds in the same steps) and the report's step charts; Stop pressed within
//! a step keeps that step's measured part in `_steps.csv`, as the end of the run time does.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use captest_format::columns::{P95, REQUESTS_PER_S, STOP_REASON, USER_COUNT};
use captest_format::files;
use serde_json::Value;

use crate::support::analyze::analyze_json;
use crate::support::web::{request, WebRun};
use crate::support::*;

#[test]
fn a_step_run_shows_its_steps_and_knee_so_far_and_stop_keeps_the_step_in_progress() {
    // Capacity 8 slots × 20 ms = 400 req/s, reached at 8 users.
    let demo = DemoServer::start(&["--capacity", "8", "--service-time", "20ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("steps");
    let prefix_arg = prefix.to_str().expect("utf-8");
    let mut run = WebRun::start(
        dir.path(),
        &[
            "step",
            "-H",
            &demo.url,
            "--path",
            "/item/1",
            "--start",
            "2",
            "--step",
            "2",
            "--every",
            "4s",
            "--settle",
            "1s",
            "--no-auto-stop",
            "-q",
            "--csv",
            prefix_arg,
        ],
    );
    let six = run.stats_within("six steps", Duration::from_secs(45), |s| {
        s["steps"]["steps"].as_array().map_or(0, Vec::len) >= 6
    });
    let (status, charts) = request(&run.address, "GET", "/api/charts", "", None);
    assert_eq!(status, 200);
    // Stop 2.5 s into the seventh step (14 users): past its settle second, before its end.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(run.control(r#"{"action": "stop"}"#).0, 200);
    let status = run.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", run.stdout());
    let steps = read_csv(&with_suffix(&prefix, files::STEPS));
    assert_eq!(steps.len(), 7, "the step in progress is kept: {steps:?}");
    assert_eq!(number(&steps[6], USER_COUNT), 14.0);
    assert_eq!(steps[6][STOP_REASON], "stopped from the web page");
    the_page_showed_the_files_steps(&six["steps"]["steps"], &steps[..6]);
    let knee = &six["steps"]["knee"];
    let users = knee["users"].as_f64().expect("a knee in six steps");
    assert!(
        (6.0..=10.0).contains(&users),
        "knee at {users} users: {six}"
    );
    let analyzed = analyzed_knee(&prefix, 6);
    assert_eq!(
        analyzed["users"].as_f64(),
        Some(users),
        "{analyzed} vs {knee}"
    );
    for figure in ["rps", "p95_ms"] {
        let (shown, found) = (knee[figure].as_f64(), analyzed[figure].as_f64());
        let apart = shown.zip(found).map(|(a, b)| (a - b).abs());
        assert!(
            apart.is_some_and(|d| d <= 0.001),
            "{figure}: {knee} vs {analyzed}"
        );
    }
    let charts: Value = serde_json::from_str(&charts).expect("JSON");
    let svg = |id: &str| {
        let chart = charts["charts"]
            .as_array()
            .and_then(|all| all.iter().find(|c| c["id"] == id));
        chart.map(|c| c["svg"].as_str().unwrap_or("").to_owned())
    };
    let scalability = svg("scalability").expect("the report's step chart");
    assert!(scalability.contains("Throughput per step"), "{scalability}");
    assert!(scalability.contains(&format!("knee: {users} users")));
    assert!(svg("latency-throughput").is_some(), "{charts}");
}

/// The page's steps are the rows `_steps.csv` holds for them.
fn the_page_showed_the_files_steps(page: &Value, file: &[HashMap<String, String>]) {
    let page = page.as_array().expect("steps");
    assert_eq!(page.len(), file.len());
    for (shown, row) in page.iter().zip(file) {
        assert_eq!(shown["users"].as_f64(), Some(number(row, USER_COUNT)));
        let rps = shown["rps"].as_f64().expect("rps");
        assert!(
            (rps - number(row, REQUESTS_PER_S)).abs() <= 0.001,
            "{shown} {row:?}"
        );
        let p95 = shown["p95_ms"].as_f64().expect("p95");
        assert!((p95 - number(row, P95)).abs() <= 0.001, "{shown} {row:?}");
    }
}

/// The knee `captest analyze` finds in the first `count` steps of the run at `prefix` (a copy
/// of its files whose `_steps.csv` holds those steps only).
fn analyzed_knee(prefix: &Path, count: usize) -> Value {
    let dir = prefix.parent().expect("a directory").join("first-steps");
    std::fs::create_dir(&dir).expect("a directory");
    let name = prefix.file_name().expect("a name").to_string_lossy();
    for entry in std::fs::read_dir(prefix.parent().expect("a directory")).expect("files") {
        let path = entry.expect("a file").path();
        let file = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if file.starts_with(&format!("{name}_")) && path.is_file() {
            std::fs::copy(&path, dir.join(&file)).expect("copied");
        }
    }
    let steps_file = with_suffix(&dir.join(&*name), files::STEPS);
    let text = std::fs::read_to_string(&steps_file).expect("_steps.csv");
    let kept: Vec<&str> = text.lines().take(count + 1).collect();
    std::fs::write(&steps_file, kept.join("\n") + "\n").expect("written");
    let analysis = analyze_json(&[dir.join(&*name).to_str().expect("utf-8")]);
    analysis["knee"].clone()
}
