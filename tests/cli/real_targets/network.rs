//! Proxies (environment and flag), credentials and IPv6.

use super::*;

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
