//! End-to-end tests of `captest analyze` on real Locust files and on broken input.

mod support;

use std::path::Path;

use support::*;

fn analyze_json(args: &[&str]) -> serde_json::Value {
    let output = run_captest(&[&["analyze"][..], args, &["--json"]].concat());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

/// Expected figures from the pandas recipe (pandas 3.1.1), computed once with (from the repo root):
/// ```text
/// cd ../shared/locust && python3 -c "
/// import pandas as pd
/// for d in ['step', 'constant', 'baseline', 'current', 'failing', 'no-full-history']:
///     df = pd.read_csv(f'{d}/{d}_stats_history.csv'); agg = df[df.Name == 'Aggregated']
///     stable = agg[agg.Timestamp >= agg.Timestamp.min() + 10]
///     print(repr(d), float(stable['Total Request Count'].diff().mean()),
///           float(stable['Total Average Response Time'].mean()))
/// "
/// ```
const RECIPE: [(&str, f64, f64); 6] = [
    ("step", 100.05384615384615, 53.32247772474195),
    ("constant", 88.81012658227849, 35.09492532039886),
    ("baseline", 89.79591836734694, 35.96210557129089),
    ("current", 89.14285714285714, 36.86868925428269),
    ("failing", 60.68421052631579, 27.18469200692298),
    ("no-full-history", 61.36842105263158, 29.487834620136084),
];

#[test]
fn steady_state_equals_the_pandas_recipe_on_every_locust_history() {
    for (run, rps, avg) in RECIPE {
        let path = locust_dir()
            .join(run)
            .join(format!("{run}_stats_history.csv"));
        let json = analyze_json(&[path.to_str().expect("utf-8"), "--warmup", "10s"]);
        let steady = &json["steady"];
        let got_rps = steady["rps_recipe"].as_f64().expect("rps_recipe");
        let got_avg = steady["avg_ms"].as_f64().expect("avg_ms");
        assert!(
            close(got_rps, rps),
            "{run}: rps_recipe {got_rps} vs pandas {rps}"
        );
        assert!(
            close(got_avg, avg),
            "{run}: avg_ms {got_avg} vs pandas {avg}"
        );
        for key in ["rps", "p50_ms", "p95_ms", "p99_ms", "error_pct"] {
            assert!(steady[key].is_number(), "{run}: steady.{key}");
        }
        assert!(
            steady["entries"].as_array().is_some_and(|e| e.len() >= 8),
            "{run}"
        );
    }
}

#[test]
fn locust_step_run_has_its_knee_between_40_and_50_users() {
    let prefix = locust_dir().join("step").join("step");
    let json = analyze_json(&[prefix.to_str().expect("utf-8")]);
    let knee = &json["knee"];
    let users = knee["users"].as_f64().expect("a knee");
    let rps = knee["rps"].as_f64().expect("knee rps");
    assert!((40.0..=50.0).contains(&users), "knee at {users} users");
    assert!((110.0..=125.0).contains(&rps), "knee at {rps} req/s");
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 7);
    let plateau = steps
        .iter()
        .map(|s| s["rps"].as_f64().expect("rps"))
        .fold(0.0, f64::max);
    let x_max = json["usl"]["x_max"].as_f64().expect("USL x_max");
    assert!(
        (x_max / plateau - 1.0).abs() < 0.10,
        "USL X_max {x_max} vs plateau {plateau}"
    );
    assert!(json["usl"]["r2"].as_f64().expect("r2") > 0.9);
    // 429s are told apart from the other failures.
    assert!(json["rate_limited"]["requests"].as_f64() > Some(0.0));
}

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

fn expect_error(args: &[&str], needle: &str) {
    let output = run_captest(&[&["analyze"][..], args].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} should mention {needle:?}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = locust_dir()
        .join("constant")
        .join("constant_stats_history.csv");
    let text = std::fs::read_to_string(&source).expect("history");
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        path.to_str().expect("utf-8").to_owned()
    };
    // Missing column.
    let missing = write(
        "missing_stats_history.csv",
        &text.replacen("Total Request Count", "Requests Total", 1),
    );
    expect_error(&[&missing], "missing column \"Total Request Count\"");
    // Non-numeric cell on line 3.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen(",0,", ",zero,", 1);
    let bad = write("bad_stats_history.csv", &lines.join("\n"));
    expect_error(&[&bad], "line 3");
    // No rows after warmup.
    expect_error(
        &[source.to_str().expect("utf-8"), "--warmup", "1h"],
        "after a 1h warmup",
    );
    // A single row.
    let single = write(
        "single_stats_history.csv",
        &text.lines().take(2).collect::<Vec<_>>().join("\n"),
    );
    expect_error(&[&single], "1 Aggregated row");
    // Unknown prefix.
    expect_error(
        &[dir.path().join("nothing").to_str().expect("utf-8")],
        "no run files",
    );
    // Bad options.
    expect_error(&[&single, "--slo", "p95>1s"], "--slo");
    expect_error(&[&single, "--events", "batch"], "--events");
}

/// The Aggregated rows of a Locust history, as (Timestamp, row) with numbers parsed where they are.
fn aggregated_history(run: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = locust_dir()
        .join(run)
        .join(format!("{run}_stats_history.csv"));
    read_csv(&path)
        .into_iter()
        .filter(|r| r["Name"] == "Aggregated" && r["Type"].is_empty())
        .collect()
}

fn number(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?} is a number", row[column]))
}

fn step_prefix() -> String {
    locust_dir()
        .join("step")
        .join("step")
        .to_str()
        .expect("utf-8")
        .to_owned()
}

/// Per step of the JSON: (users, average response time of the requests completed in the step's
/// window, mean of the current-window 50% over it), both computed here from the history file.
fn step_avg_and_p50(json: &serde_json::Value) -> Vec<(f64, f64, f64)> {
    let rows = aggregated_history("step");
    json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            let (start, end) = (step["start"].as_f64(), step["end"].as_f64());
            let at = |t: Option<f64>| {
                rows.iter()
                    .find(|r| Some(number(r, "Timestamp")) == t)
                    .expect("a history row at the step's bound")
            };
            let (a, b) = (at(start), at(end));
            let count = |r| number(r, "Total Request Count");
            let avg = (number(b, "Total Average Response Time") * count(b)
                - number(a, "Total Average Response Time") * count(a))
                / (count(b) - count(a));
            let inside: Vec<f64> = rows
                .iter()
                .filter(|r| {
                    let t = Some(number(r, "Timestamp"));
                    t >= start && t <= end
                })
                .map(|r| number(r, "50%"))
                .collect();
            let p50 = inside.iter().sum::<f64>() / inside.len() as f64;
            (step["users"].as_f64().expect("users"), avg, p50)
        })
        .collect()
}

#[test]
fn avg_and_p50_slos_use_each_steps_own_figure() {
    let bound = 50.0;
    let think = 0.3;
    let avg_json = analyze_json(&[&step_prefix(), "--slo", "avg<50ms", "--think-time", "0.3s"]);
    let p50_json = analyze_json(&[&step_prefix(), "--slo", "p50<50ms", "--think-time", "0.3s"]);
    let figures = step_avg_and_p50(&avg_json);
    for ((_, avg, p50), step) in figures
        .iter()
        .zip(avg_json["steps"].as_array().expect("steps"))
    {
        let got = step["avg_ms"].as_f64().expect("steps[].avg_ms");
        assert!(close(got, *avg), "step avg_ms {got} vs {avg}");
        let got = step["p50_ms"].as_f64().expect("steps[].p50_ms");
        assert!(close(got, *p50), "step p50_ms {got} vs {p50}");
    }
    let most = |pick: fn(&(f64, f64, f64)) -> f64| {
        figures
            .iter()
            .filter(|f| pick(f) < bound)
            .map(|f| f.0)
            .fold(None, |m: Option<f64>, u| Some(m.map_or(u, |m| m.max(u))))
    };
    let by_avg = most(|f| f.1).expect("a step under 50 ms on average");
    let by_p50 = most(|f| f.2).expect("a step under 50 ms at p50");
    // On this run the two differ (avg 51 ms vs p50 48 ms at 40 users), so using p50 for avg fails.
    assert_ne!(by_avg, by_p50);
    for (json, users, rule) in [
        (&avg_json, by_avg, "avg<50ms"),
        (&p50_json, by_p50, "p50<50ms"),
    ] {
        let slo = &json["capacity"]["slo"];
        assert_eq!(slo["rule"], rule);
        assert_eq!(slo["max_users_measured"].as_f64(), Some(users), "{rule}");
        let step = json["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["users"].as_f64() == Some(users))
            .expect("that step");
        assert_eq!(slo["rps_at_max_users"], step["rps"]);
        // Little's law at the bound: the best throughput measured × (bound + think time).
        let best = json["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["rps"].as_f64())
            .fold(
                json["steady"]["rps"].as_f64().expect("steady rps"),
                f64::max,
            );
        let expected = best * (bound / 1000.0 + think);
        let got = slo["users_estimated"].as_f64().expect("users_estimated");
        assert!(close(got, expected), "{rule}: {got} vs {expected}");
    }
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

#[test]
fn event_weights_come_from_events_over_events_file_over_the_runs_events_csv() {
    // A run of Locust files plus the _events.csv captest writes (Name,Requests,Events): 2 000
    // events over 100 batch requests = 20 per request.
    let dir = tempfile::tempdir().expect("temp dir");
    for suffix in ["_stats_history.csv", "_stats.csv"] {
        std::fs::copy(
            locust_dir()
                .join("constant")
                .join(format!("constant{suffix}")),
            dir.path().join(format!("run{suffix}")),
        )
        .expect("copy a Locust file");
    }
    std::fs::write(
        dir.path().join("run_events.csv"),
        "Name,Requests,Events\r\nPOST /api/v1/event/batch,100,2000\r\n",
    )
    .expect("write _events.csv");
    let events_file = dir.path().join("weights.txt");
    std::fs::write(
        &events_file,
        "# events per request\nPOST /api/v1/event/batch=10\n\n/api/v1/event=1  # single\n",
    )
    .expect("write the events file");
    let prefix = dir.path().join("run");
    let prefix = prefix.to_str().expect("utf-8");
    let file = events_file.to_str().expect("utf-8");
    let rps_of = |json: &serde_json::Value, name: &str| {
        json["steady"]["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["entry"] == name)
            .and_then(|e| e["rps"].as_f64())
            .expect("entry rps")
    };
    let check = |json: &serde_json::Value, source: &str, batch: f64, single: f64| {
        assert_eq!(json["events_source"], source);
        let expected = rps_of(json, "POST /api/v1/event/batch") * batch
            + rps_of(json, "POST /api/v1/event") * single;
        let got = json["events_per_s"].as_f64().expect("events_per_s");
        assert!(close(got, expected), "{source}: {got} vs {expected}");
    };
    check(&analyze_json(&[prefix]), "_events.csv", 20.0, 0.0);
    check(
        &analyze_json(&[prefix, "--events-file", file]),
        "--events-file",
        10.0,
        1.0,
    );
    check(
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

/// Per step of `json`: failures other than 429 ÷ requests (%), from the per-entry rows of the
/// run's history and each entry's non-429 share of failures in its `_failures.csv`.
fn non_429_error_pct(json: &serde_json::Value, history: &Path, failures: &Path) -> Vec<f64> {
    let rows: Vec<_> = read_csv(history)
        .into_iter()
        .filter(|r| r["Name"] != "Aggregated")
        .collect();
    let mut keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r["Type"].clone(), r["Name"].clone()))
        .collect();
    keys.sort();
    keys.dedup();
    let failures = read_csv(failures);
    let share = |key: &(String, String)| {
        let (mut all, mut other) = (0.0, 0.0);
        for f in failures
            .iter()
            .filter(|f| f["Method"] == key.0 && f["Name"] == key.1)
        {
            let n = number(f, "Occurrences");
            all += n;
            if !f["Error"].contains("429") {
                other += n;
            }
        }
        if all > 0.0 {
            other / all
        } else {
            1.0
        }
    };
    let totals_at = |key: &(String, String), t: f64| {
        rows.iter()
            .rev()
            .find(|r| r["Type"] == key.0 && r["Name"] == key.1 && number(r, "Timestamp") <= t)
            .map_or((0.0, 0.0), |r| {
                (
                    number(r, "Total Request Count"),
                    number(r, "Total Failure Count"),
                )
            })
    };
    json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            let (start, end) = (
                step["start"].as_f64().expect("start"),
                step["end"].as_f64().expect("end"),
            );
            let (mut requests, mut other) = (0.0, 0.0);
            for key in &keys {
                let (r0, f0) = totals_at(key, start);
                let (r1, f1) = totals_at(key, end);
                requests += r1 - r0;
                other += (f1 - f0) * share(key);
            }
            other * 100.0 / requests
        })
        .collect()
}

/// The first step index where each rule fires, by the rules' definitions, from the JSON's steps
/// and the given error shares.
fn expected_rule_steps(steps: &[serde_json::Value], errors: &[f64]) -> [Option<usize>; 3] {
    let f = |s: &serde_json::Value, k: &str| s[k].as_f64().expect(k);
    let base = f(&steps[0], "p95_ms");
    [
        errors.iter().position(|e| *e > 1.0),
        steps.iter().position(|s| f(s, "p95_ms") > 5.0 * base),
        (1..steps.len()).find(|i| {
            f(&steps[*i], "users") > f(&steps[i - 1], "users")
                && f(&steps[*i], "rps") / f(&steps[i - 1], "rps") - 1.0 < 0.05
        }),
    ]
}

fn check_breaking_points(json: &serde_json::Value, errors: &[f64]) {
    let steps = json["steps"].as_array().expect("steps");
    let expected = expected_rule_steps(steps, errors);
    let checks = json["breaking_points"].as_array().expect("breaking_points");
    let rules = ["errors>1%", "p95>5x", "rps-growth<5%"];
    assert_eq!(checks.len(), 3);
    for ((check, rule), step) in checks.iter().zip(rules).zip(expected) {
        assert_eq!(check["rule"], rule);
        match step {
            Some(i) => {
                assert_eq!(check["users"], steps[i]["users"], "{rule}");
                assert_eq!(check["rps"], steps[i]["rps"], "{rule}");
            }
            None => {
                assert!(
                    check["users"].is_null() && check["rps"].is_null(),
                    "{rule}: {check}"
                );
            }
        }
    }
    // breaking_point = the earliest step; on one step, the rules' order.
    let first = expected
        .iter()
        .enumerate()
        .filter_map(|(rule, step)| step.map(|s| (s, rule)))
        .min();
    match first {
        Some((step, rule)) => {
            assert_eq!(json["breaking_point"]["rule"], rules[rule]);
            assert_eq!(json["breaking_point"]["users"], steps[step]["users"]);
        }
        None => assert!(json["breaking_point"].is_null()),
    }
}

#[test]
fn breaking_points_list_every_rule_and_429s_are_not_errors() {
    let dir = locust_dir().join("step");
    let json = analyze_json(&[&step_prefix()]);
    let errors = non_429_error_pct(
        &json,
        &dir.join("step_stats_history.csv"),
        &dir.join("step_failures.csv"),
    );
    let steps = json["steps"].as_array().expect("steps");
    for (step, expected) in steps.iter().zip(&errors) {
        let got = step["error_pct_excl_429"]
            .as_f64()
            .expect("error_pct_excl_429");
        assert!(close(got, *expected), "{got} vs {expected}");
        assert!(got <= step["error_pct"].as_f64().expect("error_pct"));
    }
    // Some step has 429s, so the two figures differ there.
    assert!(steps
        .iter()
        .zip(&errors)
        .any(|(s, e)| s["error_pct"].as_f64() > Some(e + 0.1)));
    check_breaking_points(&json, &errors);
    let detail = json["breaking_points"][0]["detail"]
        .as_str()
        .expect("detail");
    assert!(
        detail.contains(&format!("{:.2}% errors other than 429", errors[0])),
        "{detail}"
    );

    // The same run where every failure is a 429: the errors rule must not fire at all.
    let temp = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        dir.join("step_stats_history.csv"),
        temp.path().join("run_stats_history.csv"),
    )
    .expect("copy");
    std::fs::copy(
        dir.join("step_stats.csv"),
        temp.path().join("run_stats.csv"),
    )
    .expect("copy");
    let failures = std::fs::read_to_string(dir.join("step_failures.csv"))
        .expect("failures")
        .replace(
            "500 Server Error: Internal Server Error",
            "429 Client Error: Too Many Requests",
        )
        .replace(
            "404 Client Error: Not Found",
            "429 Client Error: Too Many Requests",
        );
    std::fs::write(temp.path().join("run_failures.csv"), failures).expect("write");
    let json = analyze_json(&[temp.path().join("run").to_str().expect("utf-8")]);
    let zero = vec![0.0; json["steps"].as_array().expect("steps").len()];
    for step in json["steps"].as_array().expect("steps") {
        assert_eq!(step["error_pct_excl_429"].as_f64(), Some(0.0));
        assert!(
            step["error_pct"].as_f64() > Some(1.0),
            "all failures still count there"
        );
    }
    check_breaking_points(&json, &zero);
    assert_ne!(json["breaking_point"]["rule"], "errors>1%");
}

#[test]
fn a_run_without_history_says_its_figures_are_whole_run_totals_and_warns_about_warmup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stats = dir.path().join("run_stats.csv");
    std::fs::copy(
        locust_dir().join("constant").join("constant_stats.csv"),
        &stats,
    )
    .expect("copy _stats.csv");
    let prefix = dir.path().join("run");
    let prefix = prefix.to_str().expect("utf-8");
    let aggregated = read_csv(&stats)
        .into_iter()
        .find(|r| r["Name"] == "Aggregated")
        .expect("Aggregated row");

    let output = run_captest(&["analyze", prefix, "--warmup", "60s", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("warning: ") && stderr.contains("--warmup 1m"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let steady = &json["steady"];
    assert_eq!(steady["source"], "stats");
    let note = steady["note"].as_str().expect("steady.note");
    assert!(note.contains("no _stats_history.csv"), "{note}");
    assert!(note.contains("--warmup not applied"), "{note}");
    // rps_recipe is _stats.csv's Requests/s, avg its Average Response Time.
    assert_eq!(
        steady["rps_recipe"].as_f64(),
        Some(number(&aggregated, "Requests/s"))
    );
    assert_eq!(
        steady["avg_ms"].as_f64(),
        Some(number(&aggregated, "Average Response Time"))
    );
    // The terminal output says it too; no warning without --warmup.
    let output = run_captest(&["analyze", prefix]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("note: no _stats_history.csv"), "{text}");
    // A history with only Aggregated rows says where entries[] come from.
    let json = analyze_json(&[locust_dir()
        .join("no-full-history")
        .join("no-full-history")
        .to_str()
        .expect("utf-8")]);
    let note = json["steady"]["note"].as_str().expect("steady.note");
    assert!(note.contains("only Aggregated rows"), "{note}");
    let json = analyze_json(&[&step_prefix()]);
    assert!(json["steady"]["note"].is_null());
}

#[test]
fn steps_drop_their_first_seconds_unless_told_not_to() {
    let rows = aggregated_history("step");
    let settled = analyze_json(&[&step_prefix()]);
    let raw = analyze_json(&[&step_prefix(), "--step-settle", "0s"]);
    let (settled, raw) = (
        settled["steps"].as_array().expect("steps"),
        raw["steps"].as_array().expect("steps"),
    );
    assert_eq!(settled.len(), raw.len());
    let mut differ = 0;
    for (s, r) in settled.iter().zip(raw) {
        let users = s["users"].as_f64().expect("users");
        assert_eq!(r["users"].as_f64(), Some(users));
        let plateau: Vec<f64> = rows
            .iter()
            .filter(|row| number(row, "User Count") == users)
            .map(|row| number(row, "Timestamp"))
            .collect();
        let first = plateau[0];
        // Unsettled: the plateau's first row; default: the first row 10 s or more after it.
        assert_eq!(r["start"].as_f64(), Some(first), "{users} users");
        let after = plateau.iter().copied().find(|t| *t >= first + 10.0);
        assert_eq!(s["start"].as_f64(), after, "{users} users");
        assert_eq!(s["end"], r["end"]);
        if s["rps"] != r["rps"] || s["p50_ms"] != r["p50_ms"] {
            differ += 1;
        }
    }
    assert_eq!(differ, settled.len(), "every step's figures change");
}

#[test]
fn step_run_reports_step_percentiles_both_knees_and_a_consistent_usl() {
    let json = analyze_json(&[&step_prefix()]);
    let rows = aggregated_history("step");
    for step in json["steps"].as_array().expect("steps") {
        let (start, end) = (step["start"].as_f64(), step["end"].as_f64());
        let inside: Vec<_> = rows
            .iter()
            .filter(|r| {
                let t = Some(number(r, "Timestamp"));
                t >= start && t <= end
            })
            .collect();
        let mean = |column: &str| {
            inside.iter().map(|r| number(r, column)).sum::<f64>() / inside.len() as f64
        };
        for (key, column) in [("p50_ms", "50%"), ("p95_ms", "95%"), ("p99_ms", "99%")] {
            let got = step[key].as_f64().expect(key);
            assert!(close(got, mean(column)), "{key}: {got} vs {}", mean(column));
        }
        let (a, b) = (inside[0], inside[inside.len() - 1]);
        let requests = number(b, "Total Request Count") - number(a, "Total Request Count");
        let failures = number(b, "Total Failure Count") - number(a, "Total Failure Count");
        let got = step["error_pct"].as_f64().expect("error_pct");
        assert!(close(got, failures * 100.0 / requests), "error_pct {got}");
        assert!(step["users"].as_f64().is_some_and(|u| u > 0.0));
    }
    let knee = &json["knee"];
    assert_eq!(
        knee["method"],
        "kneedle on throughput vs users (concave, S=0.5, no smoothing)"
    );
    let latency = &json["latency_knee"];
    assert_eq!(
        latency["method"],
        "kneedle on p95 vs throughput (convex, S=0.5, no smoothing)"
    );
    // Latency takes off where throughput flattens: 40-50 users, 110-125 req/s (FORMAT.md).
    let users = latency["users"].as_f64().expect("latency knee users");
    let rps = latency["rps"].as_f64().expect("latency knee rps");
    assert!((40.0..=50.0).contains(&users), "{users}");
    assert!((110.0..=125.0).contains(&rps), "{rps}");
    let usl = &json["usl"];
    let f = |k: &str| usl[k].as_f64().unwrap_or_else(|| panic!("usl.{k}"));
    let (sigma, kappa, lambda) = (f("sigma"), f("kappa"), f("lambda"));
    assert!((0.0..=1.0).contains(&sigma) && kappa > 0.0, "{usl}");
    let n_star = ((1.0 - sigma) / kappa).sqrt();
    assert!(close(f("n_star"), n_star), "{usl}");
    let x = lambda * n_star / (1.0 + sigma * (n_star - 1.0) + kappa * n_star * (n_star - 1.0));
    assert!(close(f("x_max"), x), "{usl}");
    // Past saturation: N* within the steps' range (the plateau is 50-70 users).
    assert!((40.0..=100.0).contains(&n_star), "{n_star}");
}

/// Writes `rows` (with the header line of the Locust step history) to `DIR/NAME_stats_history.csv`.
fn write_history(dir: &Path, name: &str, rows: &[String]) -> String {
    let source = locust_dir().join("step").join("step_stats_history.csv");
    let text = std::fs::read_to_string(source).expect("history");
    let header = text.lines().next().expect("header");
    let path = dir.join(format!("{name}_stats_history.csv"));
    let mut content = format!("{header}\r\n");
    for row in rows {
        content.push_str(row);
        content.push_str("\r\n");
    }
    std::fs::write(&path, content).expect("write history");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn too_few_steps_and_a_throughput_still_growing_are_said_not_invented() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The Locust step run cut after its third plateau (10, 20, 30 users).
    let text = std::fs::read_to_string(locust_dir().join("step").join("step_stats_history.csv"))
        .expect("history");
    let rows: Vec<String> = text
        .lines()
        .skip(1)
        .filter(|line| {
            let users: f64 = line
                .split(',')
                .nth(1)
                .expect("User Count")
                .parse()
                .expect("number");
            users <= 30.0
        })
        .map(str::to_owned)
        .collect();
    let cut = write_history(dir.path(), "cut", &rows);
    let json = analyze_json(&[&cut]);
    assert_eq!(json["steps"].as_array().map(Vec::len), Some(3));
    assert!(json["knee"].is_null() && json["usl"].is_null() && json["latency_knee"].is_null());
    assert_eq!(json["knee_note"], "only 3 steps; a knee needs at least 4");

    // Five plateaus of 20 s, 10..50 users, each user doing exactly 3 req/s at 20 ms.
    let mut rows = Vec::new();
    let mut total = 0.0;
    for second in 0..100 {
        let users = (second / 20 + 1) as f64 * 10.0;
        total += users * 3.0;
        rows.push(format!(
            "{},{users},,Aggregated,{:.6},0.000000,20,20,20,20,20,20,20,20,20,20,20,{total},0,20,20.0,20,20,100.0",
            1_000_000 + second,
            users * 3.0
        ));
    }
    let growing = write_history(dir.path(), "growing", &rows);
    let json = analyze_json(&[&growing]);
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 5);
    for step in steps {
        let users = step["users"].as_f64().expect("users");
        assert!(
            close(step["rps"].as_f64().expect("rps"), users * 3.0),
            "{step}"
        );
    }
    assert!(json["knee"].is_null());
    assert_eq!(
        json["knee_note"],
        "throughput kept growing with users: no knee in this range"
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
            .find(|r| r["Type"] == method && r["Name"] == name)
            .map(|r| number(r, "Request Count"))
            .expect("a _stats.csv row")
    };
    let is_429 = |f: &&std::collections::HashMap<String, String>| f["Error"].contains("429");
    let limited: Vec<_> = failures.iter().filter(is_429).collect();
    assert!(!limited.is_empty(), "the constant run has 429s");
    let total_429: f64 = limited.iter().map(|f| number(f, "Occurrences")).sum();
    let other: f64 = failures
        .iter()
        .filter(|f| !is_429(f))
        .map(|f| number(f, "Occurrences"))
        .sum();
    let rate = &json["rate_limited"];
    assert_eq!(rate["requests"].as_f64(), Some(total_429));
    assert_eq!(rate["other_failures"].as_f64(), Some(other));
    let share = total_429 * 100.0 / requests_of("", "Aggregated");
    assert!(close(rate["share_pct"].as_f64().expect("share_pct"), share));
    let entries = rate["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), limited.len());
    for f in limited {
        let entry = format!("{} {}", f["Method"], f["Name"]);
        let got = entries
            .iter()
            .find(|e| e["entry"] == entry.as_str())
            .unwrap_or_else(|| panic!("{entry} in rate_limited.entries"));
        let count = number(f, "Occurrences");
        assert_eq!(got["requests"].as_f64(), Some(count));
        let share = count * 100.0 / requests_of(&f["Method"], &f["Name"]);
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
    assert!(md.contains("| Aggregated | 13303 |"), "{md}");
}
