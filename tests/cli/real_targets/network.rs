//! Proxies (environment and flag), credentials and IPv6.

use super::*;

/// `captest run` of `users` users (50 ms wait) for 1 s against `host`, `--csv prefix`, with
/// `env` set and `unset` removed from its environment.
fn run_with_env(
    host: &str,
    users: &str,
    prefix: &Path,
    env: &[(&str, &str)],
    unset: &[&str],
) -> std::process::Output {
    let mut command = captest();
    command
        .args([
            "run", "--host", host, "-u", users, "--wait", "50ms", "-t", "1s", "-q", "--csv",
        ])
        .arg(prefix);
    for (name, value) in env {
        command.env(name, value);
    }
    for name in unset {
        command.env_remove(name);
    }
    command.output().expect("captest runs")
}

/// HTTPS through a CONNECT tunnel of `proxy`, from `--proxy`: one tunnel per user, every request
/// counted by the server.
fn tunnels_https_through(proxy: &TestProxy, dir: &Path) {
    let (tls, cert) = tls_server(dir, &[]);
    let prefix = dir.join("tunnel");
    let (code, out) = load(
        &[
            "--host", &tls.url, "--cacert", &cert, "--proxy", &proxy.url, "-u", "2", "--wait",
            "50ms",
        ],
        &prefix,
        "1s",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(proxy.counts.tunnels(), 2, "one tunnel per user");
    let counters = tls.stop();
    let count: u64 = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
    assert_eq!(counters["total"].as_u64(), Some(count));
}

#[test]
fn proxies_from_the_environment_and_the_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = DemoServer::start(&[]);
    let proxy = TestProxy::start(Some("pu:pp"));
    let prefix = dir.path().join("proxied");
    let proxied_url = proxy.url.replace("http://", "http://pu:pp@");
    let output = run_with_env(
        &server.url,
        "2",
        &prefix,
        &[("HTTP_PROXY", &proxied_url)],
        &["NO_PROXY", "no_proxy", "http_proxy"],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let count: u64 = aggregated(&prefix)[REQUEST_COUNT].parse().expect("count");
    let forwarded = proxy.counts.forwarded();
    assert_eq!(forwarded, count);
    assert_eq!(proxy.counts.authorized(), count);
    // NO_PROXY exempts the host.
    let before = forwarded;
    let prefix = dir.path().join("bypassed");
    let output = run_with_env(
        &server.url,
        "1",
        &prefix,
        &[
            ("HTTP_PROXY", &proxy.url),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(proxy.counts.forwarded(), before);
    tunnels_https_through(&proxy, dir.path());
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
    templated_password_is_rendered(dir.path(), &server);
}

/// A templated password (a secret from the environment) is rendered per request.
fn templated_password_is_rendered(dir: &Path, server: &DemoServer) {
    let templated = write(
        dir,
        "env-auth.toml",
        r#"
[[users]]
name = "E"
wait = { constant = "50ms" }
[[users.tasks]]
requests = [{ path = "/headers", auth = { basic = ["ann", "{{ env('CAPTEST_TEST_SECRET') }}"] }, contains = "Basic YW5uOnBAc3M=" }]
"#,
    );
    let prefix = dir.join("env-auth");
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
