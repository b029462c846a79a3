//! End-to-end tests of `captest compare`, `captest check` and `captest baseline` on the real
//! Locust baseline/current pair (GET /item/[id] made ~11 % slower, the rest unchanged but noisy).

mod support;

use std::path::Path;

use support::*;

fn locust(run: &str) -> String {
    locust_dir()
        .join(run)
        .join(run)
        .to_str()
        .expect("utf-8")
        .to_owned()
}

fn gate(args: &[&str]) -> (i32, serde_json::Value) {
    let output = run_captest(&[args, &["--json"]].concat());
    let code = output.status.code().expect("an exit code");
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(&output.stderr)));
    (code, json)
}

#[test]
fn a_slower_endpoint_is_flagged_and_noise_is_not() {
    let (code, json) = gate(&[
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "mean+8%",
        "--warmup",
        "10s",
    ]);
    assert_eq!(code, 1);
    assert_eq!(json["passed"], false);
    let failures = json["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1, "{failures:?}");
    let failure = &failures[0];
    assert_eq!(failure["entry"], "GET /item/[id]");
    assert_eq!(failure["metric"], "avg");
    assert_eq!(failure["test"], "mann-whitney-u");
    assert!(failure["p_value"].as_f64().is_some_and(|p| p < 0.05));
    let delta_pct = failure["delta_pct"].as_f64().expect("delta_pct");
    assert!((9.0..14.0).contains(&delta_pct), "{delta_pct}");
    for key in ["rule", "baseline", "current", "delta"] {
        assert!(!failure[key].is_null(), "{key}");
    }
    let entries = json["entries"].as_array().expect("entries");
    let verdict = |name: &str| {
        entries
            .iter()
            .find(|e| e["entry"] == name)
            .map(|e| e["verdict"].clone())
    };
    assert_eq!(verdict("DELETE /item/[id]"), Some(serde_json::json!("~")));
    assert_eq!(verdict("Aggregated"), Some(serde_json::json!("~")));
    assert!(entries
        .iter()
        .all(|e| e["entry"] == "GET /item/[id]" || e["verdict"] != "regressed"));

    // A stricter rule lists what it finds, with p-values.
    let (_, strict) = gate(&[
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "p95+5%",
        "--warmup",
        "10s",
    ]);
    let entries = strict["entries"].as_array().expect("entries");
    assert!(entries
        .iter()
        .filter(|e| e["entry"] != "Aggregated")
        .all(|e| e["p_value"].is_number()));
    assert!(strict["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .any(|f| f["entry"] == "GET /item/[id]"));
}

#[test]
fn a_run_compared_with_itself_passes_with_zero_deltas() {
    let (code, json) = gate(&[
        "compare",
        &locust("baseline"),
        &locust("baseline"),
        "--fail-on",
        "p95+10%",
        "--fail-on",
        "rps-5%",
        "--fail-on",
        "errors+1pp",
    ]);
    assert_eq!(code, 0);
    assert_eq!(json["passed"], true);
    let entries = json["entries"].as_array().expect("entries");
    assert!(entries.len() >= 27);
    assert!(
        entries.iter().all(|e| e["delta"].as_f64() == Some(0.0)),
        "{entries:?}"
    );
}

#[test]
fn junit_is_valid_xml_and_markdown_is_a_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("gate.xml");
    let output = run_captest(&[
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "mean+8%",
        "--fail-on",
        "GET /item/[id]:p99+50ms",
        "--markdown",
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let markdown = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = markdown.lines().filter(|l| l.starts_with('|')).collect();
    assert!(
        lines.len() > 3 && lines[1].starts_with("|---|"),
        "{markdown}"
    );
    let columns = lines[0].matches(" | ").count();
    assert!(lines[2..]
        .iter()
        .all(|l| l.matches(" | ").count() == columns));
    let xml = std::fs::read_to_string(&junit).expect("junit file");
    let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = document
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite");
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(
        suite.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    let failed = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    assert_eq!(
        suite.attribute("failures"),
        Some(failed.to_string().as_str())
    );
    assert!(failed >= 1);
}

#[test]
fn check_applies_absolute_thresholds() {
    let (code, json) = gate(&[
        "check",
        &locust("baseline"),
        "--threshold",
        "avg<200ms",
        "--threshold",
        "p95<500ms",
    ]);
    assert_eq!((code, json["passed"].clone()), (0, serde_json::json!(true)));
    let (code, json) = gate(&[
        "check",
        &locust("failing"),
        "--threshold",
        "errors<1%",
        "--threshold",
        "/items:p99<1s",
    ]);
    assert_eq!(code, 1);
    let failures = json["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["entry"], "Aggregated");
    assert_eq!(failures[0]["rule"], "errors<1%");
}

#[test]
fn baselines_are_saved_listed_and_resolved_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let in_dir = |args: &[&str]| {
        captest()
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("runs")
    };
    let saved = in_dir(&["baseline", "save", "release-1", &locust("baseline")]);
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("baselines/release-1/meta.json")).expect("meta"),
    )
    .expect("meta JSON");
    for key in [
        "saved_at",
        "saved_with",
        "captest_version",
        "machine",
        "source",
    ] {
        assert!(!meta[key].is_null(), "{key}");
    }
    // The run's files record neither its command line nor its target host: null, not a guess.
    for key in ["command", "host"] {
        assert!(meta.get(key).is_some_and(|v| v.is_null()), "{key}: {meta}");
    }
    assert!(meta["saved_with"]
        .as_str()
        .is_some_and(|c| c.contains("baseline save release-1")));
    assert!(Path::new(&dir.path().join("baselines/release-1/release-1_stats.csv")).is_file());
    // Given by the user, they are recorded as given.
    let described = in_dir(&[
        "baseline",
        "save",
        "release-2",
        &locust("baseline"),
        "--host",
        "http://127.0.0.1:18090",
        "--command",
        "locust -f locustfile.py --headless",
    ]);
    assert_eq!(described.status.code(), Some(0), "{described:?}");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("baselines/release-2/meta.json")).expect("meta"),
    )
    .expect("meta JSON");
    assert_eq!(meta["host"], "http://127.0.0.1:18090");
    assert_eq!(meta["command"], "locust -f locustfile.py --headless");
    let listed = in_dir(&["baseline", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("release-1"));
    let again = in_dir(&["baseline", "save", "release-1", &locust("baseline")]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "refuses to overwrite without --force"
    );
    let compared = in_dir(&[
        "compare",
        "release-1",
        &locust("current"),
        "--fail-on",
        "mean+8%",
    ]);
    assert_eq!(
        compared.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&compared.stderr)
    );
}

#[test]
fn bad_rules_and_files_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wrong = dir.path().join("wrong_stats.csv");
    std::fs::write(&wrong, "a,b,c\n1,2,3\n").expect("write");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--fail-on".into(), "p95+".into()], "character 5"),
        (
            vec!["--fail-on".into(), "p1000+5%".into()],
            "unknown metric",
        ),
        (
            vec!["--fail-on".into(), "foo:bar".into()],
            "expected + or -",
        ),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["compare".to_owned(), locust("baseline"), locust("current")];
        args.extend(flags);
        let output = captest().args(&args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr.contains(needle) && stderr.trim().lines().count() == 1,
            "{stderr}"
        );
    }
    let missing = run_captest(&[
        "compare",
        "nothing-here",
        &locust("current"),
        "--fail-on",
        "p95+5%",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no run files"));
    let mismatched = run_captest(&[
        "compare",
        wrong.to_str().expect("utf-8"),
        &locust("current"),
        "--fail-on",
        "p95+5%",
    ]);
    assert_eq!(mismatched.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mismatched.stderr).contains("missing column"));
}

#[test]
fn run_applies_thresholds_at_the_end_and_writes_html_without_csv() {
    let server = DemoServer::start(&["--service-time", "5ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("run.html");
    let base = [
        "run",
        "--host",
        server.url.as_str(),
        "--path",
        "/items",
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "2s",
        "-q",
    ];
    let strict = run_captest(
        &[
            &base[..],
            &["--threshold", "p95<1ms", "--threshold", "errors<1%"],
        ]
        .concat(),
    );
    assert_eq!(
        strict.status.code(),
        Some(1),
        "p95 of a 5 ms service is above 1 ms"
    );
    let stdout = String::from_utf8_lossy(&strict.stdout);
    assert!(
        stdout.contains("FAILED: 1 rule(s)") && stdout.contains("p95<1ms"),
        "{stdout}"
    );
    let relaxed = run_captest(
        &[
            &base[..],
            &[
                "--threshold",
                "p95<5s",
                "--html",
                html.to_str().expect("utf-8"),
            ],
        ]
        .concat(),
    );
    assert_eq!(relaxed.status.code(), Some(0), "{relaxed:?}");
    assert!(std::fs::read_to_string(&html)
        .expect("html report")
        .contains("id=\"chart-throughput\""));
}

#[test]
fn abort_on_fail_stops_the_run_when_a_threshold_is_crossed() {
    let server = DemoServer::start(&["--service-time", "5ms"]);
    let started = std::time::Instant::now();
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/items",
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "60s",
        "-q",
        "--threshold",
        "p95<1ms",
        "--abort-on-fail",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "stopped early: {:?}",
        started.elapsed()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("FAILED: 1 rule(s)"), "{stdout}");
}

#[test]
fn every_percentile_and_max_gets_a_noise_test() {
    let (code, json) = gate(&[
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "p90+5%",
        "--fail-on",
        "p99.9+5%",
        "--fail-on",
        "max+5%",
        "--warmup",
        "10s",
    ]);
    assert_eq!(code, 1);
    let entries = json["entries"].as_array().expect("entries");
    assert!(
        entries
            .iter()
            .all(|e| e["test"] == "mann-whitney-u" && e["p_value"].is_number()),
        "{entries:?}"
    );
    let p90 = |name: &str| {
        entries
            .iter()
            .find(|e| e["entry"] == name && e["metric"] == "p90")
            .unwrap_or_else(|| panic!("{name} p90"))
    };
    // DELETE /item/[id] is beyond +5 % on p90 only through noise; GET /item/[id] really is slower.
    let delete = p90("DELETE /item/[id]");
    assert!(
        delete["delta_pct"].as_f64().is_some_and(|d| d > 5.0),
        "{delete}"
    );
    assert_eq!(delete["verdict"], "~");
    assert_eq!(p90("GET /item/[id]")["verdict"], "regressed");
    let failures = json["failures"].as_array().expect("failures");
    assert!(
        failures.iter().all(|f| f["entry"] == "GET /item/[id]"),
        "{failures:?}"
    );
}

/// A scenario with a plain read and a batch that delivers 20 business events per request.
const EVENTS_SCENARIO: &str = r#"
[[users]]
name = "Shopper"
wait = { constant = "20ms" }
[[users.tasks]]
weight = 3
[[users.tasks.requests]]
path = "/items"
[[users.tasks]]
weight = 1
[[users.tasks.requests]]
method = "POST"
path = "/api/v1/event/batch"
headers = { Content-Type = "application/json" }
body = '{"events": [{{ repeat(20, "{\"type\": \"click\"}") }}]}'
events = 20
"#;

/// Two short captest runs of [`EVENTS_SCENARIO`] against a local demo server, with full history.
fn two_captest_runs(dir: &Path) -> (String, String) {
    let server = DemoServer::start(&["--service-time", "2ms"]);
    let scenario = dir.join("events.toml");
    std::fs::write(&scenario, EVENTS_SCENARIO).expect("write the scenario");
    let mut prefixes = Vec::new();
    for name in ["first", "second"] {
        let prefix = dir.join(name).to_str().expect("utf-8").to_owned();
        let output = run_captest(&[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "4",
            "-r",
            "40",
            "-t",
            "8s",
            "-q",
            "--csv",
            &prefix,
            "--csv-full-history",
        ]);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        prefixes.push(prefix);
    }
    let second = prefixes.pop().expect("two runs");
    (prefixes.pop().expect("two runs"), second)
}

/// Events per second of `entry` as the run's own files give them: rps × events / requests.
fn events_per_s(prefix: &str, entry: &str) -> f64 {
    let prefix = Path::new(prefix);
    let stats = read_csv(&with_suffix(prefix, "_stats.csv"));
    let events = read_csv(&with_suffix(prefix, "_events.csv"));
    let row = stats
        .iter()
        .find(|r| format!("{} {}", r["Type"], r["Name"]) == entry)
        .unwrap_or_else(|| panic!("{entry} in {stats:?}"));
    let counted = events
        .iter()
        .find(|r| r["Name"] == entry)
        .unwrap_or_else(|| panic!("{entry} in {events:?}"));
    let number = |text: &str| text.parse::<f64>().expect("a number");
    number(&row["Requests/s"]) * number(&counted["Events"]) / number(&counted["Requests"])
}

#[test]
fn compare_reads_captest_runs_and_their_own_event_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, second) = two_captest_runs(dir.path());

    // A captest run compared with itself: exit 0, every delta 0, samples from its history.
    let (code, json) = gate(&[
        "compare",
        &first,
        &first,
        "--fail-on",
        "p95+10%",
        "--fail-on",
        "p90+10%",
        "--fail-on",
        "mean+10%",
        "--fail-on",
        "rps-5%",
        "--fail-on",
        "errors+1pp",
        "--fail-on",
        "events-5%",
    ]);
    assert_eq!(code, 0, "{json}");
    let entries = json["entries"].as_array().expect("entries");
    // 3 entries (2 requests + Aggregated) × 6 rules.
    assert_eq!(entries.len(), 18, "{entries:?}");
    assert!(
        entries.iter().all(|e| e["delta"].as_f64() == Some(0.0)),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .filter(|e| e["metric"] == "avg" || e["metric"] == "rps")
            .all(|e| e["test"] == "mann-whitney-u"),
        "every entry has per-second samples in a captest full history: {entries:?}"
    );

    // The events metric uses each run's own _events.csv (no --events given).
    let (_, json) = gate(&["compare", &first, &second, "--fail-on", "events-90%"]);
    let entries = json["entries"].as_array().expect("entries");
    let find = |entry: &str| {
        entries
            .iter()
            .find(|e| e["entry"] == entry)
            .unwrap_or_else(|| panic!("{entry}: {entries:?}"))
    };
    let batch = "POST /api/v1/event/batch";
    for (key, prefix) in [("baseline", &first), ("current", &second)] {
        let expected = events_per_s(prefix, batch);
        assert!(expected > 0.0, "{prefix}: events were delivered");
        let reported = find(batch)[key].as_f64().expect("a value");
        assert!(
            (reported - expected).abs() <= 1e-9 * expected,
            "{key}: {reported} vs {expected}"
        );
        assert_eq!(find("Aggregated")[key].as_f64(), Some(reported));
        assert_eq!(find("GET /items")[key].as_f64(), Some(0.0));
    }

    // With --warmup the events come from the steady window of each run's full history.
    let (_, json) = gate(&[
        "compare",
        &first,
        &second,
        "--fail-on",
        "events-90%",
        "--warmup",
        "2s",
    ]);
    let entries = json["entries"].as_array().expect("entries");
    for e in entries {
        assert_eq!(e["baseline_source"], "history", "{e}");
        assert_eq!(e["current_source"], "history", "{e}");
    }
    let batch_events = entries
        .iter()
        .find(|e| e["entry"] == batch)
        .and_then(|e| e["baseline"].as_f64())
        .expect("batch events");
    let aggregated_events = entries
        .iter()
        .find(|e| e["entry"] == "Aggregated")
        .and_then(|e| e["baseline"].as_f64())
        .expect("Aggregated events");
    assert!(batch_events > 0.0 && aggregated_events == batch_events);

    // `check` uses the run's own events too.
    let (code, json) = gate(&["check", &first, "--threshold", "events>1"]);
    assert_eq!(code, 0, "{json}");
}

#[test]
fn beyond_a_rule_but_not_significant_is_within_noise_unless_strict() {
    let args = |extra: &[&str]| -> Vec<String> {
        [
            &[
                "compare",
                &locust("baseline"),
                &locust("current"),
                "--fail-on",
                "DELETE /item/[id]:p95+5%",
                "--warmup",
                "10s",
            ][..],
            extra,
        ]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect()
    };
    fn as_str(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    // DELETE /item/[id] is +7.5 % on p95 but not significant: `~`, within noise, exit 0.
    let (code, json) = gate(&as_str(&args(&[])));
    assert_eq!(code, 0, "{json}");
    let entries = json["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let delete = &entries[0];
    assert_eq!(delete["entry"], "DELETE /item/[id]");
    assert!(
        delete["delta_pct"].as_f64().is_some_and(|d| d > 5.0),
        "{delete}"
    );
    assert_eq!(delete["test"], "mann-whitney-u");
    assert!(
        delete["p_value"].as_f64().is_some_and(|p| p >= 0.05),
        "{delete}"
    );
    assert_eq!(delete["verdict"], "~");
    assert_eq!(delete["within_noise"], true);
    assert_eq!(delete["failed"], false);

    for format in [None, Some("--markdown")] {
        let output = run_captest(&as_str(&args(format.as_slice())));
        assert_eq!(output.status.code(), Some(0), "{format:?}");
        let shown = String::from_utf8_lossy(&output.stdout);
        let row = shown
            .lines()
            .find(|l| l.contains("DELETE /item/[id]") && l.contains("p95"))
            .unwrap_or_else(|| panic!("a DELETE row in {shown}"));
        assert!(row.contains("~ within noise"), "{format:?}: {row}");
        assert!(
            shown.contains("Mann-Whitney U")
                && shown.contains("α=0.05")
                && shown.contains("not a failure unless --strict"),
            "{format:?} names the test and alpha: {shown}"
        );
    }

    // In the unscoped rule GET /item/[id] fails, DELETE /item/[id] stays within noise.
    let (code, json) = gate(&[
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "p95+5%",
        "--warmup",
        "10s",
    ]);
    assert_eq!(code, 1);
    let failures = json["failures"].as_array().expect("failures");
    assert!(
        failures.iter().all(|f| f["entry"] != "DELETE /item/[id]"),
        "{failures:?}"
    );

    // --strict fails it.
    let (code, json) = gate(&as_str(&args(&["--strict"])));
    assert_eq!(code, 1, "{json}");
    let failures = json["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["entry"], "DELETE /item/[id]");
    assert_eq!(failures[0]["verdict"], "regressed");
    assert_eq!(json["strict"], true);
}

/// `METHOD name`, or `Aggregated`, of a CSV row.
fn entry_name(row: &std::collections::HashMap<String, String>) -> String {
    if row["Type"].is_empty() {
        row["Name"].clone()
    } else {
        format!("{} {}", row["Type"], row["Name"])
    }
}

/// The average response time (ms) of `entry`'s requests completed from `warmup_s` after the first
/// history row on, computed from the history file itself.
fn steady_avg_from_history(prefix: &str, entry: &str, warmup_s: f64) -> f64 {
    let rows = read_csv(&with_suffix(Path::new(prefix), "_stats_history.csv"));
    let number = |row: &std::collections::HashMap<String, String>, column: &str| {
        row[column].parse::<f64>().expect("a number")
    };
    let start = number(&rows[0], "Timestamp") + warmup_s;
    let window: Vec<_> = rows
        .iter()
        .filter(|r| {
            entry_name(r) == entry
                && number(r, "Timestamp") >= start
                && number(r, "User Count") > 0.0
        })
        .collect();
    let (first, last) = (window[0], window[window.len() - 1]);
    let total = |r| number(r, "Total Average Response Time") * number(r, "Total Request Count");
    (total(last) - total(first))
        / (number(last, "Total Request Count") - number(first, "Total Request Count"))
}

#[test]
fn with_warmup_the_values_come_from_the_steady_window_of_the_history() {
    let rule = ["--fail-on", "mean+8%"];
    let (_, whole) = gate(
        &[
            &["compare", &locust("baseline"), &locust("current")][..],
            &rule,
        ]
        .concat(),
    );
    let (_, steady) = gate(
        &[
            &["compare", &locust("baseline"), &locust("current")][..],
            &rule,
            &["--warmup", "30s"],
        ]
        .concat(),
    );
    let stats = read_csv(&with_suffix(Path::new(&locust("baseline")), "_stats.csv"));
    let mut differs = 0;
    for (w, s) in whole["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .zip(steady["entries"].as_array().expect("entries"))
    {
        let entry = w["entry"].as_str().expect("entry");
        assert_eq!(s["entry"], entry);
        // Without --warmup: the whole run's _stats.csv figure.
        let row = stats
            .iter()
            .find(|r| entry_name(r) == entry)
            .unwrap_or_else(|| panic!("{entry} in _stats.csv"));
        let from_stats: f64 = row["Average Response Time"].parse().expect("a number");
        let value = w["baseline"].as_f64().expect("a value");
        assert!(
            (value - from_stats).abs() <= 1e-12 * from_stats,
            "{entry}: {value} vs {from_stats}"
        );
        assert_eq!(w["baseline_source"], "stats");
        // With --warmup 30s: the steady window of the (full) history.
        let expected = steady_avg_from_history(&locust("baseline"), entry, 30.0);
        let value = s["baseline"].as_f64().expect("a value");
        assert!(
            (value - expected).abs() < 1e-9 * expected,
            "{entry}: {value} vs {expected}"
        );
        assert_eq!(s["baseline_source"], "history");
        assert_eq!(s["current_source"], "history");
        differs += usize::from((value - from_stats).abs() > 1e-6);
    }
    assert!(differs >= 5, "the warmup changes the values");
    // Only GET /item/[id] is flagged either way.
    for report in [&whole, &steady] {
        let failures = report["failures"].as_array().expect("failures");
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0]["entry"], "GET /item/[id]");
    }

    // Without full history the entries fall back to _stats.csv; Aggregated has its rows.
    let plain = locust_dir().join("no-full-history").join("no-full-history");
    let plain = plain.to_str().expect("utf-8");
    let (code, json) = gate(&[
        "compare",
        plain,
        plain,
        "--fail-on",
        "mean+8%",
        "--warmup",
        "5s",
    ]);
    assert_eq!(code, 0);
    for e in json["entries"].as_array().expect("entries") {
        let expected = if e["entry"] == "Aggregated" {
            "history"
        } else {
            "stats"
        };
        assert_eq!(e["baseline_source"], expected, "{e}");
        assert_eq!(e["delta"].as_f64(), Some(0.0), "{e}");
    }
}
