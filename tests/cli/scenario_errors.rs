//! Scenario files end to end: errors point at file:line:column before any request, and secrets
//! never reach an output file.

use std::path::Path;

use crate::support::scenario::*;
use crate::support::*;
use captest_format::columns::{ERROR, NAME, OCCURRENCES};
use captest_format::files;

#[test]
fn scenario_errors_name_file_line_and_column_before_any_request() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let base = "[[users]]\nname = \"U\"\n[[users.tasks]]\n[[users.tasks.requests]]\n";
    let cases = [
        ("unknown-key.toml", format!("{base}path = \"/health\"\nmethd = \"GET\"\n"), ":6:1:", "unknown field"),
        ("wrong-type.toml", format!("{base}path = \"/health\"\nexpect = \"200\"\n"), ":6:", "expected"),
        ("bad-template.toml", format!("{base}path = \"/item/{{{{ random_int(1, \"\n"), ":5:", "bad template"),
        ("undefined.toml", format!("{base}path = \"/item/{{{{ item_id }}}}\"\n"), ":5:", "undefined variable \"item_id\""),
        ("missing-env.toml", format!("{base}path = \"/health\"\nheaders = {{ Authorization = \"Bearer {{{{ env('CAPTEST_TEST_UNSET_VAR') }}}}\" }}\n"), ":6:", "CAPTEST_TEST_UNSET_VAR"),
        ("missing-data.toml", format!("[data]\nusers = {{ csv = \"nope.csv\" }}\n{base}path = \"/health\"\n"), ":2:", "cannot read data file"),
    ];
    assert_refused_at_load(dir.path(), &server, &cases);
}

#[test]
fn secrets_from_env_and_captures_never_reach_output_files() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "secret.toml",
        r#"
[[users]]
name = "Secretive"
wait = { constant = "10ms" }
on_start = [ { method = "POST", path = "/items", json = { name = "{{ env('CAPTEST_TEST_SECRET') }}" }, capture = { token = { json = "/name" } } } ]
[[users.tasks]]
[[users.tasks.requests]]
path = "/item/999999?auth={{ token }}"
headers = { Authorization = "Bearer {{ env('CAPTEST_TEST_SECRET') }}" }
[[users.tasks.requests]]
path = "/item/1?key={{ env('CAPTEST_TEST_SECRET') }}"
name = "keyed item"
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"
name = "keyed health"
headers = { X-Api-Key = "{{ env('CAPTEST_TEST_SECRET') }}" }
"#,
    );
    // A URL-safe secret reaches the server (and its 404s are listed); one with a space or a
    // control character makes the rendered paths invalid: those failures are listed by request
    // name, without the rendered text.
    for (run, secret, expected) in [
        ("safe", "s3cr3t-v4lue", "404"),
        ("space", "s3cr3t v4lue", "InvalidURL"),
        ("control", "s3cr3t\u{1}v4lue", "InvalidURL"),
    ] {
        let run_dir = dir.path().join(run);
        std::fs::create_dir(&run_dir).expect("run dir");
        let prefix = run_dir.join("secret");
        let everything = run_with_secret(&scenario, &server, &prefix, secret);
        assert!(
            everything.contains(expected),
            "{run}: the failures are listed"
        );
        // Neither half of the secret, however it might be escaped.
        assert!(
            !everything.contains("s3cr3t") && !everything.contains("v4lue"),
            "{run}: the secret leaked:\n{everything}"
        );
        if expected == "InvalidURL" {
            let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
            let keyed = failures
                .iter()
                .find(|r| r[NAME] == "keyed item")
                .unwrap_or_else(|| panic!("{run}: {failures:?}"));
            assert!(
                keyed[ERROR].contains("GET keyed item") && keyed[ERROR].contains("not a valid URL"),
                "{run}: the message names the request and the problem: {keyed:?}"
            );
            assert!(keyed[OCCURRENCES].parse::<u64>().expect("count") > 0);
        }
        if run == "control" {
            // A control character is no valid header value either.
            let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
            let header = failures
                .iter()
                .find(|r| r[NAME] == "keyed health")
                .unwrap_or_else(|| panic!("{run}: {failures:?}"));
            assert!(
                header[ERROR].starts_with("InvalidHeader")
                    && header[ERROR].contains("GET keyed health")
                    && header[ERROR].contains("x-api-key"),
                "{header:?}"
            );
        }
    }
}

/// Runs `scenario` against `server` with `CAPTEST_TEST_SECRET=secret` (its requests fail, exit 1)
/// and returns everything it said and wrote: stdout, stderr, and every CSV and HDR file beside
/// `prefix`.
fn run_with_secret(scenario: &Path, server: &DemoServer, prefix: &Path, secret: &str) -> String {
    let output = captest()
        .args([
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            // Eight users: an unsendable request backs its user off for 1 s, and each of
            // the two tasks must be picked within the 2 s (about 20 picks).
            "-u",
            "8",
            "-r",
            "8",
            "-t",
            "2s",
            "--csv",
        ])
        .arg(prefix)
        .env("CAPTEST_TEST_SECRET", secret)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}: the requests fail: {output:?}",
        prefix.display()
    );
    let mut everything = String::from_utf8_lossy(&output.stdout).into_owned();
    everything.push_str(&String::from_utf8_lossy(&output.stderr));
    let run_dir = prefix.parent().expect("a directory");
    for entry in std::fs::read_dir(run_dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "csv" || e == "hdr") {
            everything.push_str(&String::from_utf8_lossy(
                &std::fs::read(&path).expect("read"),
            ));
        }
    }
    everything
}
