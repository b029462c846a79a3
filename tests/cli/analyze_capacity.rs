//! End-to-end tests of `captest analyze`: capacity by Little's law, business events, rate limits
//! and the terminal and Markdown outputs.

use crate::support::analyze::*;
use crate::support::*;
use captest_format::columns::{
    ERROR, METHOD, NAME, OCCURRENCES, REQUEST_COUNT, TOTAL_REQUEST_COUNT, TYPE,
};

#[test]
fn constant_run_says_why_there_is_no_knee_and_events_use_the_weights() {
    let prefix = locust_dir().join("constant").join("constant");
    let json = analyze_json(&[
        prefix.to_str().expect("utf-8"),
        "--warmup",
        "10s",
        "--events",
        "POST /api/v1/event/batch=20",
        "--events",
        "/api/v1/event=1",
        "--slo",
        "p95<200ms",
        "--think-time",
        "0.3s",
    ]);
    assert!(json["knee"].is_null());
    assert!(json["knee_note"]
        .as_str()
        .is_some_and(|n| n.contains("constant")));
    let entries = json["steady"]["entries"].as_array().expect("entries");
    let rps_of = |name: &str| {
        entries
            .iter()
            .find(|e| e["entry"] == name)
            .and_then(|e| e["rps"].as_f64())
            .expect("entry rps")
    };
    let expected = rps_of("POST /api/v1/event/batch") * 20.0 + rps_of("POST /api/v1/event");
    let events = json["events_per_s"].as_f64().expect("events_per_s");
    assert!(close(events, expected), "{events} vs {expected}");
    // Little's law with think time: ~30 users busy for 30 running.
    let users = json["capacity"]["littles_users"]
        .as_f64()
        .expect("littles_users");
    assert!((20.0..40.0).contains(&users), "{users}");
    assert_eq!(json["capacity"]["slo"]["steady_meets"], true);
}

#[test]
fn markdown_output_is_a_table() {
    let prefix = locust_dir().join("baseline").join("baseline");
    let output = run_captest(&["analyze", prefix.to_str().expect("utf-8"), "--markdown"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("| entry | requests |"), "{text}");
    assert!(text.contains("|---|"));
}

#[test]
fn users_flag_estimates_throughput_by_littles_law_and_says_when_past_the_knee() {
    // Below the knee: constant run at 30 users, plan 20 users with 0.3 s think time.
    let prefix = locust_dir().join("constant").join("constant");
    let json = analyze_json(&[
        prefix.to_str().expect("utf-8"),
        "--warmup",
        "10s",
        "--users",
        "20",
        "--think-time",
        "0.3s",
    ]);
    let capacity = &json["capacity"];
    let avg_s = json["steady"]["avg_ms_window"]
        .as_f64()
        .expect("avg_ms_window")
        / 1000.0;
    let expected = 20.0 / (avg_s + 0.3);
    let got = capacity["max_rps_for_users"]
        .as_f64()
        .expect("max_rps_for_users");
    assert!(close(got, expected), "{got} vs {expected}");
    assert_eq!(capacity["users_planned"].as_f64(), Some(20.0));
    assert!(
        capacity["users_beyond_knee"].is_null(),
        "no knee on a constant run"
    );
    assert!(
        got < capacity["max_rps_measured"]
            .as_f64()
            .expect("max_rps_measured")
    );

    // Beyond the knee on the step run: both the Little's-law figure and the measured plateau.
    let json = analyze_json(&[&step_prefix(), "--users", "60"]);
    let capacity = &json["capacity"];
    let avg_s = json["steady"]["avg_ms_window"]
        .as_f64()
        .expect("avg_ms_window")
        / 1000.0;
    let expected = 60.0 / avg_s;
    let got = capacity["max_rps_for_users"]
        .as_f64()
        .expect("max_rps_for_users");
    assert!(close(got, expected), "{got} vs {expected}");
    let plateau = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["rps"].as_f64())
        .fold(0.0, f64::max);
    assert_eq!(capacity["max_rps_measured"].as_f64(), Some(plateau));
    assert!(got > plateau, "Little's law alone overshoots past the knee");
    assert_eq!(capacity["users_beyond_knee"], true);
    let note = capacity["max_rps_for_users_note"].as_str().expect("note");
    assert!(
        note.contains("beyond the measured knee (40 users)"),
        "{note}"
    );
    assert!(note.contains(&format!("{plateau:.1} req/s")), "{note}");
    assert!(note.contains(&format!("{got:.1} req/s")), "{note}");
    // A bad count is refused.
    let output = run_captest(&["analyze", &step_prefix(), "--users", "lots"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Writes in `dir` a run `run` of Locust files plus the _events.csv captest writes
/// (Name,Requests,Events: 2 000 events over 100 batch requests = 20 per request), and an events
/// file `weights.txt` (10 per batch, 1 per single event); returns the run's prefix and the file.
fn write_run_with_events(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    for suffix in ["_stats_history.csv", "_stats.csv"] {
        std::fs::copy(
            locust_dir()
                .join("constant")
                .join(format!("constant{suffix}")),
            dir.join(format!("run{suffix}")),
        )
        .expect("copy a Locust file");
    }
    std::fs::write(
        dir.join("run_events.csv"),
        "Name,Requests,Events\r\nPOST /api/v1/event/batch,100,2000\r\n",
    )
    .expect("write _events.csv");
    let events_file = dir.join("weights.txt");
    std::fs::write(
        &events_file,
        "# events per request\nPOST /api/v1/event/batch=10\n\n/api/v1/event=1  # single\n",
    )
    .expect("write the events file");
    (dir.join("run"), events_file)
}

/// The steady requests per second of entry `name` in an analysis's JSON.
fn steady_rps_of(json: &serde_json::Value, name: &str) -> f64 {
    json["steady"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["entry"] == name)
        .and_then(|e| e["rps"].as_f64())
        .expect("entry rps")
}

/// The analysis's events per second are its batch and single-event rates weighted by `batch` and
/// `single`, and its weights came from `source`.
fn assert_events_weighted(json: &serde_json::Value, source: &str, batch: f64, single: f64) {
    assert_eq!(json["events_source"], source);
    let expected = steady_rps_of(json, "POST /api/v1/event/batch") * batch
        + steady_rps_of(json, "POST /api/v1/event") * single;
    let got = json["events_per_s"].as_f64().expect("events_per_s");
    assert!(close(got, expected), "{source}: {got} vs {expected}");
}

#[test]
fn event_weights_come_from_events_over_events_file_over_the_runs_events_csv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (prefix, events_file) = write_run_with_events(dir.path());
    let prefix = prefix.to_str().expect("utf-8");
    let file = events_file.to_str().expect("utf-8");
    assert_events_weighted(&analyze_json(&[prefix]), "_events.csv", 20.0, 0.0);
    assert_events_weighted(
        &analyze_json(&[prefix, "--events-file", file]),
        "--events-file",
        10.0,
        1.0,
    );
    assert_events_weighted(
        &analyze_json(&[
            prefix,
            "--events-file",
            file,
            "--events",
            "POST /api/v1/event/batch=5",
        ]),
        "--events",
        5.0,
        0.0,
    );
    let output = run_captest(&["analyze", prefix, "--events-file", file]);
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("business events: "))
        .unwrap_or_else(|| panic!("a business events line in {text}"));
    assert!(line.ends_with("; weights from --events-file)"), "{line}");
    // A bad line: one line naming FILE:LINE, exit 2.
    std::fs::write(
        &events_file,
        "# ok\nPOST /api/v1/event/batch=20\nbatch=twenty\n",
    )
    .expect("write");
    expect_error(&[prefix, "--events-file", file], &format!("{file}:3: "));
    expect_error(
        &[prefix, "--events-file", &format!("{file}.missing")],
        "weights.txt.missing",
    );
}

#[test]
fn rate_limits_are_counted_apart_exactly_from_the_failures_file() {
    let dir = locust_dir().join("constant");
    let json = analyze_json(&[dir.join("constant").to_str().expect("utf-8")]);
    let failures = read_csv(&dir.join("constant_failures.csv"));
    let stats = read_csv(&dir.join("constant_stats.csv"));
    let requests_of = |method: &str, name: &str| {
        stats
            .iter()
            .find(|r| r[TYPE] == method && r[NAME] == name)
            .map(|r| number(r, REQUEST_COUNT))
            .expect("a _stats.csv row")
    };
    let is_429 = |f: &&std::collections::HashMap<String, String>| f[ERROR].contains("429");
    let limited: Vec<_> = failures.iter().filter(is_429).collect();
    assert!(!limited.is_empty(), "the constant run has 429s");
    let total_429: f64 = limited.iter().map(|f| number(f, OCCURRENCES)).sum();
    let other: f64 = failures
        .iter()
        .filter(|f| !is_429(f))
        .map(|f| number(f, OCCURRENCES))
        .sum();
    let rate = &json["rate_limited"];
    assert_eq!(rate["requests"].as_f64(), Some(total_429));
    assert_eq!(rate["other_failures"].as_f64(), Some(other));
    let share = total_429 * 100.0 / requests_of("", "Aggregated");
    assert!(close(rate["share_pct"].as_f64().expect("share_pct"), share));
    let entries = rate["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), limited.len());
    for f in limited {
        let entry = format!("{} {}", f[METHOD], f[NAME]);
        let got = entries
            .iter()
            .find(|e| e["entry"] == entry.as_str())
            .unwrap_or_else(|| panic!("{entry} in rate_limited.entries"));
        let count = number(f, OCCURRENCES);
        assert_eq!(got["requests"].as_f64(), Some(count));
        let share = count * 100.0 / requests_of(&f[METHOD], &f[NAME]);
        assert!(
            close(got["share_pct"].as_f64().expect("share_pct"), share),
            "{got}"
        );
    }
}

#[test]
fn terminal_and_markdown_outputs_show_steps_and_findings() {
    let json = analyze_json(&[&step_prefix()]);
    let knee = &json["knee"];
    let knee_line = format!(
        "knee: {} users at {:.1} req/s",
        knee["users"].as_f64().expect("users"),
        knee["rps"].as_f64().expect("rps")
    );
    let bp = &json["breaking_point"];
    let bp_line = format!(
        "breaking point: {} fired first at {} users",
        bp["rule"].as_str().expect("rule"),
        bp["users"].as_f64().expect("users")
    );
    let step = &json["steps"][3];
    let output = run_captest(&["analyze", &step_prefix()]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with("run step — steady state after 0s warmup"),
        "{text}"
    );
    assert!(text.contains("\nsteps (from history):\n"), "{text}");
    let row = format!(
        "\n{:<5}  {:>5.1}",
        step["users"].as_f64().expect("users"),
        step["rps"].as_f64().expect("rps")
    );
    assert!(text.contains(&row), "{row:?} in {text}");
    for line in [&knee_line, &bp_line] {
        assert!(
            text.lines().any(|l| l.starts_with(line.as_str())),
            "{line} in {text}"
        );
    }
    assert!(text.lines().any(|l| l.starts_with("USL: σ=")), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("rate limited (429): ")),
        "{text}"
    );

    let output = run_captest(&["analyze", &step_prefix(), "--markdown"]);
    let md = String::from_utf8_lossy(&output.stdout);
    assert!(md.starts_with("## captest analyze: step\n"), "{md}");
    assert!(
        md.contains("\n### Steps\n\n| users | req/s | avg ms | p50 ms |"),
        "{md}"
    );
    let row = format!(
        "\n| {} | {:.1} |",
        step["users"].as_f64().expect("users"),
        step["rps"].as_f64().expect("rps")
    );
    assert!(md.contains(&row), "{row:?} in {md}");
    assert!(md.contains("\n### Findings\n\n"), "{md}");
    assert!(md.contains(&format!("\n- {knee_line}")), "{md}");
    assert!(md.contains(&format!("\n- {bp_line}")), "{md}");
    // The requests completed after the first row (the window is strictly after it).
    let rows = aggregated_history("step");
    let requests =
        number(&rows[rows.len() - 1], TOTAL_REQUEST_COUNT) - number(&rows[1], TOTAL_REQUEST_COUNT);
    assert_eq!(requests, 13273.0);
    assert!(md.contains(&format!("| Aggregated | {requests} |")), "{md}");
}
