//! One set of breaking-point rules for the runner and analyze: on the same steps, the step where
//! the runner stops a step run live is the step analyze names afterwards from its `_steps.csv`,
//! and `captest analyze --stop-on` takes the rules `captest step --stop-on` does.

use std::path::Path;

use captest_analyze::stats::read_steps;
use captest_analyze::steps::{breaking_point, steps_from_file};
use captest_analyze::CsvSource;
use captest_format::{StopRule, DEFAULT_STOP_RULES};
use captest_runner::metrics::new_latency_histogram;
use captest_runner::sink::steps_table;
use captest_runner::steps::{breaking_reason, StepResult};

use crate::support::analyze::analyze_json;
use crate::support::{locust_dir, run_captest};

/// A step of `users` users over 10 steady seconds: `rps` requests per second, `error_pct` of
/// them failed, every response taking `latency_ms`.
fn step(index: usize, users: usize, rps: u64, error_pct: u64, latency_ms: u64) -> StepResult {
    let requests = rps * 10;
    let mut latency = new_latency_histogram();
    latency
        .record_n(latency_ms * 1_000, requests)
        .expect("in range");
    StepResult {
        index,
        level: users as f64,
        users,
        start: 1_000.0 + 20.0 * index as f64,
        end: 1_020.0 + 20.0 * index as f64,
        steady_seconds: 10,
        requests,
        failures: requests * error_pct / 100,
        events: 0.0,
        latency,
        stop_reason: None,
    }
}

/// The steps of `(users, rps, error %, latency ms)`.
fn steps(figures: &[(usize, u64, u64, u64)]) -> Vec<StepResult> {
    figures
        .iter()
        .enumerate()
        .map(|(i, &(users, rps, errors, ms))| step(i, users, rps, errors, ms))
        .collect()
}

/// Users of the step where the runner, checking `rules` at the end of each step, stops.
fn runner_stops_at(steps: &[StepResult], rules: &[StopRule]) -> Option<f64> {
    (0..steps.len())
        .find(|&i| breaking_reason(rules, &steps[..=i]).is_some())
        .map(|i| steps[i].level)
}

/// Users of the step analyze finds with `rules` in the `_steps.csv` of `steps`.
fn analyze_finds(steps: &[StepResult], rules: &[StopRule]) -> Option<f64> {
    let bytes = steps_table(steps, false, false);
    let rows = read_steps(CsvSource::Memory {
        name: Path::new("run_steps.csv"),
        bytes: &bytes,
    })
    .expect("analyze reads the steps");
    breaking_point(&steps_from_file(&rows, &[]), rules).map(|point| point.users)
}

/// Checks that the runner stops, and analyze finds the breaking point, at `expected` users on
/// the steps of `figures` under `rules`.
fn both_pick(
    name: &str,
    rules: &[StopRule],
    figures: &[(usize, u64, u64, u64)],
    expected: Option<f64>,
) {
    let steps = steps(figures);
    assert_eq!(runner_stops_at(&steps, rules), expected, "runner, {name}");
    assert_eq!(analyze_finds(&steps, rules), expected, "analyze, {name}");
}

#[test]
fn runner_and_analyze_pick_the_same_breaking_step() {
    let defaults = &DEFAULT_STOP_RULES[..];
    let plateau = [
        (10, 100, 0, 20),
        (20, 200, 0, 20),
        (30, 300, 0, 22),
        (40, 306, 0, 30),
    ];
    both_pick("throughput plateau", defaults, &plateau, Some(40.0));
    let errors = [(10, 100, 0, 20), (20, 200, 3, 20), (30, 300, 9, 20)];
    both_pick("errors", defaults, &errors, Some(20.0));
    let latency = [(10, 100, 0, 20), (20, 200, 0, 60), (30, 300, 0, 130)];
    both_pick("latency", defaults, &latency, Some(30.0));
    let linear = [(10, 100, 0, 20), (20, 200, 0, 21), (30, 300, 0, 22)];
    both_pick("linear to the end", defaults, &linear, None);
    let custom: Vec<StopRule> = ["p99>2x", "errors>10%"]
        .iter()
        .map(|r| r.parse().expect("a rule"))
        .collect();
    let slower = [(10, 100, 5, 20), (20, 200, 5, 35), (30, 300, 12, 45)];
    both_pick("custom rules", &custom, &slower, Some(30.0));
    let broken = [(10, 100, 50, 20), (20, 100, 50, 900)];
    both_pick("no rules", &[], &broken, None);
}

#[test]
fn analyze_takes_the_rules_of_step_stop_on() {
    let prefix = locust_dir().join("step").join("step");
    let prefix = prefix.to_str().expect("utf-8");
    let defaults = analyze_json(&[prefix]);
    let rules = |json: &serde_json::Value| -> Vec<String> {
        json["breaking_points"]
            .as_array()
            .expect("breaking_points")
            .iter()
            .map(|check| check["rule"].as_str().expect("a rule").to_owned())
            .collect()
    };
    assert_eq!(rules(&defaults), ["errors>1%", "p95>5x", "rps-growth<5%"]);
    let chosen = analyze_json(&[prefix, "--stop-on", "p99>2x", "--stop-on", "errors > 50 %"]);
    assert_eq!(rules(&chosen), ["p99>2x", "errors>50%"]);
    let bad = run_captest(&["analyze", prefix, "--stop-on", "p97>2x"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("unknown stop rule \"p97>2x\"; expected errors>1%, p95>5x"),
        "{stderr}"
    );
}
