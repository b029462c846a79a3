//! End-to-end tests of captest as a client of real services: HTTPS (trust, failures, mTLS
//! flags, resumption), HTTP/2, cookies, redirects, compression, proxies, default headers,
//! credentials and IPv6 — against `captest demo-server`, nginx and a test proxy.

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
fn load(args: &[&str], prefix: &Path, secs: &str) -> (i32, String) {
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
fn aggregated(prefix: &Path) -> std::collections::HashMap<String, String> {
    read_csv(&with_suffix(prefix, files::STATS))
        .into_iter()
        .find(|r| r[NAME] == "Aggregated")
        .expect("an Aggregated row")
}

/// `Error` → `Occurrences` of `PREFIX_failures.csv`.
fn failures(prefix: &Path) -> Vec<(String, u64)> {
    read_csv(&with_suffix(prefix, files::FAILURES))
        .into_iter()
        .map(|r| (r[ERROR].clone(), r[OCCURRENCES].parse().expect("count")))
        .collect()
}

fn tls_server(dir: &Path, extra: &[&str]) -> (DemoServer, String) {
    let cert = dir.join("demo-cert.pem");
    let mut args = vec!["--tls", "--tls-cert-out", cert.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let server = DemoServer::start_quiet(&args);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    (server, cert.to_str().expect("utf-8").to_owned())
}

#[test]
fn https_with_cacert_counts_every_request_the_server_saw() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, cert) = tls_server(dir.path(), &[]);
    let prefix = dir.path().join("tls");
    let (code, out) = load(
        &[
            "--host",
            &server.url,
            "--cacert",
            &cert,
            "-u",
            "20",
            "--wait",
            "20ms",
        ],
        &prefix,
        "3s",
    );
    assert_eq!(code, 0, "{out}");
    let counters = server.stop();
    let total = aggregated(&prefix);
    assert_eq!(total[FAILURE_COUNT], "0");
    let count: u64 = total[REQUEST_COUNT].parse().expect("count");
    assert!(count > 100, "{count}");
    assert_eq!(
        count,
        counters["total"].as_u64().expect("total"),
        "{counters}"
    );
    // Each user's connection paid one full handshake and was kept for the whole run.
    assert_eq!(
        counters["tls_handshakes"]["full"].as_u64(),
        Some(20),
        "{counters}"
    );
    assert_eq!(
        counters["protocols"]["HTTP/1.1"].as_u64(),
        Some(count),
        "{counters}"
    );
}

#[test]
fn tls_failures_are_rows_named_by_their_cause() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, cert) = tls_server(dir.path(), &[]);
    // No --cacert: a self-signed certificate has an unknown issuer.
    let prefix = dir.path().join("untrusted");
    let (code, out) = load(
        &["--host", &server.url, "-u", "2", "--wait", "50ms"],
        &prefix,
        "1s",
    );
    assert_eq!(code, 1, "{out}");
    let rows = failures(&prefix);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0].0,
        "SSLError(certificate verify failed: unknown issuer)"
    );
    // --insecure accepts it.
    let prefix = dir.path().join("insecure");
    let (code, out) = load(
        &[
            "--host",
            &server.url,
            "--insecure",
            "-u",
            "2",
            "--wait",
            "50ms",
        ],
        &prefix,
        "1s",
    );
    assert_eq!(code, 0, "{out}");
    // The certificate names 127.0.0.1, localhost and ::1, not 127.0.0.2.
    let other = DemoServer::start_quiet(&["--tls", "--bind", "127.0.0.2:0"]);
    let prefix = dir.path().join("mismatch");
    let (code, out) = load(
        &[
            "--host", &other.url, "--cacert", &cert, "-u", "1", "--wait", "50ms",
        ],
        &prefix,
        "1s",
    );
    assert_eq!(code, 1, "{out}");
    let rows = failures(&prefix);
    assert!(
        rows.iter()
            .all(|(e, _)| e.starts_with("SSLError(certificate verify failed")),
        "{rows:?}"
    );
    // TLS to a plain-HTTP port.
    let plain = DemoServer::start(&[]);
    let prefix = dir.path().join("plain");
    let url = plain.url.replace("http://", "https://");
    let (code, out) = load(
        &["--host", &url, "--insecure", "-u", "1", "--wait", "50ms"],
        &prefix,
        "1s",
    );
    assert_eq!(code, 1, "{out}");
    let rows = failures(&prefix);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0].0, "ConnectionError(TLS to a plain-HTTP port?)",
        "{rows:?}"
    );
}

#[test]
fn bad_tls_files_and_flags_are_one_line_and_exit_2_before_any_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = format!("https://127.0.0.1:{}", closed_port());
    let not_pem = write(dir.path(), "not.pem", "hello\n");
    let cert = nginx::certificate(dir.path());
    let other = tempfile::tempdir().expect("temp dir");
    let other_cert = nginx::certificate(other.path());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--cacert", "/nonexistent/ca.pem"],
            "--cacert /nonexistent/ca.pem: ",
        ),
        (
            vec!["--cacert", not_pem.to_str().expect("utf-8")],
            "no PEM certificate",
        ),
        (
            vec!["--cert", cert.cert.to_str().expect("utf-8")],
            "--cert needs --key",
        ),
        (
            vec![
                "--cert",
                cert.cert.to_str().expect("utf-8"),
                "--key",
                other_cert.key.to_str().expect("utf-8"),
            ],
            "does not match the certificate",
        ),
        (
            vec![
                "--cert",
                cert.cert.to_str().expect("utf-8"),
                "--key",
                not_pem.to_str().expect("utf-8"),
            ],
            "not a PEM private key",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["run", "--host", &host, "-u", "1", "-t", "1s", "-q"];
        args.extend_from_slice(&flags);
        let output = run_captest(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{flags:?}: {stderr}");
    }
    let scenario = write(
        dir.path(),
        "bad-tls.toml",
        "[tls]\ncacert = \"ca.pem\"\nverify = false\n\n[[users]]\nname = \"U\"\n[[users.tasks]]\nrequests = [{ path = \"/\" }]\n",
    );
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &host,
        "-t",
        "1s",
        "-q",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad-tls.toml:3:"), "{stderr}");
    assert!(stderr.contains("verify"), "{stderr}");
}

#[test]
fn http2_on_tls_and_prior_knowledge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, cert) = tls_server(dir.path(), &["--http2"]);
    let prefix = dir.path().join("h2");
    let (code, out) = run_with_stdout(
        &[
            "--host",
            &server.url,
            "--cacert",
            &cert,
            "--http2",
            "-u",
            "4",
            "--wait",
            "20ms",
        ],
        &prefix,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Protocol: HTTP/2 (4 connections, 4 over TLS)"),
        "{out}"
    );
    let counters = server.stop();
    let count: u64 = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
    assert_eq!(
        counters["protocols"]["HTTP/2.0"].as_u64(),
        Some(count),
        "{counters}"
    );
    assert_eq!(counters["total"].as_u64(), Some(count), "{counters}");
    // Without --http2 the same server is spoken to in HTTP/1.1 (Locust's behaviour).
    let plain = DemoServer::start_quiet(&["--http2"]);
    let prefix = dir.path().join("h2c");
    let (code, out) = run_with_stdout(
        &["--host", &plain.url, "--http2", "-u", "2", "--wait", "20ms"],
        &prefix,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Protocol: HTTP/2 (2 connections)"), "{out}");
    let counters = plain.stop();
    let count: u64 = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
    assert_eq!(
        counters["protocols"]["HTTP/2.0"].as_u64(),
        Some(count),
        "{counters}"
    );
}

/// `captest run` for 2 s, without -q, returning stdout and stderr.
fn run_with_stdout(args: &[&str], prefix: &Path) -> (i32, String) {
    let mut all = vec![
        "run",
        "-r",
        "100",
        "-t",
        "2s",
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

#[test]
fn handshakes_resume_per_user_unless_turned_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (resumption, resumed_expected) in [("on", true), ("off", false)] {
        let (server, cert) = tls_server(dir.path(), &[]);
        let prefix = dir.path().join(format!("resume-{resumption}"));
        let (code, out) = load(
            &[
                "--host",
                &server.url,
                "--cacert",
                &cert,
                "--no-keepalive",
                "--tls-resumption",
                resumption,
                "-u",
                "3",
                "--wait",
                "50ms",
            ],
            &prefix,
            "2s",
        );
        assert_eq!(code, 0, "{out}");
        let counters = server.stop();
        let count: u64 = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
        let full = counters["tls_handshakes"]["full"].as_u64().unwrap_or(0);
        let resumed = counters["tls_handshakes"]["resumed"].as_u64().unwrap_or(0);
        // A new connection per request: one handshake each.
        assert_eq!(full + resumed, count, "{counters}");
        assert_eq!(counters["connections"].as_u64(), Some(count), "{counters}");
        if resumed_expected {
            assert_eq!(full, 3, "one full handshake per user: {counters}");
        } else {
            assert_eq!(resumed, 0, "{counters}");
        }
    }
}

#[test]
fn cookies_keep_a_login_session_per_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = DemoServer::start(&[]);
    let scenario = write(
        dir.path(),
        "shop.toml",
        r#"
[[users]]
name = "Shopper"
wait = { constant = "20ms" }
on_start = [{ method = "POST", path = "/login" }]
[[users.tasks]]
requests = [{ path = "/cart" }]
"#,
    );
    let prefix = dir.path().join("cookies");
    let (code, out) = load(
        &[
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "3",
        ],
        &prefix,
        "2s",
    );
    assert_eq!(code, 0, "{out}");
    let stats = stats_by_name(&prefix);
    assert!(stats["GET /cart"].0 > 20.0, "{stats:?}");
    assert_eq!(stats["GET /cart"].1, 0.0, "{stats:?}");
    let prefix = dir.path().join("no-cookies");
    let (code, out) = load(
        &[
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "3",
            "--no-cookies",
        ],
        &prefix,
        "1s",
    );
    assert_eq!(code, 1, "{out}");
    let stats = stats_by_name(&prefix);
    assert_eq!(
        stats["GET /cart"].0, stats["GET /cart"].1,
        "every cart request 401: {stats:?}"
    );
}

#[test]
fn redirects_are_followed_as_one_sample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = DemoServer::start(&[]);
    let scenario = write(
        dir.path(),
        "redirects.toml",
        r#"
[[users]]
name = "R"
wait = { constant = "20ms" }
[[users.tasks]]
requests = [{ path = "/redirect/3", name = "chain" }]
[[users.tasks]]
requests = [{ method = "POST", path = "/redirect/1?status=303", body = "abc", name = "see-other", contains = '"method":"GET"' }]
[[users.tasks]]
requests = [{ method = "POST", path = "/redirect/2?status=307", body = "abcd", name = "temporary", contains = '"body_bytes":4' }]
[[users.tasks]]
requests = [{ path = "/redirect/2?absolute=1", name = "absolute" }]
[[users.tasks]]
requests = [{ path = "/redirect/5", name = "not-followed", follow_redirects = false, expect = [302] }]
[[users.tasks]]
weight = 1
requests = [{ path = "/redirect-loop", name = "loop" }]
"#,
    );
    let prefix = dir.path().join("redirects");
    let (code, out) = load(
        &[
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "2",
        ],
        &prefix,
        "2s",
    );
    assert_eq!(code, 1, "the loop fails: {out}");
    let counters = server.counters();
    let stats = stats_by_name(&prefix);
    for name in [
        "GET chain",
        "POST see-other",
        "POST temporary",
        "GET absolute",
        "GET not-followed",
    ] {
        assert!(stats[name].0 > 0.0, "{name}: {stats:?}");
        assert_eq!(stats[name].1, 0.0, "{name}: {stats:?}");
    }
    let (loops, loop_failures) = stats["GET loop"];
    assert!(loops > 0.0 && loops == loop_failures, "{stats:?}");
    let rows = failures(&prefix);
    assert_eq!(
        rows,
        vec![(
            "TooManyRedirects('Exceeded 30 redirects.')".to_owned(),
            loops as u64
        )]
    );
    // The server saw every hop: 4 per chain, 2 per see-other, 3 per temporary and absolute,
    // 1 per not-followed, 31 per loop.
    let expected = 4.0 * stats["GET chain"].0
        + 2.0 * stats["POST see-other"].0
        + 3.0 * (stats["POST temporary"].0 + stats["GET absolute"].0)
        + stats["GET not-followed"].0
        + 31.0 * loops;
    assert_eq!(counters["total"].as_f64(), Some(expected), "{counters}");
}

#[test]
fn compressed_bodies_are_decoded_and_counted_as_requests_counts_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = DemoServer::start(&[]);
    let scenario = write(
        dir.path(),
        "compressed.toml",
        r#"
[[users]]
name = "C"
wait = { constant = "20ms" }
[[users.tasks]]
requests = [{ path = "/compressed/gzip?size=10000", name = "gzip", contains = "line 000100: the quick brown fox" }]
[[users.tasks]]
requests = [{ path = "/compressed/deflate?size=10000", name = "deflate" }]
[[users.tasks]]
requests = [{ path = "/compressed/br?size=10000", name = "br" }]
[[users.tasks]]
requests = [{ path = "/compressed/gzip?size=10000", name = "raw", decompress = false }]
[[users.tasks]]
requests = [{ path = "/compressed/corrupt", name = "corrupt" }]
[[users.tasks]]
requests = [{ path = "/headers", name = "headers", contains = "captest/" }]
"#,
    );
    let prefix = dir.path().join("compressed");
    let (code, out) = load(
        &[
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "2",
        ],
        &prefix,
        "2s",
    );
    assert_eq!(code, 1, "corrupt fails: {out}");
    let rows: std::collections::HashMap<String, std::collections::HashMap<String, String>> =
        read_csv(&with_suffix(&prefix, files::STATS))
            .into_iter()
            .map(|r| (r[NAME].clone(), r))
            .collect();
    for name in ["gzip", "deflate", "br"] {
        assert_eq!(rows[name][FAILURE_COUNT], "0", "{name}");
        assert_eq!(
            number(&rows[name], AVERAGE_CONTENT_SIZE),
            10000.0,
            "{name}: decoded length"
        );
    }
    let raw: f64 = rows["raw"][AVERAGE_CONTENT_SIZE].parse().expect("size");
    assert!(raw > 0.0 && raw < 2000.0, "raw gzip length {raw}");
    assert_eq!(rows["headers"][FAILURE_COUNT], "0");
    assert_eq!(
        rows["corrupt"][REQUEST_COUNT],
        rows["corrupt"][FAILURE_COUNT]
    );
    let rows = failures(&prefix);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0]
            .0
            .starts_with("ContentDecodingError('Received response with content-encoding: gzip"),
        "{rows:?}"
    );
}

#[test]
fn proxies_from_the_environment_and_the_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = DemoServer::start(&[]);
    let proxy = TestProxy::start(Some("pu:pp"));
    let prefix = dir.path().join("proxied");
    let proxied_url = proxy.url.replace("http://", "http://pu:pp@");
    let output = captest()
        .args([
            "run",
            "--host",
            &server.url,
            "-u",
            "2",
            "--wait",
            "50ms",
            "-t",
            "1s",
            "-q",
            "--csv",
        ])
        .arg(&prefix)
        .env("HTTP_PROXY", &proxied_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("http_proxy")
        .output()
        .expect("captest runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let count: u64 = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
    let forwarded = proxy
        .counts
        .forwarded
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(forwarded, count);
    assert_eq!(
        proxy
            .counts
            .authorized
            .load(std::sync::atomic::Ordering::Relaxed),
        count
    );
    // NO_PROXY exempts the host.
    let before = forwarded;
    let prefix = dir.path().join("bypassed");
    let output = captest()
        .args([
            "run",
            "--host",
            &server.url,
            "-u",
            "1",
            "--wait",
            "50ms",
            "-t",
            "1s",
            "-q",
            "--csv",
        ])
        .arg(&prefix)
        .env("HTTP_PROXY", &proxy.url)
        .env("NO_PROXY", "localhost,127.0.0.1")
        .output()
        .expect("captest runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        proxy
            .counts
            .forwarded
            .load(std::sync::atomic::Ordering::Relaxed),
        before
    );
    // HTTPS through a CONNECT tunnel, from --proxy.
    let (tls, cert) = tls_server(dir.path(), &[]);
    let prefix = dir.path().join("tunnel");
    let (code, out) = load(
        &[
            "--host", &tls.url, "--cacert", &cert, "--proxy", &proxy.url, "-u", "2", "--wait",
            "50ms",
        ],
        &prefix,
        "1s",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        proxy
            .counts
            .tunnels
            .load(std::sync::atomic::Ordering::Relaxed),
        2,
        "one tunnel per user"
    );
    let counters = tls.stop();
    let count: u64 = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
    assert_eq!(counters["total"].as_u64(), Some(count));
    // --http2 to an http:// host through a proxy cannot work: refused before any request.
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--proxy",
        &proxy.url,
        "--http2",
        "-t",
        "1s",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--http2"),
        "{output:?}"
    );
}

#[test]
fn credentials_and_ipv6() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = DemoServer::start(&["--bind", "[::1]:0"]);
    assert!(server.url.starts_with("http://[::1]:"), "{}", server.url);
    let with_credentials = server.url.replace("http://", "http://ann:p%40ss@");
    // "ann:p@ss" in base64 is YW5uOnBAc3M=.
    let check = write(
        dir.path(),
        "credentials.toml",
        r#"
[[users]]
name = "C"
wait = { constant = "50ms" }
[[users.tasks]]
requests = [{ path = "/headers", contains = "Basic YW5uOnBAc3M=" }]
"#,
    );
    let prefix = dir.path().join("v6");
    let (code, out) = load(
        &[
            check.to_str().expect("utf-8"),
            "--host",
            &with_credentials,
            "-u",
            "1",
        ],
        &prefix,
        "1s",
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("p@ss") && !out.contains("p%40ss"), "{out}");
    let scenario = write(
        dir.path(),
        "auth.toml",
        r#"
auth = { basic = ["ann", "p@ss"] }
[[users]]
name = "A"
wait = { constant = "50ms" }
[[users.tasks]]
requests = [{ path = "/headers", name = "auth", contains = "Basic YW5uOnBAc3M=" }]
[[users.tasks]]
requests = [{ path = "/headers", name = "agent", headers = { user-agent = "mine/1" }, contains = '"user-agent":"mine/1"' }]
"#,
    );
    let prefix = dir.path().join("auth");
    let (code, out) = load(
        &[
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "1",
        ],
        &prefix,
        "1s",
    );
    assert_eq!(code, 0, "{out}");
    // A templated password (a secret from the environment) is rendered per request.
    let templated = write(
        dir.path(),
        "env-auth.toml",
        r#"
[[users]]
name = "E"
wait = { constant = "50ms" }
[[users.tasks]]
requests = [{ path = "/headers", auth = { basic = ["ann", "{{ env('CAPTEST_TEST_SECRET') }}"] }, contains = "Basic YW5uOnBAc3M=" }]
"#,
    );
    let prefix = dir.path().join("env-auth");
    let output = captest()
        .args([
            "run",
            templated.to_str().expect("utf-8"),
            "--host",
            &server.url,
        ])
        .args(["-u", "1", "-r", "10", "-t", "1s", "-q", "--csv"])
        .arg(&prefix)
        .env("CAPTEST_TEST_SECRET", "p@ss")
        .output()
        .expect("captest runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(aggregated(&prefix)[REQUEST_COUNT] != "0");
    let counters = server.counters();
    assert!(route_count_any(&counters, "/headers") > 0, "{counters}");
}

fn route_count_any(counters: &serde_json::Value, path: &str) -> u64 {
    counters["routes"]
        .as_object()
        .map(|routes| {
            routes
                .iter()
                .filter(|(name, _)| name.ends_with(path))
                .filter_map(|(_, v)| v["count"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn nginx_over_tls_http2_gzip_redirects_and_cookies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let nginx = Nginx::start(dir.path());
    let cert = nginx.cert.to_str().expect("utf-8").to_owned();
    let scenario = write(
        dir.path(),
        "nginx.toml",
        r#"
[[users]]
name = "N"
wait = { constant = "10ms" }
on_start = [{ path = "/login" }]
[[users.tasks]]
requests = [{ path = "/hello", contains = "hello from nginx" }]
[[users.tasks]]
requests = [{ path = "/static/page.txt", name = "page" }]
[[users.tasks]]
requests = [{ path = "/old", name = "old", contains = "hello from nginx" }]
[[users.tasks]]
requests = [{ path = "/cart", contains = "your cart" }]
"#,
    );
    for (protocol, extra) in [("HTTP/1.1", vec![]), ("HTTP/2.0", vec!["--http2"])] {
        let before = nginx.access_log().len();
        let prefix = dir.path().join(protocol.replace('/', "-"));
        let mut args = vec![
            scenario.to_str().expect("utf-8"),
            "--host",
            &nginx.https,
            "--cacert",
            &cert,
            "-u",
            "20",
        ];
        args.extend(extra.iter().copied());
        let (code, out) = load(&args, &prefix, "3s");
        assert_eq!(code, 0, "{protocol}: {out}");
        let stats = stats_by_name(&prefix);
        let log = nginx.access_log();
        let lines = &log[before..];
        assert!(
            lines.iter().all(|l| l.contains(protocol)),
            "{protocol}: {:?}",
            &lines[..3]
        );
        assert!(
            lines.iter().all(|l| l.contains(" captest/")),
            "{:?}",
            &lines[..1]
        );
        let samples: f64 = stats.values().map(|s| s.0).sum::<f64>() - stats["Aggregated"].0;
        // /old is two requests on the wire (301, then /hello) and one sample.
        assert_eq!(
            lines.len() as f64,
            samples + stats["GET old"].0,
            "{protocol}"
        );
        assert_eq!(stats["Aggregated"].1, 0.0, "{protocol}: {stats:?}");
        let rows = read_csv(&with_suffix(&prefix, files::STATS));
        let page = rows.iter().find(|r| r[NAME] == "page").expect("page row");
        assert_eq!(
            number(page, AVERAGE_CONTENT_SIZE),
            nginx::PAGE_BYTES as f64,
            "decoded length"
        );
        assert!(lines
            .iter()
            .any(|l| l.starts_with("GET /static/page.txt 200")));
    }
    // Plain HTTP to the same nginx; every request in its log.
    let before = nginx.access_log().len();
    let prefix = dir.path().join("plain");
    let (code, out) = load(
        &[
            "--host",
            &nginx.http,
            "--path",
            "/hello",
            "-u",
            "10",
            "--wait",
            "10ms",
        ],
        &prefix,
        "2s",
    );
    assert_eq!(code, 0, "{out}");
    let count: usize = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
    assert_eq!(nginx.access_log().len() - before, count);
}
