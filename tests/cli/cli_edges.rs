//! Command-line edges: a stdout closed by its reader, zero durations, and clap's errors as one
//! line.

use std::io::Read;
use std::process::Stdio;

use crate::support::{captest, locust_dir, run_captest};

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    // `captest analyze … --json | true`: the reader is gone before anything is written. As
    // ripgrep does, the command exits 0 without a word (no panic, no backtrace).
    let prefix = locust_dir().join("step").join("step");
    for args in [
        vec!["analyze", prefix.to_str().expect("utf-8"), "--json"],
        vec!["analyze", prefix.to_str().expect("utf-8")],
    ] {
        let mut child = captest()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("captest runs");
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        let status = child.wait().expect("ends");
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing on stderr");
    }
}

/// Asserts `args` fail with exit 2 and one stderr line holding `needle`, before any request.
fn assert_refused_at_once(args: &[&str], needle: &str) {
    let output = run_captest(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(needle), "{stderr:?} should say {needle:?}");
    assert!(!stderr.contains("Usage:"), "no usage block: {stderr}");
}

#[test]
fn zero_durations_are_refused() {
    // Nothing listens on the host: a run that started would fail its requests instead.
    let host = format!("http://127.0.0.1:{}", crate::support::closed_port());
    for (flag, needle) in [("-t", "--run-time"), ("--timeout", "--timeout")] {
        for command in ["run", "rate"] {
            let mut args = vec![command, "--host", &host, flag, "0s"];
            if command == "rate" {
                args.extend(["--rps", "10"]);
            }
            assert_refused_at_once(&args, needle);
        }
    }
    assert_refused_at_once(&["run", "--host", &host, "-t", "0ms"], "longer than 0");
    assert_refused_at_once(
        &["step", "--host", &host, "-t", "0s"],
        "must be longer than 0",
    );
}

#[test]
fn a_bad_value_is_one_line_without_the_usage() {
    assert_refused_at_once(
        &["run", "-u", "x"],
        "invalid value 'x' for '--users <USERS>'",
    );
    assert_refused_at_once(&["run", "--no-such-flag"], "--no-such-flag");
    assert_refused_at_once(&["analyze"], "required");
    // Help and version are not errors: printed in full, exit 0.
    let help = run_captest(&["run", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage:"));
}
