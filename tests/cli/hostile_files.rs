//! Files survive: outputs that cannot be written are refused before the first request; a disk
//! that fills up mid-run leaves every file at its last complete state (no `.tmp`, no half line)
//! and the run's figures are still reported, exit 2; `baseline save` and `report` into a full
//! disk leave nothing half-written under the final name.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::disk::{ReadOnlyDir, SmallDisk};
use crate::support::{captest, read_csv, run_captest, wait_for_exit, DemoServer};

/// Asserts `output` exited 2 with one `error:` line mentioning `needle`, and no panic.
fn assert_one_error(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    assert!(
        errors[0].contains(needle),
        "{stderr:?} should name {needle:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The files in `dir` whose names end with `.tmp`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}

#[test]
fn outputs_that_cannot_be_written_are_refused_before_any_request() {
    let server = DemoServer::start(&[]);
    let read_only = ReadOnlyDir::new();
    let csv = read_only.path().join("run");
    let html = "/nonexistent-captest-dir/r.html".to_owned();
    for (flag, value, needle) in [
        ("--html", html.as_str(), "/nonexistent-captest-dir"),
        ("--csv", csv.to_str().expect("utf-8"), "cannot"),
    ] {
        let started = Instant::now();
        let output = run_captest(&[
            "run",
            "--host",
            &server.url,
            "-u",
            "2",
            "-t",
            "30s",
            flag,
            value,
        ]);
        assert_one_error(&output, needle);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "at once, not after the run"
        );
    }
    assert_eq!(server.counters()["total"], 0, "no request was sent");
    // The same check for the gate's and the report's files.
    let fixture = crate::support::locust_dir()
        .join("constant")
        .join("constant");
    let fixture = fixture.to_str().expect("utf-8");
    let junit = ["--junit", "/nonexistent-captest-dir/j.xml"];
    let compare = run_captest(
        &[
            &["compare", fixture, fixture, "--fail-on", "p95+10%"],
            &junit[..],
        ]
        .concat(),
    );
    assert_one_error(&compare, "/nonexistent-captest-dir");
    let report = run_captest(&["report", fixture, "-o", "/nonexistent-captest-dir/r.html"]);
    assert_one_error(&report, "/nonexistent-captest-dir");
}

/// Waits until `_stats.csv` at `prefix` holds a complete second with requests.
fn wait_for_requests(prefix: &Path) {
    let stats = crate::support::with_suffix(prefix, "_stats.csv");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let counted = stats.exists()
            && read_csv(&stats)
                .iter()
                .any(|r| r["Name"] == "Aggregated" && r["Request Count"] != "0");
        if counted {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no requests in {} after 10 s", stats.display());
}

#[test]
fn a_disk_full_mid_run_keeps_the_last_complete_files_and_reports_the_run() {
    let server = DemoServer::start(&[]);
    let disk = SmallDisk::new();
    let prefix = disk.path().join("run");
    let mut command = captest();
    command
        .args([
            "run",
            "--host",
            &server.url,
            "-u",
            "2",
            "-r",
            "10",
            "-t",
            "8s",
        ])
        .args([
            "--csv",
            prefix.to_str().expect("utf-8"),
            "--csv-full-history",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    disk.limit(&mut command, 3000);
    let child = command.spawn().expect("captest runs");
    wait_for_requests(&prefix);
    disk.fill();
    let output = child.wait_with_output().expect("captest ends");
    assert_one_error(&output, disk.path().to_str().expect("utf-8"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("could not start"), "{stderr}");
    // What was measured is reported.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("Aggregated")),
        "{stdout}"
    );
    assert_eq!(
        temporaries(disk.path()),
        Vec::<String>::new(),
        "no temporary left"
    );
    // The last complete _stats.csv, a history of whole lines, a latency log of whole batches:
    // the run analyzes.
    let stats = read_csv(&crate::support::with_suffix(&prefix, "_stats.csv"));
    assert!(stats
        .iter()
        .any(|r| r["Name"] == "Aggregated" && r["Request Count"] != "0"));
    let history =
        std::fs::read(crate::support::with_suffix(&prefix, "_stats_history.csv")).expect("history");
    assert!(
        history.ends_with(b"\r\n"),
        "the history ends with a whole line"
    );
    let hdr = std::fs::read(crate::support::with_suffix(&prefix, "_latency.hdr")).expect("log");
    assert!(
        hdr.ends_with(b"\n"),
        "the latency log ends with a whole line"
    );
    let analyzed = run_captest(&["analyze", prefix.to_str().expect("utf-8")]);
    assert_eq!(analyzed.status.code(), Some(0), "{analyzed:?}");
}

/// Fills `disk` but for about `free` bytes (the filler shortened after filling).
fn fill_leaving(disk: &SmallDisk, free: u64) {
    disk.fill();
    let filler = disk.path().join("filler");
    let length = std::fs::metadata(&filler).map_or(0, |m| m.len());
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .expect("filler");
    file.set_len(length.saturating_sub(free)).expect("shorten");
}

#[test]
fn baseline_save_and_report_into_a_full_disk_leave_the_previous_files() {
    let disk = SmallDisk::new();
    if !disk.is_mounted() {
        eprintln!("not checked: no tmpfs can be mounted here (not root)");
        return;
    }
    let fixture = crate::support::locust_dir()
        .join("constant")
        .join("constant");
    let fixture = fixture.to_str().expect("utf-8");
    let store = disk.path().to_str().expect("utf-8");
    let small = crate::support::locust_dir().join("failing").join("failing");
    let saved = run_captest(&[
        "baseline",
        "save",
        "b",
        small.to_str().expect("utf-8"),
        "--dir",
        store,
    ]);
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    let html = disk.path().join("r.html");
    let report = run_captest(&[
        "report",
        small.to_str().expect("utf-8"),
        "-o",
        html.to_str().expect("utf-8"),
    ]);
    assert_eq!(report.status.code(), Some(0), "{report:?}");
    let (meta, page) = (
        std::fs::read(disk.path().join("b/meta.json")).expect("meta"),
        std::fs::read(&html).expect("page"),
    );
    fill_leaving(&disk, 8 << 10);
    for args in [
        vec!["baseline", "save", "new", fixture, "--dir", store],
        vec!["baseline", "save", "b", fixture, "--dir", store, "--force"],
        vec!["baseline", "save", "b", fixture, "--dir", store, "--append"],
    ] {
        let output = run_captest(&args);
        assert_one_error(&output, store);
    }
    assert!(
        !disk.path().join("new").exists(),
        "no half-written baseline"
    );
    assert_eq!(
        std::fs::read(disk.path().join("b/meta.json")).expect("meta"),
        meta,
        "the old baseline"
    );
    let mut left: Vec<String> = std::fs::read_dir(disk.path())
        .expect("list")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["b", "filler", "r.html"], "no staging directory left");
    let files: Vec<_> = std::fs::read_dir(disk.path().join("b"))
        .expect("list")
        .collect();
    assert_eq!(
        files.len(),
        5,
        "the baseline's four files and meta.json, no appended run"
    );
    let report = run_captest(&["report", fixture, "-o", html.to_str().expect("utf-8")]);
    assert_one_error(&report, "r.html");
    assert_eq!(
        std::fs::read(&html).expect("page"),
        page,
        "the previous report"
    );
    assert_eq!(temporaries(disk.path()), Vec::<String>::new());
}

/// A number from 0 to `below` that differs from call to call (the clock's nanoseconds).
fn random_below(below: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u64::from(nanos) % below.max(1)
}

/// Runs `args` once to its end, then six times killed (SIGKILL) at a random moment of that
/// duration, calling `check` after each kill.
fn kill_at_random_moments(args: &[&str], mut check: impl FnMut(u32)) {
    let started = Instant::now();
    let whole = run_captest(args);
    assert_eq!(whole.status.code(), Some(0), "{whole:?}");
    let duration = started.elapsed().as_millis() as u64;
    check(0);
    for attempt in 1..=6 {
        let mut child = captest()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        std::thread::sleep(Duration::from_millis(random_below(duration + 1)));
        let _ = child.kill();
        wait_for_exit(&mut child, Duration::from_secs(10));
        check(attempt);
    }
}

#[test]
fn sigkill_during_report_or_baseline_save_never_leaves_a_partial_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixture = crate::support::locust_dir().join("step").join("step");
    let fixture = fixture.to_str().expect("utf-8");
    let html = dir.path().join("r.html");
    let html_arg = html.to_str().expect("utf-8");
    let mut reference = None;
    kill_at_random_moments(&["report", fixture, "-o", html_arg], |attempt| {
        let Ok(page) = std::fs::read(&html) else {
            return;
        };
        let whole = reference.get_or_insert_with(|| page.clone());
        assert_eq!(
            page.len(),
            whole.len(),
            "attempt {attempt}: a whole report or none"
        );
        assert!(
            page.ends_with(b"</html>\n") || page.ends_with(b"</html>"),
            "attempt {attempt}"
        );
        std::fs::remove_file(&html).expect("removed for the next attempt");
    });
    let store = dir.path().join("store");
    let store_arg = store.to_str().expect("utf-8");
    let saved = [
        "baseline", "save", "b", fixture, "--dir", store_arg, "--force",
    ];
    kill_at_random_moments(&saved, |attempt| {
        let baseline = store.join("b");
        if !baseline.exists() {
            return;
        }
        let meta: serde_json::Value = serde_json::from_slice(
            &std::fs::read(baseline.join("meta.json")).expect("meta.json in every baseline"),
        )
        .expect("whole JSON");
        for file in meta["files"].as_array().expect("files") {
            let name = file.as_str().expect("name");
            let source = format!("{fixture}{}", name.trim_start_matches('b'));
            let (copied, source) = (
                std::fs::metadata(baseline.join(name)),
                std::fs::metadata(&source),
            );
            assert_eq!(
                copied.expect("copied").len(),
                source.expect("source").len(),
                "attempt {attempt}: {name} whole"
            );
        }
    });
}
