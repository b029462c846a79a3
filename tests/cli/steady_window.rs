//! One steady window for every honest figure: `analyze`'s steady rps, `compare --warmup`'s values
//! and the report's headline are the same number for the same run and warmup, on a real Locust
//! run and on a captest run against the demo server (whose own counter the steady rps matches);
//! and the recipe keys equal the seed recipe's pandas script, run for real when pandas is
//! installed (`./test.sh` installs it).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::analyze_steady::RECIPE_SCRIPT;
use crate::support::analyze::*;
use crate::support::compare::*;
use crate::support::report::report;
use crate::support::*;
use captest_format::columns::{NAME, TIMESTAMP, USER_COUNT};

/// Whether `python3` can import pandas.
fn has_pandas() -> bool {
    Command::new("python3")
        .args(["-c", "import pandas"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The recipe's (`rps_recipe`, `avg_ms`) computed by pandas from `history` with warmup `warmup_s`.
fn pandas_recipe(history: &Path, warmup_s: u32) -> (f64, f64) {
    let output = Command::new("python3")
        .args(["-c", RECIPE_SCRIPT])
        .arg(history)
        .arg(warmup_s.to_string())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figures: Vec<f64> = (stdout.split_whitespace())
        .map(|f| f.parse().expect("a number"))
        .collect();
    (figures[0], figures[1])
}

/// `analyze --json`'s recipe keys equal pandas' on `history` for each warmup (seconds).
fn assert_recipe_is_pandas(history: &Path, warmups_s: &[u32]) {
    for &warmup_s in warmups_s {
        let (rps, avg) = pandas_recipe(history, warmup_s);
        let warmup = format!("{warmup_s}s");
        let json = analyze_json(&[history.to_str().expect("utf-8"), "--warmup", &warmup]);
        let steady = &json["steady"];
        let got = (
            steady["rps_recipe"].as_f64().expect("rps_recipe"),
            steady["avg_ms"].as_f64().expect("avg_ms"),
        );
        assert!(
            close(got.0, rps) && close(got.1, avg),
            "{history:?} --warmup {warmup}: {got:?} vs pandas ({rps}, {avg})"
        );
    }
}

#[test]
fn the_recipe_keys_equal_the_pandas_script_on_every_locust_history() {
    if !has_pandas() {
        eprintln!("skipped: python3 cannot import pandas (./test.sh installs it)");
        return;
    }
    for run in [
        "step",
        "constant",
        "baseline",
        "current",
        "failing",
        "no-full-history",
    ] {
        let history = locust_dir()
            .join(run)
            .join(format!("{run}_stats_history.csv"));
        assert_recipe_is_pandas(&history, &[0, 10, 20]);
    }
}

/// `analyze --json`, `compare PREFIX PREFIX --warmup W --json` and the report's headline card
/// give the same steady rps (and compare's avg/p95 values are analyze's) for `prefix`; returns
/// analyze's steady state.
fn assert_one_figure(prefix: &str, warmup: &str, dir: &Path) -> serde_json::Value {
    let analysis = analyze_json(&[prefix, "--warmup", warmup]);
    let steady = analysis["steady"].clone();
    let rules = [
        "--fail-on",
        "rps-5%",
        "--fail-on",
        "avg+5%",
        "--fail-on",
        "p95+5%",
    ];
    let (code, compared) =
        gate(&[&["compare", prefix, prefix, "--warmup", warmup], &rules[..]].concat());
    assert_eq!(code, 0, "{compared}");
    let entries = compared["entries"].as_array().expect("entries[]");
    let figures_of = |entry: &str| {
        if entry == "Aggregated" {
            &steady
        } else {
            (steady["entries"].as_array().expect("entries[]").iter())
                .find(|e| e["entry"] == entry)
                .unwrap_or_else(|| panic!("{entry} in analyze's entries"))
        }
    };
    let mut checked = 0;
    for comparison in entries {
        let entry = comparison["entry"].as_str().expect("entry");
        let key = match comparison["metric"].as_str().expect("metric") {
            "rps" => "rps",
            "avg" => "avg_ms_window",
            "p95" => "p95_ms",
            other => panic!("metric {other}"),
        };
        assert_eq!(comparison["baseline_source"], "history", "{comparison}");
        let expected = figures_of(entry)[key].as_f64().expect("a figure");
        for side in ["baseline", "current"] {
            let value = comparison[side].as_f64().expect("a value");
            assert!(
                close(value, expected),
                "{prefix} {entry} {key}: compare {value} vs analyze {expected}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "{compared}");
    let output = dir.join("report.html");
    let html = report(&[
        prefix,
        "--warmup",
        warmup,
        "-o",
        output.to_str().expect("utf-8"),
    ]);
    let rps = steady["rps"].as_f64().expect("steady.rps");
    // The template escapes the value's `/`.
    let card = format!(
        "<div class=\"value\">{rps:.1} req&#x2f;s</div><div class=\"label\">steady throughput</div>"
    );
    assert!(html.contains(&card), "{prefix}: no headline {card}");
    steady
}

#[test]
fn analyze_compare_and_report_give_one_figure_on_a_locust_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    for warmup in ["10s", "20s"] {
        let steady = assert_one_figure(&locust("baseline"), warmup, dir.path());
        // A Locust history ends with users running: the window runs to its last row.
        let rows = aggregated_history("baseline");
        let last = rows.last().expect("rows");
        assert_eq!(steady["to"].as_f64(), Some(number(last, TIMESTAMP)));
    }
}

/// Samples the demo server's request counter every 100 ms until stopped: (unix s, total).
fn sample_counter(server: &DemoServer, stop: &AtomicBool) -> Vec<(f64, f64)> {
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let total = server.counters()["total"].as_f64().expect("total");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        samples.push((now, total));
        std::thread::sleep(Duration::from_millis(100));
    }
    samples
}

/// The counter's value at unix time `t`: the last sample at or before it.
fn counter_at(samples: &[(f64, f64)], t: f64) -> f64 {
    (samples.iter().rev())
        .find(|(at, _)| *at <= t)
        .map_or(0.0, |(_, total)| *total)
}

#[test]
fn analyze_compare_and_report_give_one_figure_on_a_captest_run_that_the_server_counted() {
    let server = DemoServer::start(&["--capacity", "8", "--service-time", "20ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("cap");
    let prefix = prefix.to_str().expect("utf-8");
    let stop = Arc::new(AtomicBool::new(false));
    let samples = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| sample_counter(&server, &stop));
        let output = run_captest(&[
            "run",
            "--host",
            &server.url,
            "--path",
            "/items",
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "8s",
            "--csv",
            prefix,
            "--csv-full-history",
            "-q",
        ]);
        stop.store(true, Ordering::Relaxed);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        sampler.join().expect("the sampler")
    });
    // The history ends with captest's partial row: no users, stamped after they stopped.
    let history = Path::new(&format!("{prefix}_stats_history.csv")).to_owned();
    let rows: Vec<_> = read_csv(&history)
        .into_iter()
        .filter(|r| r[NAME] == "Aggregated")
        .collect();
    let last = rows.last().expect("rows");
    assert_eq!(number(last, USER_COUNT), 0.0, "{last:?}");
    let steady = assert_one_figure(prefix, "2s", dir.path());
    let (from, to) = (
        steady["from"].as_f64().expect("from"),
        steady["to"].as_f64().expect("to"),
    );
    assert!(to < number(last, TIMESTAMP), "the partial row is left out");
    // The server's own count over the window, within one second's requests.
    let served = counter_at(&samples, to) - counter_at(&samples, from);
    let (requests, rps) = (
        steady["requests"].as_f64().expect("requests"),
        steady["rps"].as_f64().expect("rps"),
    );
    assert!(requests > 0.0 && rps > 0.0, "{steady}");
    assert!(
        (requests - served).abs() <= rps,
        "window {from}..{to}: captest counted {requests}, the server {served} (rps {rps})"
    );
    assert!(
        (rps - served / (to - from)).abs() <= rps / (to - from),
        "steady rps {rps} vs the server's {}",
        served / (to - from)
    );
    if has_pandas() {
        assert_recipe_is_pandas(&history, &[0, 2, 4]);
    }
}
