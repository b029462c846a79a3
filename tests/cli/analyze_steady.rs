//! End-to-end tests of `captest analyze`: steady state against the pandas recipe, runs without
//! history or with too few steps, and bad input as one clear line with exit 2.

use std::path::Path;

use crate::support::analyze::*;
use crate::support::*;
use captest_format::columns::{AVERAGE_RESPONSE_TIME, NAME, REQUESTS_PER_S, TOTAL_REQUEST_COUNT};

/// The seed recipe's script, as written (W = 10 s): rows strictly after the file's first
/// Timestamp + W, then the Aggregated rows' mean of the diffs of `Total Request Count` and mean of
/// `Total Average Response Time`, last row included.
pub const RECIPE_SCRIPT: &str = "
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
W = float(sys.argv[2])
stable = df[df['Timestamp'] > df['Timestamp'].min() + W]
stable = stable[stable['Name'] == 'Aggregated']
print(repr(float(stable['Total Request Count'].diff().mean())),
      repr(float(stable['Total Average Response Time'].mean())))
";

/// Expected figures from the recipe's script (pandas 3.1.1), computed once with (from the repo
/// root) `python3 -c "$RECIPE_SCRIPT" RUN/RUN_stats_history.csv 10` in `tests/fixtures/locust`
/// (`tests/cli/steady_window.rs` runs the script itself when pandas is installed).
const RECIPE: [(&str, f64, f64); 6] = [
    ("step", 100.6046511627907, 53.50111220113285),
    ("constant", 88.78205128205128, 35.09580091186608),
    ("baseline", 89.79166666666667, 35.958770047292916),
    ("current", 89.1875, 36.856551947308446),
    ("failing", 60.72222222222222, 27.133050660027887),
    ("no-full-history", 61.55555555555556, 29.45880657899908),
];

/// `figures` (steady or one of its entries) have the pandas recipe's `rps_recipe` and `avg_ms`.
fn assert_recipe(figures: &serde_json::Value, (rps, avg): (f64, f64), what: &str) {
    let got_rps = figures["rps_recipe"].as_f64().expect("rps_recipe");
    let got_avg = figures["avg_ms"].as_f64().expect("avg_ms");
    assert!(
        close(got_rps, rps),
        "{what}: rps_recipe {got_rps} vs pandas {rps}"
    );
    assert!(
        close(got_avg, avg),
        "{what}: avg_ms {got_avg} vs pandas {avg}"
    );
}

#[test]
fn steady_state_equals_the_pandas_recipe_on_every_locust_history() {
    for (run, rps, avg) in RECIPE {
        let path = locust_dir()
            .join(run)
            .join(format!("{run}_stats_history.csv"));
        let json = analyze_json(&[path.to_str().expect("utf-8"), "--warmup", "10s"]);
        let steady = &json["steady"];
        assert_recipe(steady, (rps, avg), run);
        for key in ["rps", "p50_ms", "p95_ms", "p99_ms", "error_pct"] {
            assert!(steady[key].is_number(), "{run}: steady.{key}");
        }
        assert!(
            steady["entries"].as_array().is_some_and(|e| e.len() >= 8),
            "{run}"
        );
    }
}

/// Per-entry figures of the pandas recipe on `baseline` (pandas 3.1.1), computed once with:
/// ```text
/// cd tests/fixtures/locust && python3 -c "
/// import pandas as pd
/// df = pd.read_csv('baseline/baseline_stats_history.csv')
/// e = df[(df.Name != 'Aggregated') & (df.Timestamp > df.Timestamp.min() + 10)]
/// keys = [e.Type, e.Name]
/// rps = e.groupby(keys)['Total Request Count'].diff().groupby(keys).mean()
/// avg = e.groupby(keys)['Total Average Response Time'].mean()
/// for (t, n), r in rps.items(): print(repr(f'{t} {n}'), float(r), float(avg[(t, n)]))
/// "
/// ```
const RECIPE_PER_ENTRY: [(&str, f64, f64); 8] = [
    ("DELETE /item/[id]", 3.0833333333333335, 30.14438251733614),
    ("GET /health", 3.125, 3.068648490270827),
    ("GET /item/[id]", 31.25, 32.66591868390867),
    ("GET /items", 12.875, 52.568591775474054),
    ("POST /api/v1/event", 20.020833333333332, 23.044806859344913),
    (
        "POST /api/v1/event/batch",
        6.229166666666667,
        59.459589454875406,
    ),
    ("POST /items", 6.6875, 43.64363767873001),
    ("PUT /item/[id]", 6.520833333333333, 43.394392611987485),
];

#[test]
fn each_entrys_steady_state_equals_the_pandas_recipe_per_entry() {
    let path = locust_dir()
        .join("baseline")
        .join("baseline_stats_history.csv");
    // With the run's other files (its _failures.csv has 429s: every row is kept for the split
    // per step), and the history alone (each entry's rows summed as they are read).
    let dir = tempfile::tempdir().expect("temp dir");
    let alone = dir.path().join("baseline_stats_history.csv");
    std::fs::copy(&path, &alone).expect("copy the history");
    for path in [path, alone] {
        let json = analyze_json(&[path.to_str().expect("utf-8"), "--warmup", "10s"]);
        let entries = json["steady"]["entries"].as_array().expect("entries[]");
        assert_eq!(entries.len(), RECIPE_PER_ENTRY.len(), "{path:?}");
        for (entry, rps, avg) in RECIPE_PER_ENTRY {
            let got = entries
                .iter()
                .find(|e| e["entry"] == entry)
                .unwrap_or_else(|| panic!("{entry} in entries[] of {path:?}"));
            assert_recipe(got, (rps, avg), &format!("{path:?} {entry}"));
        }
    }
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
        &text.replacen(TOTAL_REQUEST_COUNT, "Requests Total", 1),
    );
    expect_error(&[&missing], "missing column \"Total Request Count\"");
    // Non-numeric cell on line 3.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen(",0,", ",zero,", 1);
    let bad = write("bad_stats_history.csv", &lines.join("\n"));
    expect_error(&[&bad], "line 3");
    // ... also in a column the steady state does not use (an entry's Requests/s).
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen(",0.000000,", ",fast,", 1);
    let bad = write("bad_rps_stats_history.csv", &lines.join("\n"));
    expect_error(&[&bad], "line 3");
    // No rows after warmup.
    expect_error(
        &[source.to_str().expect("utf-8"), "--warmup", "1h"],
        "after a 1h warmup",
    );
    // A single row (ended by its line end: a last line without one is left out as cut short).
    let single = write(
        "single_stats_history.csv",
        &(text.lines().take(2).collect::<Vec<_>>().join("\n") + "\n"),
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
        .find(|r| r[NAME] == "Aggregated")
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
        Some(number(&aggregated, REQUESTS_PER_S))
    );
    assert_eq!(
        steady["avg_ms"].as_f64(),
        Some(number(&aggregated, AVERAGE_RESPONSE_TIME))
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
    // ... with _stats.csv's entries, also when there is no _failures.csv (whose 429s make the
    // history be read row by row).
    let source = locust_dir().join("no-full-history");
    for suffix in ["_stats_history.csv", "_stats.csv"] {
        let name = format!("no-full-history{suffix}");
        std::fs::copy(source.join(&name), dir.path().join(&name)).expect("copy");
    }
    let prefix = dir.path().join("no-full-history");
    let json = analyze_json(&[prefix.to_str().expect("utf-8")]);
    let entries = json["steady"]["entries"].as_array().expect("entries[]");
    assert_eq!(entries.len(), 8, "{entries:?}");
    assert!(
        entries.iter().all(|e| e["source"] == "stats"),
        "{entries:?}"
    );
    let json = analyze_json(&[&step_prefix()]);
    assert!(json["steady"]["note"].is_null());
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
