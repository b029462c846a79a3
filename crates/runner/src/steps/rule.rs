//! Breaking-point rules evaluated at the end of each step: `errors>1%`, `p95>5x` (vs the first
//! step), `rps-growth<5%` (throughput grew less than 5 % although the load grew).

use std::fmt;
use std::str::FromStr;

use super::result::StepResult;
use crate::error::RunnerError;

/// A condition that ends a step run at the breaking point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopRule {
    /// The step's failure share exceeds this many percent.
    ErrorsAbove(f64),
    /// The step's latency percentile (`percentile`, e.g. 95) exceeds `factor` × the first step's.
    LatencyFactor {
        /// Which percentile: 50, 90, 95 or 99.
        percentile: u8,
        /// How many times the first step's value.
        factor: f64,
    },
    /// Throughput grew less than this many percent over the previous step while the load grew.
    RpsGrowthBelow(f64),
}

/// The rules `step` applies unless told otherwise.
pub const DEFAULT_STOP_RULES: [StopRule; 3] = [
    StopRule::ErrorsAbove(1.0),
    StopRule::LatencyFactor {
        percentile: 95,
        factor: 5.0,
    },
    StopRule::RpsGrowthBelow(5.0),
];

fn number(text: &str, rule: &str, suffix: &str) -> Result<f64, RunnerError> {
    let value = text
        .trim()
        .strip_suffix(suffix)
        .unwrap_or(text)
        .trim()
        .parse::<f64>()
        .map_err(|_| {
            RunnerError::InvalidSetting(format!(
                "stop rule {rule:?}: {text:?} is not a number{suffix}; expected errors>1%, p95>5x or rps-growth<5%"
            ))
        })?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(RunnerError::InvalidSetting(format!(
            "stop rule {rule:?}: the threshold must be 0 or more"
        )))
    }
}

impl FromStr for StopRule {
    type Err = RunnerError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rule = text.trim();
        let compact: String = rule.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(rest) = compact.strip_prefix("errors>") {
            return Ok(StopRule::ErrorsAbove(number(rest, rule, "%")?));
        }
        if let Some(rest) = compact.strip_prefix("rps-growth<") {
            return Ok(StopRule::RpsGrowthBelow(number(rest, rule, "%")?));
        }
        for percentile in [50u8, 90, 95, 99] {
            if let Some(rest) = compact.strip_prefix(&format!("p{percentile}>")) {
                return Ok(StopRule::LatencyFactor {
                    percentile,
                    factor: number(rest, rule, "x")?,
                });
            }
        }
        Err(RunnerError::InvalidSetting(format!(
            "unknown stop rule {rule:?}; expected errors>1%, p95>5x (p50/p90/p95/p99) or rps-growth<5%"
        )))
    }
}

impl fmt::Display for StopRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopRule::ErrorsAbove(pct) => write!(f, "errors>{pct}%"),
            StopRule::LatencyFactor { percentile, factor } => write!(f, "p{percentile}>{factor}x"),
            StopRule::RpsGrowthBelow(pct) => write!(f, "rps-growth<{pct}%"),
        }
    }
}

impl StopRule {
    /// Checks the rule on the latest of `steps` (all completed steps, oldest first). Returns what
    /// fired, with the figures, or `None`.
    pub fn check(&self, steps: &[StepResult]) -> Option<String> {
        let current = steps.last()?;
        if current.requests == 0 {
            return None;
        }
        match *self {
            StopRule::ErrorsAbove(limit) => {
                let pct = current.error_pct();
                (pct > limit).then(|| format!("{self}: {pct:.2}% of requests failed"))
            }
            StopRule::LatencyFactor { percentile, factor } => {
                let first = steps.first()?;
                if steps.len() < 2 {
                    return None;
                }
                let base = first.percentile_ms(f64::from(percentile));
                let now = current.percentile_ms(f64::from(percentile));
                (base > 0.0 && now > factor * base).then(|| {
                    format!(
                        "{self}: p{percentile} {now:.1} ms is {:.1}x the first step's {base:.1} ms",
                        now / base
                    )
                })
            }
            StopRule::RpsGrowthBelow(limit) => {
                if steps.len() < 2 {
                    return None;
                }
                let previous = &steps[steps.len() - 2];
                if current.level <= previous.level || previous.rps() <= 0.0 {
                    return None;
                }
                let growth = (current.rps() / previous.rps() - 1.0) * 100.0;
                (growth < limit).then(|| {
                    format!(
                        "{self}: throughput grew {growth:.1}% ({:.1} -> {:.1} req/s) while load went {} -> {}",
                        previous.rps(),
                        current.rps(),
                        previous.level,
                        current.level
                    )
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;

    #[test]
    fn rules_parse_and_print_back() {
        for text in ["errors>1%", "p95>5x", "rps-growth<5%", "p99>2.5x"] {
            let rule: StopRule = text.parse().expect("valid");
            assert_eq!(rule.to_string(), text);
        }
        assert_eq!(
            " errors > 2 % ".parse::<StopRule>().expect("valid"),
            StopRule::ErrorsAbove(2.0)
        );
        for bad in ["errors<1%", "p97>2x", "rps-growth<x%", "latency>5"] {
            assert!(bad.parse::<StopRule>().is_err(), "{bad}");
        }
    }

    /// A step at `level` with `requests` over 10 steady seconds, `failures` of them failed, every
    /// response taking `latency_ms`.
    fn step(level: f64, requests: u64, failures: u64, latency_ms: u64) -> StepResult {
        let mut latency = Histogram::<u64>::new(3).expect("histogram");
        latency
            .record_n(latency_ms * 1_000, requests)
            .expect("in range");
        StepResult {
            index: 0,
            level,
            users: level as usize,
            start: 0.0,
            end: 10.0,
            steady_seconds: 10,
            requests,
            failures,
            events: 0.0,
            latency,
            stop_reason: None,
        }
    }

    #[test]
    fn errors_rule_fires_only_above_its_limit() {
        let rule: StopRule = "errors>1%".parse().expect("valid");
        assert_eq!(
            rule.check(&[step(10.0, 1000, 10, 20)]),
            None,
            "1 % is not > 1 %"
        );
        let fired = rule
            .check(&[step(10.0, 1000, 11, 20)])
            .expect("1.1 % fires");
        assert!(
            fired.starts_with("errors>1%: 1.10% of requests failed"),
            "{fired}"
        );
        assert_eq!(rule.check(&[]), None);
    }

    #[test]
    fn latency_rule_compares_with_the_first_step() {
        let rule: StopRule = "p95>5x".parse().expect("valid");
        let first = step(10.0, 1000, 0, 20);
        assert_eq!(
            rule.check(std::slice::from_ref(&first)),
            None,
            "one step has nothing to compare"
        );
        assert_eq!(rule.check(&[first.clone(), step(20.0, 1000, 0, 100)]), None);
        let fired = rule
            .check(&[
                first.clone(),
                step(20.0, 1000, 0, 40),
                step(30.0, 1000, 0, 150),
            ])
            .expect("150 ms > 5 x 20 ms");
        assert!(fired.starts_with("p95>5x: p95 150."), "{fired}");
        assert!(
            fired.contains("is 7.5x the first step's 20.0 ms"),
            "{fired}"
        );
    }

    #[test]
    fn growth_rule_needs_more_load_and_too_little_more_throughput() {
        let rule: StopRule = "rps-growth<5%".parse().expect("valid");
        let low = step(10.0, 1000, 0, 20);
        assert_eq!(
            rule.check(&[low.clone(), step(20.0, 1050, 0, 20)]),
            None,
            "5 % is enough"
        );
        let fired = rule
            .check(&[low.clone(), step(20.0, 1040, 0, 20)])
            .expect("4 % growth fires");
        assert!(
            fired.contains("grew 4.0% (100.0 -> 104.0 req/s) while load went 10 -> 20"),
            "{fired}"
        );
        assert_eq!(
            rule.check(&[low.clone(), step(10.0, 1000, 0, 20)]),
            None,
            "no more load, no verdict"
        );
    }
}
