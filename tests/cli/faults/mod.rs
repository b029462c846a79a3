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
