//! What an analysis is asked for: warmup, event weights, an SLO, think time.

use std::time::Duration;

use serde::Serialize;

use crate::error::AnalyzeError;

/// A latency objective such as `p95<200ms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slo {
    /// `avg`, `p50`, `p95` or `p99`.
    pub metric: String,
    /// The bound, ms.
    pub below_ms: f64,
}

impl std::str::FromStr for Slo {
    type Err = AnalyzeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| {
            AnalyzeError::InvalidOption(format!(
                "--slo {text:?}: {why}; expected METRIC<DURATION such as p95<200ms (metrics: avg, p50, p95, p99)"
            ))
        };
        let (metric, bound) = text.split_once('<').ok_or_else(|| invalid("no '<'"))?;
        let metric = metric.trim().to_ascii_lowercase();
        if !["avg", "p50", "p95", "p99"].contains(&metric.as_str()) {
            return Err(invalid("unknown metric"));
        }
        let bound =
            humantime::parse_duration(bound.trim()).map_err(|_| invalid("unreadable duration"))?;
        Ok(Slo {
            metric,
            below_ms: bound.as_secs_f64() * 1000.0,
        })
    }
}

/// Business events carried by each request of an entry: `POST /api/v1/event/batch=20`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventWeight {
    /// `METHOD name` or only the name.
    pub entry: String,
    /// Events per request.
    pub weight: f64,
}

impl std::str::FromStr for EventWeight {
    type Err = AnalyzeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            AnalyzeError::InvalidOption(format!(
                "--events {text:?}: expected NAME=WEIGHT such as 'POST /api/v1/event/batch=20'"
            ))
        };
        let (entry, weight) = text.rsplit_once('=').ok_or_else(invalid)?;
        let weight: f64 = weight.trim().parse().map_err(|_| invalid())?;
        if entry.trim().is_empty() || !weight.is_finite() || weight < 0.0 {
            return Err(invalid());
        }
        Ok(EventWeight {
            entry: entry.trim().to_owned(),
            weight,
        })
    }
}

/// Settings of one analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// Left out at the start of the run.
    pub warmup: Duration,
    /// Left out at the start of each step found in the history (ramp and Locust's ≈10 s window).
    pub step_settle: Duration,
    /// Event weights (override `_events.csv`).
    pub events: Vec<EventWeight>,
    /// Latency objective for the capacity estimate.
    pub slo: Option<Slo>,
    /// Think time per user between requests, for Little's law.
    pub think_time: Duration,
    /// A planned user count whose throughput Little's law estimates (`--users`).
    pub users: Option<f64>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            warmup: Duration::ZERO,
            step_settle: Duration::from_secs(10),
            events: Vec::new(),
            slo: None,
            think_time: Duration::ZERO,
            users: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_slo_and_event_weights() {
        let slo: Slo = "p95<200ms".parse().unwrap();
        assert_eq!((slo.metric.as_str(), slo.below_ms), ("p95", 200.0));
        assert!("p95>200ms".parse::<Slo>().is_err());
        assert!("p42<1s".parse::<Slo>().is_err());
        let weight: EventWeight = "POST /api/v1/event/batch=20".parse().unwrap();
        assert_eq!(weight.entry, "POST /api/v1/event/batch");
        assert_eq!(weight.weight, 20.0);
        assert!("batch".parse::<EventWeight>().is_err());
    }
}
