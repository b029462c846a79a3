//! Faults around the requests: nothing listening, garbage instead of TLS, and a response
//! nobody asked for on a kept-alive connection.

use super::LOAD;
use crate::support::faults::{fault_run, RSS_BOUND};

#[test]
fn a_closed_port_is_connection_refused_and_the_next_connection_succeeds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ["--service-time", "2ms", "--fault", "refused:0.4"];
    let run = fault_run(&server, LOAD, dir.path());
    assert_eq!(run.code, Some(1), "{run:#?}");
    let refused = run.errors_named("ConnectionRefusedError(111, 'Connection refused')");
    assert!(refused > 0, "{run:#?}");
    // A connection accepted just before the listener closed is reset with the backlog.
    let reset = run.errors_named("ConnectionResetError(104");
    assert_eq!(run.failures, refused + reset, "{run:#?}");
    assert_eq!(
        run.requests - run.failures,
        run.seen(),
        "the server read every success: {run:#?}"
    );
    assert!(
        run.seen() > 0,
        "requests went through between refusals: {run:#?}"
    );
    assert!(run.rss_growth < RSS_BOUND, "{run:#?}");
}

#[test]
fn garbage_instead_of_a_tls_handshake_is_an_ssl_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = [
        "--service-time",
        "2ms",
        "--tls",
        "--fault",
        "tls-garbage:0.3",
    ];
    let mut load = LOAD.to_vec();
    load.extend(["--insecure", "--no-keepalive"]);
    let run = fault_run(&server, &load, dir.path());
    assert_eq!(run.code, Some(1), "{run:#?}");
    let garbage = run.injected("tls-garbage");
    assert!(garbage > 0, "{run:#?}");
    assert_eq!(
        run.errors_named("SSLError('[SSL: WRONG_VERSION_NUMBER]"),
        garbage,
        "{run:#?}"
    );
    assert_eq!(run.failures, garbage, "{run:#?}");
    assert_eq!(run.requests - run.failures, run.seen(), "{run:#?}");
    assert!(run.seen() > 0, "{run:#?}");
    assert!(run.rss_growth < RSS_BOUND, "{run:#?}");
}

#[test]
fn an_unsolicited_response_is_not_taken_for_the_next_one_and_its_connection_is_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ["--service-time", "2ms", "--fault", "unsolicited:0.2"];
    let run = fault_run(&server, LOAD, dir.path());
    // As requests does: the connection is found readable before reuse and replaced; no
    // request fails and none is counted twice.
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(run.failures, 0, "{run:#?}");
    assert_eq!(run.requests, run.seen(), "{run:#?}");
    let unsolicited = run.injected("unsolicited");
    assert!(unsolicited > 2, "{run:#?}");
    let connections = run.server["connections"].as_u64().expect("connections");
    assert!(
        connections >= unsolicited,
        "a new connection after each: {run:#?}"
    );
    assert!(run.rss_growth < RSS_BOUND, "{run:#?}");
}
