//! `baseline save NAME RUN --append`: a baseline of several runs, and `compare NAME current`
//! failing only outside the spread the baseline's own runs show (on the real Locust runs).

use std::path::Path;

use crate::support::captest;
use crate::support::compare::locust;

/// Runs captest in `dir` (where `baselines/` is).
fn in_dir(dir: &Path, args: &[&str]) -> std::process::Output {
    captest()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("captest runs")
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(&output.stderr)))
}

fn meta(dir: &Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("baselines").join(name).join("meta.json"))
        .expect("meta.json");
    serde_json::from_str(&text).expect("meta JSON")
}

const RULE: [&str; 2] = ["--fail-on", "avg+8%"];

#[test]
fn appended_runs_are_kept_and_listed_in_meta() {
    let dir = tempfile::tempdir().expect("temp dir");
    let save = |run: &str| {
        let out = in_dir(
            dir.path(),
            &["baseline", "save", "main", &locust(run), "--append"],
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // --append on a name not stored yet saves it as usual: the old layout, no `runs`.
    assert!(save("baseline").contains("saved baseline main"));
    assert!(meta(dir.path(), "main").get("runs").is_none());
    let second = save("current");
    assert!(
        second.contains("appended main.run2") && second.contains("2 runs"),
        "{second}"
    );
    save("baseline");
    let stored = dir.path().join("baselines/main");
    assert!(
        stored.join("main_stats.csv").is_file(),
        "the first run keeps its place"
    );
    assert!(stored.join("main.run2_stats.csv").is_file());
    assert!(stored.join("main.run3_stats_history.csv").is_file());
    let runs = meta(dir.path(), "main")["runs"].clone();
    let prefixes: Vec<&str> = runs
        .as_array()
        .expect("runs is a list")
        .iter()
        .map(|r| r["prefix"].as_str().expect("a prefix"))
        .collect();
    assert_eq!(prefixes, ["main", "main.run2", "main.run3"]);
    assert!(runs[1]["source"]
        .as_str()
        .is_some_and(|s| s.ends_with("current")));
    let clash = in_dir(
        dir.path(),
        &[
            "baseline",
            "save",
            "main",
            &locust("current"),
            "--append",
            "--force",
        ],
    );
    assert_eq!(
        clash.status.code(),
        Some(2),
        "--append and --force exclude each other"
    );
}

/// On the Locust pair, `avg+8%` fails `GET /item/[id]` (the README's example). A baseline that also
/// holds `current` shows that spread, so current is within it; a baseline of two copies of
/// `baseline` shows none, so it fails as before. Both say how many runs they used.
#[test]
fn compare_with_several_runs_fails_only_outside_their_spread() {
    let dir = tempfile::tempdir().expect("temp dir");
    let save = |name: &str, run: &str| {
        let out = in_dir(
            dir.path(),
            &["baseline", "save", name, &locust(run), "--append"],
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    };
    save("narrow", "baseline");
    save("narrow", "baseline");
    save("wide", "baseline");
    save("wide", "current");
    let current = locust("current");
    let narrow = in_dir(
        dir.path(),
        &[&["compare", "narrow", &current, "--json"][..], &RULE].concat(),
    );
    assert_eq!(narrow.status.code(), Some(1), "{narrow:?}");
    let report = json_of(&narrow);
    assert_eq!(report["baseline_runs"], 2);
    let failed: Vec<&str> = report["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["entry"].as_str().expect("entry"))
        .collect();
    assert_eq!(failed, ["GET /item/[id]"]);
    assert!(report["failures"][0]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("against each of the 2 baseline runs")));
    let spread = report["spread"].as_array().expect("spread");
    assert!(spread
        .iter()
        .any(|s| s["entry"] == "GET /item/[id]" && s["failed_against"] == 2));

    let wide = in_dir(
        dir.path(),
        &[&["compare", "wide", &current, "--json"][..], &RULE].concat(),
    );
    assert_eq!(wide.status.code(), Some(0), "{wide:?}");
    let report = json_of(&wide);
    assert_eq!(report["baseline_runs"], 2);
    let item = report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|c| c["entry"] == "GET /item/[id]")
        .expect("GET /item/[id] compared");
    assert_eq!(item["failed"], false);
    assert!(
        item["reason"]
            .as_str()
            .is_some_and(|r| r.contains("against 1 of 2 baseline runs only")),
        "{item}"
    );
    let text = in_dir(
        dir.path(),
        &[&["compare", "wide", &current][..], &RULE].concat(),
    );
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("baseline: 2 runs"), "{stdout}");
}

/// A baseline saved without --append (one run, no `runs` in meta.json) compares exactly as the
/// run itself: same JSON, no `baseline_runs` key.
#[test]
fn a_one_run_baseline_compares_as_its_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = in_dir(
        dir.path(),
        &["baseline", "save", "old", &locust("baseline")],
    );
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    let current = locust("current");
    let by_name = in_dir(
        dir.path(),
        &[&["compare", "old", &current, "--json"][..], &RULE].concat(),
    );
    let by_path = in_dir(
        dir.path(),
        &[
            &["compare", &locust("baseline"), &current, "--json"][..],
            &RULE,
        ]
        .concat(),
    );
    assert_eq!(by_name.status.code(), Some(1));
    let (by_name, by_path) = (json_of(&by_name), json_of(&by_path));
    assert!(by_name.get("baseline_runs").is_none());
    assert_eq!(by_name["failures"], by_path["failures"]);
}

/// A `runs` list that names a path outside the baseline's directory is bad input, not followed.
#[test]
fn a_run_prefix_outside_the_baseline_is_bad_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = in_dir(
        dir.path(),
        &["baseline", "save", "main", &locust("baseline")],
    );
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    let meta_path = dir.path().join("baselines/main/meta.json");
    let mut meta = meta(dir.path(), "main");
    meta["runs"] = serde_json::json!([{"prefix": "main"}, {"prefix": "../../elsewhere"}]);
    std::fs::write(&meta_path, meta.to_string()).expect("write meta");
    let compared = in_dir(
        dir.path(),
        &[&["compare", "main", &locust("current")][..], &RULE].concat(),
    );
    assert_eq!(compared.status.code(), Some(2), "{compared:?}");
    let stderr = String::from_utf8_lossy(&compared.stderr);
    assert!(
        stderr.contains("meta.json") && stderr.contains("\"../../elsewhere\""),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
