//! End-to-end tests of `captest analyze` on step runs: per-step figures and SLOs, knees, USL
//! and breaking points.

use std::path::Path;

use crate::support::analyze::*;
use crate::support::*;
use captest_format::columns::{
    ERROR, METHOD, NAME, OCCURRENCES, P50, TIMESTAMP, TOTAL_AVERAGE_RESPONSE_TIME,
    TOTAL_FAILURE_COUNT, TOTAL_REQUEST_COUNT, TYPE, USER_COUNT,
};

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
                    .find(|r| Some(number(r, TIMESTAMP)) == t)
                    .expect("a history row at the step's bound")
            };
            let (a, b) = (at(start), at(end));
            let count = |r| number(r, TOTAL_REQUEST_COUNT);
            let avg = (number(b, TOTAL_AVERAGE_RESPONSE_TIME) * count(b)
                - number(a, TOTAL_AVERAGE_RESPONSE_TIME) * count(a))
                / (count(b) - count(a));
            let inside: Vec<f64> = rows
                .iter()
                .filter(|r| {
                    let t = Some(number(r, TIMESTAMP));
                    t >= start && t <= end
                })
                .map(|r| number(r, P50))
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

/// Per step of `json`: failures other than 429 ÷ requests (%), from the per-entry rows of the
/// run's history and each entry's non-429 share of failures in its `_failures.csv`.
fn non_429_error_pct(json: &serde_json::Value, history: &Path, failures: &Path) -> Vec<f64> {
    let rows: Vec<_> = read_csv(history)
        .into_iter()
        .filter(|r| r[NAME] != "Aggregated")
        .collect();
    let mut keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[TYPE].clone(), r[NAME].clone()))
        .collect();
    keys.sort();
    keys.dedup();
    let failures = read_csv(failures);
    let share = |key: &(String, String)| {
        let (mut all, mut other) = (0.0, 0.0);
        for f in failures
            .iter()
            .filter(|f| f[METHOD] == key.0 && f[NAME] == key.1)
        {
            let n = number(f, OCCURRENCES);
            all += n;
            if !f[ERROR].contains("429") {
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
            .find(|r| r[TYPE] == key.0 && r[NAME] == key.1 && number(r, TIMESTAMP) <= t)
            .map_or((0.0, 0.0), |r| {
                (
                    number(r, TOTAL_REQUEST_COUNT),
                    number(r, TOTAL_FAILURE_COUNT),
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
            .filter(|row| number(row, USER_COUNT) == users)
            .map(|row| number(row, TIMESTAMP))
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
                let t = Some(number(r, TIMESTAMP));
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
        let requests = number(b, TOTAL_REQUEST_COUNT) - number(a, TOTAL_REQUEST_COUNT);
        let failures = number(b, TOTAL_FAILURE_COUNT) - number(a, TOTAL_FAILURE_COUNT);
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
