//! Injected wire faults: `--fault KIND[:RATE]` makes the demo server misbehave the way failing
//! services do (resets, garbage, stalls, floods), on a share of requests, so the client's
//! classification of each fault can be tested end to end.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::RunnerError;

/// One way of misbehaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// Nothing listens for a share of each second (`RATE` of it): connections are refused.
    Refused,
    /// The request is read, then the connection is reset (RST) before any response byte.
    ResetBeforeResponse,
    /// A response head and part of its body, then a reset.
    ResetMidBody,
    /// The request is read, then the connection is closed (FIN) without a response.
    CloseWithoutResponse,
    /// A status line that is not HTTP (`HTTP/1.1 OK 200`).
    MalformedStatus,
    /// A header line that is not a header (a space in its name).
    InvalidHeader,
    /// 1 MiB of response headers.
    HugeHeaders,
    /// A chunked body cut in the middle of a chunk (then a clean close).
    TruncatedChunked,
    /// `Content-Length` larger than the body sent (then a clean close).
    ShortBody,
    /// A chunked body that never ends.
    EndlessBody,
    /// The response one byte per second.
    Slowloris,
    /// A 10 GiB body, streamed (never buffered by the server).
    HugeBody,
    /// Garbage where the TLS handshake is expected (needs `--tls`; per connection).
    TlsGarbage,
    /// A proper response followed by the bytes of a second, unrequested one on the keep-alive
    /// connection.
    Unsolicited,
}

/// Every kind with its name on the command line (and in `/__counters`'s `faults`).
const NAMES: [(FaultKind, &str); 14] = [
    (FaultKind::Refused, "refused"),
    (FaultKind::ResetBeforeResponse, "reset-before-response"),
    (FaultKind::ResetMidBody, "reset-mid-body"),
    (FaultKind::CloseWithoutResponse, "close-without-response"),
    (FaultKind::MalformedStatus, "malformed-status"),
    (FaultKind::InvalidHeader, "invalid-header"),
    (FaultKind::HugeHeaders, "huge-headers"),
    (FaultKind::TruncatedChunked, "truncated-chunked"),
    (FaultKind::ShortBody, "short-body"),
    (FaultKind::EndlessBody, "endless-body"),
    (FaultKind::Slowloris, "slowloris"),
    (FaultKind::HugeBody, "huge-body"),
    (FaultKind::TlsGarbage, "tls-garbage"),
    (FaultKind::Unsolicited, "unsolicited"),
];

impl FaultKind {
    /// The kind's name, as `--fault` takes it.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("unknown", |(_, name)| name)
    }

    /// Whether the kind acts on a request the server read (not on the listener or the handshake).
    pub fn per_request(self) -> bool {
        !matches!(self, FaultKind::Refused | FaultKind::TlsGarbage)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `--fault KIND[:RATE]`: the kind and the share (0 < RATE ≤ 1) of requests (of
/// connections for `tls-garbage`, of each second for `refused`) it hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// How often.
    pub rate: f64,
}

impl FromStr for Fault {
    type Err = RunnerError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (name, rate) = match spec.split_once(':') {
            Some((name, rate)) => (name.trim(), Some(rate.trim())),
            None => (spec.trim(), None),
        };
        let invalid =
            |what: String| RunnerError::InvalidSetting(format!("--fault {spec:?}: {what}"));
        let kind = NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(kind, _)| *kind)
            .ok_or_else(|| {
                let names: Vec<&str> = NAMES.iter().map(|(_, n)| *n).collect();
                invalid(format!("no fault {name:?}; kinds: {}", names.join(", ")))
            })?;
        let rate = match rate {
            None => 1.0,
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|r| *r > 0.0 && *r <= 1.0)
                .ok_or_else(|| invalid(format!("rate {text:?}: expected 0 < RATE ≤ 1")))?,
        };
        Ok(Fault { kind, rate })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.rate)
    }
}

/// The faults of one server, checked together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    faults: Vec<Fault>,
}

/// The period of `refused`: the listener is closed for `RATE` of each such period.
pub const REFUSED_PERIOD: Duration = Duration::from_secs(1);

impl FaultPlan {
    /// A plan of `faults`: each kind at most once, the per-request rates summing to at most 1,
    /// `tls-garbage` only with `tls`.
    pub fn new(faults: Vec<Fault>, tls: bool) -> Result<FaultPlan, RunnerError> {
        let invalid = |what: String| Err(RunnerError::InvalidSetting(what));
        for (i, fault) in faults.iter().enumerate() {
            if faults[..i].iter().any(|f| f.kind == fault.kind) {
                return invalid(format!("--fault {} is given twice", fault.kind));
            }
        }
        let per_request: f64 = faults
            .iter()
            .filter(|f| f.kind.per_request())
            .map(|f| f.rate)
            .sum();
        if per_request > 1.0 + 1e-9 {
            return invalid(format!(
                "--fault: the per-request rates add up to {per_request}, more than 1"
            ));
        }
        if !tls && faults.iter().any(|f| f.kind == FaultKind::TlsGarbage) {
            return invalid("--fault tls-garbage needs --tls".into());
        }
        Ok(FaultPlan { faults })
    }

    /// Whether any fault is planned.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// The planned faults.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// The rate of `kind`, if planned.
    pub fn rate(&self, kind: FaultKind) -> Option<f64> {
        self.faults.iter().find(|f| f.kind == kind).map(|f| f.rate)
    }

    /// The per-request fault a request drawing `draw` (uniform in [0, 1)) gets, if any: the
    /// kinds share [0, 1) in the order given.
    pub fn for_request(&self, draw: f64) -> Option<FaultKind> {
        let mut bound = 0.0;
        for fault in self.faults.iter().filter(|f| f.kind.per_request()) {
            bound += fault.rate;
            if draw < bound {
                return Some(fault.kind);
            }
        }
        None
    }

    /// Whether the connection drawing `draw` gets garbage instead of a TLS handshake.
    pub fn garbage_for_connection(&self, draw: f64) -> bool {
        self.rate(FaultKind::TlsGarbage)
            .is_some_and(|rate| draw < rate)
    }

    /// With `refused`, how long the listener stays open, then closed, in each period.
    pub fn refusal(&self) -> Option<(Duration, Duration)> {
        let rate = self.rate(FaultKind::Refused)?;
        let closed = REFUSED_PERIOD.mul_f64(rate);
        Some((REFUSED_PERIOD.saturating_sub(closed), closed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(specs: &[&str], tls: bool) -> Result<FaultPlan, String> {
        let faults = specs
            .iter()
            .map(|s| s.parse::<Fault>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        FaultPlan::new(faults, tls).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_kinds_and_rates() {
        let fault: Fault = "reset-mid-body:0.25".parse().unwrap();
        assert_eq!(fault.kind, FaultKind::ResetMidBody);
        assert_eq!(fault.rate, 0.25);
        assert_eq!("slowloris".parse::<Fault>().unwrap().rate, 1.0);
        for (kind, name) in NAMES {
            assert_eq!(name.parse::<Fault>().unwrap().kind, kind);
            assert_eq!(kind.to_string(), name);
        }
    }

    #[test]
    fn bad_specs_name_the_flag_and_what_was_expected() {
        for (specs, expected) in [
            (&["nope"][..], "kinds: refused, reset-before-response"),
            (&["slowloris:0"], "expected 0 < RATE ≤ 1"),
            (&["slowloris:1.5"], "expected 0 < RATE ≤ 1"),
            (&["slowloris:x"], "expected 0 < RATE ≤ 1"),
            (&["slowloris:0.5", "slowloris:0.1"], "given twice"),
            (&["short-body:0.6", "huge-body:0.6"], "more than 1"),
            (&["tls-garbage"], "needs --tls"),
        ] {
            let message = plan(specs, false).unwrap_err();
            assert!(message.contains(expected), "{specs:?}: {message}");
            assert!(message.contains("--fault"), "{message}");
        }
        assert!(plan(&["tls-garbage:0.5", "refused:0.5", "slowloris:0.9"], true).is_ok());
    }

    #[test]
    fn requests_draw_their_fault_in_order() {
        let plan = plan(&["short-body:0.2", "refused:0.5", "slowloris:0.3"], false).unwrap();
        assert_eq!(plan.for_request(0.1), Some(FaultKind::ShortBody));
        assert_eq!(plan.for_request(0.3), Some(FaultKind::Slowloris));
        assert_eq!(plan.for_request(0.5), None);
        assert_eq!(
            plan.refusal(),
            Some((Duration::from_millis(500), Duration::from_millis(500)))
        );
        assert!(!plan.garbage_for_connection(0.0));
    }
}
