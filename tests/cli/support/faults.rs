//! Runs against a misbehaving demo server (`--fault KIND[:RATE]`): the load's own counts, its
//! failures by error text, what the server says it received, and how much the load generator's
//! memory grew while it ran.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use super::{captest, read_csv, wait_for_exit, with_suffix, DemoServer};
use captest_format::columns::{ERROR, FAILURE_COUNT, NAME, OCCURRENCES, REQUEST_COUNT};
use captest_format::files;

/// What one run against a faulty server gave.
#[derive(Debug)]
pub struct FaultRun {
    /// captest's exit code.
    pub code: Option<i32>,
    /// The Aggregated row's Request Count.
    pub requests: u64,
    /// The Aggregated row's Failure Count.
    pub failures: u64,
    /// `_failures.csv`: occurrences per error text.
    pub errors: BTreeMap<String, u64>,
    /// The server's counters when it stopped.
    pub server: serde_json::Value,
    /// Largest resident set of captest while it ran, above its first reading (bytes).
    pub rss_growth: u64,
}

impl FaultRun {
    /// Requests the server says it read.
    pub fn seen(&self) -> u64 {
        self.server["total"].as_u64().expect("total")
    }

    /// Times the server injected fault `kind`.
    pub fn injected(&self, kind: &str) -> u64 {
        self.server["faults"][kind].as_u64().unwrap_or(0)
    }

    /// Occurrences of the errors whose text contains `name`.
    pub fn errors_named(&self, name: &str) -> u64 {
        self.errors
            .iter()
            .filter(|(text, _)| text.contains(name))
            .map(|(_, n)| n)
            .sum()
    }
}

/// A resident-set figure of `/proc/PID/status` (`VmRSS`, `VmHWM`), bytes.
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Starts a demo server with `server` flags, runs `captest run` against it with `load` flags
/// (host, `--csv` and a 1 s `--timeout` added) while watching its memory, then stops the server.
pub fn fault_run(server: &[&str], load: &[&str], dir: &Path) -> FaultRun {
    let demo = DemoServer::start_quiet(server);
    let prefix = dir.join("fault");
    let url = demo.url.clone();
    let mut child = captest()
        .args([
            "run",
            "--host",
            &url,
            "--timeout",
            "1s",
            "--stop-timeout",
            "3s",
        ])
        .args(["--csv", prefix.to_str().expect("utf-8")])
        .args(load)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("captest starts");
    let pid = child.id();
    let mut first = None;
    let mut peak = 0;
    while child.try_wait().expect("wait").is_none() {
        if let Some(rss) = status_bytes(pid, "VmRSS:") {
            first.get_or_insert(rss);
            peak = peak.max(status_bytes(pid, "VmHWM:").unwrap_or(rss));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let code = wait_for_exit(&mut child, Duration::from_secs(60)).code();
    let counters = demo.stop();
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let total = stats
        .iter()
        .find(|r| r[NAME] == "Aggregated")
        .expect("an Aggregated row");
    let count = |column: &str| total[column].parse::<u64>().expect("a count");
    let mut errors = BTreeMap::new();
    for row in read_csv(&with_suffix(&prefix, files::FAILURES)) {
        let n: u64 = row[OCCURRENCES].parse().expect("occurrences");
        *errors.entry(row[ERROR].clone()).or_default() += n;
    }
    let run = FaultRun {
        code,
        requests: count(REQUEST_COUNT),
        failures: count(FAILURE_COUNT),
        errors,
        server: counters,
        rss_growth: peak.saturating_sub(first.unwrap_or(peak)),
    };
    eprintln!(
        "{:?}: exit {:?}, {} requests, {} failures {:?}, server read {}, faults {}, RSS +{} KiB",
        server.join(" "),
        run.code,
        run.requests,
        run.failures,
        run.errors,
        run.seen(),
        run.server["faults"],
        run.rss_growth / 1024
    );
    run
}

/// Memory captest may grow by against any fault.
pub const RSS_BOUND: u64 = 64 * 1024 * 1024;

/// The checks every per-request fault passes: the run ends with failures (exit 1); every
/// request the server read is counted once; each fault injected is one failure named `error`,
/// and there is no other failure; good requests went on between faults (the connection was
/// replaced); memory stayed bounded.
pub fn assert_classified(run: &FaultRun, kind: &str, error: &str) {
    let injected = run.injected(kind);
    assert_eq!(run.code, Some(1), "failures exit 1: {run:#?}");
    assert_eq!(
        run.requests,
        run.seen(),
        "every request the server read is counted: {run:#?}"
    );
    assert!(injected > 0, "the fault was injected: {run:#?}");
    assert_eq!(
        run.errors_named(error),
        injected,
        "each {kind} is one {error}: {run:#?}"
    );
    assert_eq!(run.failures, injected, "no other failure: {run:#?}");
    assert!(
        run.requests > injected,
        "good requests between the faults: {run:#?}"
    );
    assert!(run.rss_growth < RSS_BOUND, "memory bounded: {run:#?}");
}
