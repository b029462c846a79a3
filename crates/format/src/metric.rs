//! What a rule measures: the metrics of `--fail-on`, `--threshold` and the report's tables, by the
//! names users write (`avg`, `p95`, `rps`, `errors`, …).

use crate::columns::PERCENTILES;

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Metric {
    /// Average response time, ms.
    Avg,
    /// A response-time percentile, ms (50 is the median).
    Percentile(f64),
    /// Slowest response, ms.
    Max,
    /// Requests per second.
    Rps,
    /// Business events per second.
    Events,
    /// Failed requests, percent of requests.
    Errors,
    /// Failed requests, count.
    FailCount,
}

/// The metric names a rule may use, for messages.
pub const METRIC_NAMES: &str = "avg (mean), median, p50, p66, p75, p80, p90, p95, p98, p99, p99.9, p99.99, max, rps, events, errors, fail_count";

impl Metric {
    /// Parses `avg`, `mean`, `median`, a percentile Locust reports (`p50`, `p66`, `p75`, `p80`,
    /// `p90`, `p95`, `p98`, `p99`, `p99.9`, `p99.99`), `max`, `rps`, `events`, `errors`,
    /// `fail_count`. Any other percentile is no metric: no run file holds it, and a rule on it
    /// would compare nothing.
    pub fn parse(text: &str) -> Option<Metric> {
        Some(match text {
            "avg" | "mean" => Metric::Avg,
            "median" => Metric::Percentile(50.0),
            "max" => Metric::Max,
            "rps" => Metric::Rps,
            "events" => Metric::Events,
            "errors" => Metric::Errors,
            "fail_count" => Metric::FailCount,
            _ => {
                let value: f64 = text.strip_prefix('p')?.parse().ok()?;
                let reported = PERCENTILES
                    .iter()
                    .any(|p| *p < 1.0 && (p * 100.0 - value).abs() < 1e-9);
                if !reported {
                    return None;
                }
                Metric::Percentile(value)
            }
        })
    }

    /// The metric's name as users write it.
    pub fn name(&self) -> String {
        match self {
            Metric::Avg => "avg".into(),
            Metric::Percentile(p) => format!("p{p}"),
            Metric::Max => "max".into(),
            Metric::Rps => "rps".into(),
            Metric::Events => "events".into(),
            Metric::Errors => "errors".into(),
            Metric::FailCount => "fail_count".into(),
        }
    }

    /// Whether a higher value is worse (latency, errors) rather than better (throughput).
    pub fn higher_is_worse(&self) -> bool {
        !matches!(self, Metric::Rps | Metric::Events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_are_said_back() {
        assert_eq!(Metric::parse("mean"), Some(Metric::Avg));
        assert_eq!(Metric::parse("median"), Some(Metric::Percentile(50.0)));
        assert_eq!(Metric::parse("p99.9"), Some(Metric::Percentile(99.9)));
        assert_eq!(Metric::parse("p97"), None, "no file reports it");
        assert_eq!(Metric::parse("p"), None);
        assert_eq!(
            Metric::parse("fail_count").map(|m| m.name()).as_deref(),
            Some("fail_count")
        );
        assert_eq!(Metric::Percentile(99.9).name(), "p99.9");
        assert!(Metric::Errors.higher_is_worse() && !Metric::Events.higher_is_worse());
    }
}
