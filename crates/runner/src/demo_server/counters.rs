//! What the demo server received, per route and status, per protocol version and per connection:
//! the ground truth tests compare with.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use http::Version;
use rustls::HandshakeKind;
use serde::Serialize;

/// Counts of received requests per route pattern and status code.
#[derive(Debug, Default)]
pub struct Counters {
    inner: Mutex<CountersSnapshot>,
}

/// A copy of the counters, serialized as `/__counters` answers:
/// `{"total": N, "events": E, "routes": {"GET /items": {"count": N, "status": {"200": N}}},
/// "protocols": {"HTTP/1.1": N}, "connections": C, "tls_handshakes": {"full": F, "resumed": R}}`.
/// Requests to `/__counters` (and connections that carried nothing else) count nowhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CountersSnapshot {
    /// Every request counted (all routes but `/__counters`).
    pub total: u64,
    /// Business events accepted: 1 per answered `POST /api/v1/event`, the batch length per
    /// answered `POST /api/v1/event/batch`.
    pub events: u64,
    /// Per route pattern.
    pub routes: BTreeMap<String, RouteCount>,
    /// Requests per protocol version (`"HTTP/1.1"`, `"HTTP/2.0"`); sums to `total`.
    #[serde(default)]
    pub protocols: BTreeMap<String, u64>,
    /// Connections that carried at least one counted request (counted at the first one).
    #[serde(default)]
    pub connections: u64,
    /// The TLS handshakes of those connections, by kind (zero without `--tls`).
    #[serde(default)]
    pub tls_handshakes: TlsHandshakes,
    /// Injected faults by kind (`--fault`): requests read and answered with the fault (counted in
    /// `total` too, under the fault's name in their route's `status`), plus connections given
    /// `tls-garbage`, responses followed by `unsolicited` bytes (not requests of their own) and
    /// the times the listener closed for `refused`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub faults: BTreeMap<String, u64>,
}

/// Completed TLS handshakes by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TlsHandshakes {
    /// Full handshakes (with or without a HelloRetryRequest).
    pub full: u64,
    /// Resumed sessions (a ticket or session id the server recognised).
    pub resumed: u64,
}

/// Requests received on one route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RouteCount {
    /// Requests answered on the route.
    pub count: u64,
    /// Requests per status code (as a string, e.g. `"200"`).
    pub status: BTreeMap<String, u64>,
}

/// One connection as the counters see it: its TLS handshake and whether it has been counted.
#[derive(Debug, Default)]
pub struct ConnectionTally {
    handshake: Option<HandshakeKind>,
    counted: AtomicBool,
}

impl ConnectionTally {
    /// A connection not counted yet; `handshake` is its TLS handshake (`None` for plain TCP).
    pub fn new(handshake: Option<HandshakeKind>) -> Self {
        ConnectionTally {
            handshake,
            counted: AtomicBool::new(false),
        }
    }
}

/// The name `/__counters` gives a protocol version.
fn version_name(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "other",
    }
}

impl Counters {
    /// Records one answered request and the business events it carried, received with
    /// `version` on `connection` (counted with its handshake at its first recorded request).
    pub fn record(
        &self,
        pattern: &'static str,
        status: u16,
        events: u64,
        version: Version,
        connection: &ConnectionTally,
    ) {
        self.record_as(
            pattern,
            &status.to_string(),
            events,
            version,
            connection,
            None,
        );
    }

    /// Records one request read and answered with the injected fault `fault` (its name stands
    /// for the status).
    pub fn record_fault(
        &self,
        pattern: &'static str,
        fault: &'static str,
        version: Version,
        connection: &ConnectionTally,
    ) {
        self.record_as(pattern, fault, 0, version, connection, Some(fault));
    }

    /// Notes a fault that is not a request of its own (`tls-garbage`, `unsolicited`).
    pub fn note_fault(&self, fault: &'static str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner.faults.entry(fault.to_owned()).or_default() += 1;
    }

    fn record_as(
        &self,
        pattern: &'static str,
        status: &str,
        events: u64,
        version: Version,
        connection: &ConnectionTally,
        fault: Option<&'static str>,
    ) {
        // A plain load first: after the first request the flag is only read.
        let first_on_connection = !connection.counted.load(Ordering::Relaxed)
            && !connection.counted.swap(true, Ordering::Relaxed);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.total += 1;
        inner.events += events;
        let route = inner.routes.entry(pattern.to_owned()).or_default();
        route.count += 1;
        *route.status.entry(status.to_owned()).or_default() += 1;
        if let Some(fault) = fault {
            *inner.faults.entry(fault.to_owned()).or_default() += 1;
        }
        let version = version_name(version);
        match inner.protocols.get_mut(version) {
            Some(count) => *count += 1,
            None => {
                inner.protocols.insert(version.to_owned(), 1);
            }
        }
        if first_on_connection {
            inner.connections += 1;
            match connection.handshake {
                Some(HandshakeKind::Resumed) => inner.tls_handshakes.resumed += 1,
                Some(_) => inner.tls_handshakes.full += 1,
                None => {}
            }
        }
    }

    /// A consistent copy of all counts.
    pub fn snapshot(&self) -> CountersSnapshot {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_route_and_status() {
        let counters = Counters::default();
        let plain = ConnectionTally::default();
        counters.record("GET /items", 200, 0, Version::HTTP_11, &plain);
        counters.record("GET /items", 500, 0, Version::HTTP_11, &plain);
        counters.record(
            "POST /api/v1/event/batch",
            200,
            20,
            Version::HTTP_11,
            &plain,
        );
        let snapshot = counters.snapshot();
        assert_eq!(snapshot.total, 3);
        assert_eq!(snapshot.events, 20);
        assert_eq!(snapshot.routes["GET /items"].count, 2);
        assert_eq!(snapshot.routes["GET /items"].status["500"], 1);
        assert_eq!(snapshot.connections, 1);
        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["routes"]["GET /items"]["status"]["200"], 1);
        assert_eq!(json["protocols"]["HTTP/1.1"], 3);
        assert_eq!(json["tls_handshakes"]["full"], 0);
    }

    #[test]
    fn connections_count_once_with_their_handshake() {
        let counters = Counters::default();
        let full = ConnectionTally::new(Some(HandshakeKind::Full));
        let resumed = ConnectionTally::new(Some(HandshakeKind::Resumed));
        for _ in 0..3 {
            counters.record("GET /health", 200, 0, Version::HTTP_2, &full);
        }
        counters.record("GET /health", 200, 0, Version::HTTP_11, &resumed);
        let snapshot = counters.snapshot();
        assert_eq!(snapshot.connections, 2);
        assert_eq!(
            snapshot.tls_handshakes,
            TlsHandshakes {
                full: 1,
                resumed: 1
            }
        );
        assert_eq!(snapshot.protocols["HTTP/2.0"], 3);
        assert_eq!(snapshot.protocols["HTTP/1.1"], 1);
        // Counters written before these keys existed still read.
        let old: CountersSnapshot =
            serde_json::from_str(r#"{"total": 1, "events": 0, "routes": {}}"#).unwrap();
        assert_eq!(old.connections, 0);
    }
}
