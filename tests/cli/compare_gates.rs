//! End-to-end tests of `captest compare`, `check` and `baseline`: JUnit and Markdown outputs,
//! absolute thresholds, the baseline store and bad input.

use std::path::Path;

use crate::support::compare::*;
use crate::support::*;

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

/// `--baselines DIR` (or CAPTEST_BASELINES, or `baselines` in captest.toml) moves the store for
/// every command: saved there, listed, and resolved by compare, check and report.
#[test]
fn one_baselines_directory_serves_save_compare_check_and_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str], env: Option<(&str, &str)>| {
        let mut command = captest();
        command.args(args).current_dir(dir.path());
        if let Some((name, value)) = env {
            command.env(name, value);
        }
        command.output().expect("runs")
    };
    let saved = run(
        &[
            "baseline",
            "save",
            "main",
            &locust("baseline"),
            "--baselines",
            "store",
        ],
        None,
    );
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    assert!(dir.path().join("store/main/main_stats.csv").is_file());
    assert!(!dir.path().join("baselines").exists());
    let listed = run(&["baseline", "list"], Some(("CAPTEST_BASELINES", "store")));
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("main"),
        "{listed:?}"
    );
    let current = locust("current");
    let gates: [&[&str]; 3] = [
        &["compare", "main", &current, "--fail-on", "mean+8%"],
        &["check", "main", "--threshold", "avg<100000ms"],
        &["report", &current, "--baseline", "main", "-o", "r.html"],
    ];
    for args in gates {
        // Without the store's directory the name means nothing: bad input.
        let lost = run(args, None);
        assert_eq!(lost.status.code(), Some(2), "{args:?}: {lost:?}");
        let by_flag = [args, &["--baselines", "store"]].concat();
        let found = run(&by_flag, None);
        assert_ne!(found.status.code(), Some(2), "{by_flag:?}: {found:?}");
        std::fs::write(dir.path().join("captest.toml"), "baselines = \"store\"\n").expect("config");
        let by_config = run(args, None);
        std::fs::remove_file(dir.path().join("captest.toml")).expect("config");
        assert_eq!(
            by_config.status.code(),
            found.status.code(),
            "{args:?}: {by_config:?}"
        );
    }
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
        // A percentile no run file holds would compare nothing and pass: bad input, naming
        // the metrics there are.
        (
            vec!["--fail-on".into(), "p97+10%".into()],
            "unknown metric \"p97\" (expected one of: avg (mean), median, p50",
        ),
        // So is an entry neither run has (a typo, a renamed entry).
        (
            vec!["--fail-on".into(), "GET /nope:p95+10%".into()],
            "no entry of either run matches \"GET /nope\"",
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
    let allowed = run_captest(&[
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "GET /nope:p95+10%",
        "--allow-missing-entries",
    ]);
    assert_eq!(allowed.status.code(), Some(0), "{allowed:?}");
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
