//! `demo-server --slow` plants a regression on one route, and a small version of
//! bench/compare_fpr.sh: A/A pairs pass the gate, a planted regression fails its entry and no
//! innocent one. Loopback only, bounded in time (runs of a few seconds, in parallel).

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use crate::support::scenario::write;
use crate::support::*;
use captest_format::columns::{NAME, P95, TYPE};
use captest_format::{files, Entry};

/// Two entries whose routes both hold a capacity slot of the demo server.
const TWO_ROUTES: &str = r#"
[[users]]
name = "Reader"
wait = { between = ["20ms", "60ms"] }

[[users.tasks]]
weight = 2
[[users.tasks.requests]]
path = "/item/{{ random_int(1, 1000) }}"
name = "/item/[id]"

[[users.tasks]]
weight = 1
[[users.tasks.requests]]
path = "/items"
name = "/items"

[[users.tasks]]
weight = 1
[[users.tasks.requests]]
method = "POST"
path = "/items"
json = { name = "widget-{{ uuid() }}", price = "{{ random_int(1, 100) }}", tags = ["ci"] }
"#;

/// Starts `captest run SCENARIO` against `url` for `seconds`, writing `PREFIX_*.csv`.
fn start_run(scenario: &Path, url: &str, seconds: u32, prefix: &Path) -> Child {
    captest()
        .args(["run", scenario.to_str().expect("utf-8"), "--host", url])
        .args(["-u", "6", "-r", "6", "-t", &format!("{seconds}s"), "-q"])
        .args([
            "--csv",
            prefix.to_str().expect("utf-8"),
            "--csv-full-history",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("captest run starts")
}

/// Runs, in parallel, one run per server; returns their prefixes once all have finished.
fn parallel_runs(
    servers: &[DemoServer],
    scenario: &Path,
    seconds: u32,
    dir: &Path,
) -> Vec<PathBuf> {
    let prefixes: Vec<PathBuf> = (0..servers.len())
        .map(|i| dir.join(format!("run{i}")))
        .collect();
    let children: Vec<Child> = servers
        .iter()
        .zip(&prefixes)
        .map(|(server, prefix)| start_run(scenario, &server.url, seconds, prefix))
        .collect();
    for mut child in children {
        let exit = wait_for_exit(
            &mut child,
            std::time::Duration::from_secs(u64::from(seconds) + 20),
        );
        assert_eq!(exit.code(), Some(0), "the run saw no failures");
    }
    prefixes
}

/// p95 (ms) per `METHOD name` entry of a run's `_stats.csv`.
fn p95_by_entry(prefix: &Path) -> std::collections::HashMap<String, f64> {
    read_csv(&with_suffix(prefix, files::STATS))
        .into_iter()
        .map(|row| {
            (
                Entry::from_row(&row[TYPE], &row[NAME]).to_string(),
                number(&row, P95),
            )
        })
        .collect()
}

#[test]
fn slow_adds_its_delay_to_the_named_route_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(dir.path(), "two.toml", TWO_ROUTES);
    let servers = [
        DemoServer::start(&["--service-time", "5ms"]),
        DemoServer::start(&["--service-time", "5ms", "--slow", "GET /item/{id}:+40ms"]),
    ];
    let runs = parallel_runs(&servers, &scenario, 5, dir.path());
    let (plain, slowed) = (p95_by_entry(&runs[0]), p95_by_entry(&runs[1]));
    let rise = |entry: &str| slowed[entry] - plain[entry];
    let item = rise("GET /item/[id]");
    assert!(
        (32.0..=56.0).contains(&item),
        "GET /item/[id] p95 rose {item} ms, planted 40 ms"
    );
    for innocent in ["GET /items", "POST /items"] {
        let rise = rise(innocent);
        // Within noise of a loaded machine, far from the 40 ms planted on the other route.
        assert!(
            rise.abs() <= 12.0,
            "{innocent} p95 moved {rise} ms: {plain:?} {slowed:?}"
        );
    }
}

#[test]
fn a_bad_slow_spec_is_one_line_and_exit_2() {
    for (spec, expected) in [
        ("GET /nope:+20ms", "no route \"GET /nope\""),
        ("GET /items:+20ms@0%", "expected 0% < PERCENT ≤ 100%"),
        ("GET /items+20ms", "expected 'METHOD PATTERN"),
    ] {
        let output = run_captest(&["demo-server", "--slow", spec]);
        assert_eq!(output.status.code(), Some(2), "{spec}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(expected) && stderr.contains("--slow"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "nothing listened");
    }
}

/// `compare A B --warmup 2s --fail-on avg+20%`; the entries that failed. Only `avg`: on a 10 s run
/// the gate has no per-interval samples of a percentile (they come every 10 s), so any p95 change
/// beyond its rule fails untested, and a p95+30% rule failed an innocent entry in 1 of 5 tries on
/// a loaded machine. With the quantile tests merged (5457aee) a p95+30% rule passed 5 of 5 tries on
/// a quiet machine, but the same gate still failed 15.8 % of loaded-machine 60 s A/A pairs
/// (bench/RESULTS.md), so p95 stays out of this must-never-flake test.
fn failed_entries(baseline: &Path, current: &Path) -> Vec<String> {
    let (code, report) = compare::gate(&[
        "compare",
        baseline.to_str().expect("utf-8"),
        current.to_str().expect("utf-8"),
        "--warmup",
        "2s",
        "--fail-on",
        "avg+20%",
    ]);
    let failed: Vec<String> = report["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| format!("{} {}", f["entry"].as_str().unwrap_or(""), f["rule"]))
        .collect();
    assert_eq!(code, if failed.is_empty() { 0 } else { 1 }, "{report}");
    failed
}

/// The small version of bench/compare_fpr.sh: 3 A runs and 3 runs with GET /item/{id}'s service
/// time doubled, 10 s each, all at once. Every A/A pair passes; every (A, slowed) pair fails
/// GET /item/[id] and no innocent entry. It fails if the gate stops detecting a large regression
/// or starts alarming on noise.
#[test]
fn the_gate_passes_a_a_pairs_and_catches_a_planted_regression() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(dir.path(), "two.toml", TWO_ROUTES);
    let slowed = ["--slow", "GET /item/{id}:+100%"];
    let servers: Vec<DemoServer> = (0..6)
        .map(|i| {
            let extra: &[&str] = if i < 3 { &[] } else { &slowed };
            DemoServer::start(extra)
        })
        .collect();
    let runs = parallel_runs(&servers, &scenario, 10, dir.path());
    drop(servers);
    let (a, s) = runs.split_at(3);
    for (i, j) in [(0, 1), (0, 2), (1, 2)] {
        let failed = failed_entries(&a[i], &a[j]);
        assert!(failed.is_empty(), "A/A pair {i},{j} failed: {failed:?}");
    }
    for (baseline, current) in a.iter().zip(s) {
        let failed = failed_entries(baseline, current);
        assert!(
            failed.iter().any(|f| f.starts_with("GET /item/[id] ")),
            "the doubled service time was missed: {failed:?}"
        );
        let innocent: Vec<&String> = failed
            .iter()
            .filter(|f| !f.starts_with("GET /item/[id] ") && !f.starts_with("Aggregated "))
            .collect();
        assert!(innocent.is_empty(), "innocent entries failed: {innocent:?}");
    }
}
