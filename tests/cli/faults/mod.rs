//! `captest run` against a misbehaving target (`captest demo-server --fault KIND[:RATE]`): each
//! fault is counted once, classified under the error Python requests names it by, the
//! connection is replaced, and memory stays bounded. Plus requests still in flight when a run
//! stops.

mod in_flight;
mod listener;
mod slow;
mod wire;

/// The load of every fault test: 2 users for 5 s, a short pause between requests.
pub const LOAD: &[&str] = &[
    "--path", "/items", "-u", "2", "-r", "2", "-t", "5s", "--wait", "10ms", "-q",
];

/// The demo server's flags for `fault`: fast answers, the fault on a share of requests.
pub fn server_with(fault: &str) -> Vec<&str> {
    vec!["--service-time", "2ms", "--fault", fault]
}

#[test]
fn a_bad_fault_spec_is_one_line_and_exit_2() {
    use crate::support::run_captest;
    for (flags, expected) in [
        (
            &["--fault", "nope"][..],
            "no fault \"nope\"; kinds: refused,",
        ),
        (&["--fault", "slowloris:2"], "expected 0 < RATE ≤ 1"),
        (&["--fault", "tls-garbage"], "tls-garbage needs --tls"),
        (&["--fault", "slowloris", "--http2"], "drop --http2"),
        (
            &["--fault", "short-body:0.6", "--fault", "slowloris:0.6"],
            "add up to 1.2",
        ),
    ] {
        let mut args = vec!["demo-server"];
        args.extend(flags);
        let output = run_captest(&args);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(expected) && stderr.contains("--fault"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "nothing listened");
    }
}
