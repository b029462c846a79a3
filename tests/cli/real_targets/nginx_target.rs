//! A real third-party server: nginx over TLS with HTTP/2, gzip, redirects and cookies.

use super::*;

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
        nginx_logged_the_run(&nginx, before, protocol, &prefix);
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

/// nginx's access log from line `before` on holds the run at `prefix` in `protocol`: every
/// request (a redirect is two on the wire, one sample), captest's user agent, the decoded page.
fn nginx_logged_the_run(nginx: &Nginx, before: usize, protocol: &str, prefix: &Path) {
    let stats = stats_by_name(prefix);
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
    let rows = read_csv(&with_suffix(prefix, files::STATS));
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
