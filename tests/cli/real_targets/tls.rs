//! HTTPS against `captest demo-server --tls`: trust, failures named by their cause, bad TLS
//! files and flags, HTTP/2 (on TLS and prior knowledge) and session resumption.

use super::*;

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
        rows[0].0, "SSLError('[SSL: WRONG_VERSION_NUMBER] wrong version number: not TLS (a plain-HTTP port?)')",
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
