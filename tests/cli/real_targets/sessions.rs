//! Cookies, redirects and compressed bodies against `captest demo-server`.

use super::*;

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
