//! What the demo server received, per route and status: the ground truth tests compare with.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// Counts of received requests per route pattern and status code.
#[derive(Debug, Default)]
pub struct Counters {
    inner: Mutex<CountersSnapshot>,
}

/// A copy of the counters, serialized as `/__counters` answers:
/// `{"total": N, "events": E, "routes": {"GET /items": {"count": N, "status": {"200": N}}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CountersSnapshot {
    /// Every request counted (all routes but `/__counters`).
    pub total: u64,
    /// Business events accepted: 1 per answered `POST /api/v1/event`, the batch length per
    /// answered `POST /api/v1/event/batch`.
    pub events: u64,
    /// Per route pattern.
    pub routes: BTreeMap<String, RouteCount>,
}

/// Requests received on one route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RouteCount {
    /// Requests answered on the route.
    pub count: u64,
    /// Requests per status code (as a string, e.g. `"200"`).
    pub status: BTreeMap<String, u64>,
}

impl Counters {
    /// Records one answered request and the business events it carried.
    pub fn record(&self, pattern: &'static str, status: u16, events: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.total += 1;
        inner.events += events;
        let route = inner.routes.entry(pattern.to_owned()).or_default();
        route.count += 1;
        *route.status.entry(status.to_string()).or_default() += 1;
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
        counters.record("GET /items", 200, 0);
        counters.record("GET /items", 500, 0);
        counters.record("POST /api/v1/event/batch", 200, 20);
        let snapshot = counters.snapshot();
        assert_eq!(snapshot.total, 3);
        assert_eq!(snapshot.events, 20);
        assert_eq!(snapshot.routes["GET /items"].count, 2);
        assert_eq!(snapshot.routes["GET /items"].status["500"], 1);
        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["routes"]["GET /items"]["status"]["200"], 1);
    }
}
