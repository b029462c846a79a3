//! The demo server's settings: capacity, service time, fault switches and protocol options.

use std::path::PathBuf;
use std::time::Duration;

use crate::RunnerError;

use super::fault::{Fault, FaultPlan};
use super::slow::Slowdown;

/// How the demo target behaves. Its throughput saturates at `capacity / service_time` requests
/// per second (the **known knee**), after which requests queue for a slot and latency grows.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoServerConfig {
    /// Concurrent work slots: at most this many requests are in service at once.
    pub capacity: usize,
    /// Mean time a request holds its slot; each request draws uniformly within ±`jitter` of it.
    pub service_time: Duration,
    /// Relative spread of the service time (0.2 = ±20 %).
    pub jitter: f64,
    /// Share of work requests (0..=1) that answer 500 Internal Server Error.
    pub error_rate: f64,
    /// Share of work requests (0..=1) that answer 404 Not Found even for known ids.
    pub not_found_rate: f64,
    /// A whole-server pause of `stall_for` every `stall_every`, if set.
    pub stall: Option<StallPlan>,
    /// Worker threads of the server's own runtime.
    pub threads: usize,
    /// Serve HTTPS with a self-signed certificate made at start.
    pub tls: bool,
    /// Where to write the certificate (PEM) when serving HTTPS.
    pub tls_cert_out: Option<PathBuf>,
    /// Serve HTTP/2 as well: by ALPN over TLS, by prior knowledge (h2c) over plain TCP.
    pub http2: bool,
    /// Compress the demo routes' bodies as the request's `Accept-Encoding` allows.
    pub compress: bool,
    /// Planted regressions (`--slow`): extra time on some routes' answers.
    pub slow: Vec<Slowdown>,
    /// Injected wire faults (`--fault KIND[:RATE]`); HTTP/1.1 only.
    pub faults: Vec<Fault>,
}

/// Periodic whole-server pauses: during `[k·every, k·every + length)` for k ≥ 1 (measured from the
/// server's start) no request is answered; requests in flight or arriving then wait for the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StallPlan {
    /// Time between the starts of two stalls.
    pub every: Duration,
    /// How long each stall lasts.
    pub length: Duration,
}

impl Default for DemoServerConfig {
    fn default() -> Self {
        DemoServerConfig {
            capacity: 8,
            service_time: Duration::from_millis(20),
            jitter: 0.2,
            error_rate: 0.0,
            not_found_rate: 0.0,
            stall: None,
            threads: 1,
            tls: false,
            tls_cert_out: None,
            http2: false,
            compress: false,
            slow: Vec::new(),
            faults: Vec::new(),
        }
    }
}

impl DemoServerConfig {
    /// Checks every setting is in range; the message names the flag and what was expected.
    pub fn validate(&self) -> Result<(), RunnerError> {
        let invalid = |message: String| Err(RunnerError::InvalidSetting(message));
        if self.capacity == 0 {
            return invalid("--capacity must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.jitter) {
            return invalid(format!("jitter must be in [0, 1), got {}", self.jitter));
        }
        for (flag, rate) in [
            ("--error-rate", self.error_rate),
            ("--not-found-rate", self.not_found_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return invalid(format!("{flag} must be between 0 and 1, got {rate}"));
            }
        }
        if self.error_rate + self.not_found_rate > 1.0 {
            return invalid("--error-rate plus --not-found-rate must not exceed 1".into());
        }
        if let Some(stall) = self.stall {
            if stall.every.is_zero() || stall.length >= stall.every {
                return invalid(format!(
                    "--stall-for ({:?}) must be shorter than --stall-every ({:?}), which must be > 0",
                    stall.length, stall.every
                ));
            }
        }
        if self.threads == 0 {
            return invalid("--threads must be at least 1".into());
        }
        if self.tls_cert_out.is_some() && !self.tls {
            return invalid("--tls-cert-out needs --tls".into());
        }
        if !self.faults.is_empty() && self.http2 {
            return invalid("--fault injects HTTP/1.1 faults: drop --http2".into());
        }
        FaultPlan::new(self.faults.clone(), self.tls).map(|_| ())
    }

    /// The theoretical maximum throughput in requests per second: capacity / service time.
    pub fn max_throughput(&self) -> f64 {
        self.capacity as f64 / self.service_time.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl StallPlan {
    /// How long from `elapsed` (time since the server started) until the current stall ends, or
    /// `None` when the server is not stalled at that moment.
    pub fn remaining(&self, elapsed: Duration) -> Option<Duration> {
        let every = self.every.as_nanos();
        let now = elapsed.as_nanos();
        if now < every {
            return None;
        }
        let phase = now % every;
        let length = self.length.as_nanos();
        (phase < length).then(|| Duration::from_nanos((length - phase) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalls_start_after_the_first_period_and_last_their_length() {
        let plan = StallPlan {
            every: Duration::from_secs(5),
            length: Duration::from_millis(500),
        };
        assert_eq!(plan.remaining(Duration::from_millis(100)), None);
        assert_eq!(
            plan.remaining(Duration::from_millis(5_100)),
            Some(Duration::from_millis(400))
        );
        assert_eq!(plan.remaining(Duration::from_millis(5_500)), None);
        assert_eq!(
            plan.remaining(Duration::from_millis(10_000)),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn validation_names_the_flag() {
        let config = DemoServerConfig {
            error_rate: 1.5,
            ..DemoServerConfig::default()
        };
        let message = config.validate().unwrap_err().to_string();
        assert!(message.contains("--error-rate"), "{message}");
        assert_eq!(DemoServerConfig::default().max_throughput(), 400.0);
    }
}
