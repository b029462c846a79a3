//! End-to-end tests of captest as a client of real services: HTTPS (trust, failures, mTLS
//! flags, resumption), HTTP/2, cookies, redirects, compression, proxies, default headers,
//! credentials and IPv6 — against `captest demo-server`, nginx and a test proxy.

mod network;
mod nginx_target;
mod sessions;
mod tls;

use std::path::Path;

use crate::support::nginx::{self, Nginx};
use crate::support::proxy::TestProxy;
use crate::support::scenario::{stats_by_name, write};
use crate::support::*;
use captest_format::columns::{
    AVERAGE_CONTENT_SIZE, ERROR, FAILURE_COUNT, NAME, OCCURRENCES, REQUEST_COUNT,
};
use captest_format::files;

/// `captest run` for `secs` seconds with `args`, `--csv PREFIX -q`; returns (exit code, stdout).
pub(super) fn load(args: &[&str], prefix: &Path, secs: &str) -> (i32, String) {
    let mut all = vec![
        "run",
        "-r",
        "100",
        "-t",
        secs,
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    let output = run_captest(&all);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// The Aggregated row of `PREFIX_stats.csv`.
pub(super) fn aggregated(prefix: &Path) -> std::collections::HashMap<String, String> {
    read_csv(&with_suffix(prefix, files::STATS))
        .into_iter()
        .find(|r| r[NAME] == "Aggregated")
        .expect("an Aggregated row")
}

/// `Error` → `Occurrences` of `PREFIX_failures.csv`.
pub(super) fn failures(prefix: &Path) -> Vec<(String, u64)> {
    read_csv(&with_suffix(prefix, files::FAILURES))
        .into_iter()
        .map(|r| (r[ERROR].clone(), r[OCCURRENCES].parse().expect("count")))
        .collect()
}

pub(super) fn tls_server(dir: &Path, extra: &[&str]) -> (DemoServer, String) {
    let cert = dir.join("demo-cert.pem");
    let mut args = vec!["--tls", "--tls-cert-out", cert.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let server = DemoServer::start_quiet(&args);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    (server, cert.to_str().expect("utf-8").to_owned())
}
