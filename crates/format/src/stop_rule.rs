//! Breaking-point rules of a stepped run, written once for the runner (which stops the run when one
//! fires at the end of a step) and analyze (which finds, after the fact, the first step where each
//! fires): `errors>1%`, `p95>5x` (vs the first step), `rps-growth<5%` (throughput grew less than
//! 5 % although the load grew).

use std::fmt;
use std::str::FromStr;

/// What a stop rule may look like, for error messages.
const EXPECTED: &str = "errors>1%, p95>5x (p50/p90/p95/p99) or rps-growth<5%";

/// The latency percentiles a rule may name.
pub const RULE_PERCENTILES: [u8; 4] = [50, 90, 95, 99];

/// A condition that marks a step as past the breaking point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopRule {
    /// The step's failure share exceeds this many percent.
    ErrorsAbove(f64),
    /// The step's latency percentile (`percentile`, e.g. 95) exceeds `factor` × the first step's.
    LatencyFactor {
        /// Which percentile: one of [`RULE_PERCENTILES`].
        percentile: u8,
        /// How many times the first step's value.
        factor: f64,
    },
    /// Throughput grew less than this many percent over the previous step while the load grew.
    RpsGrowthBelow(f64),
}

/// The rules a step run applies (and analyze checks) unless told otherwise.
pub const DEFAULT_STOP_RULES: [StopRule; 3] = [
    StopRule::ErrorsAbove(1.0),
    StopRule::LatencyFactor {
        percentile: 95,
        factor: 5.0,
    },
    StopRule::RpsGrowthBelow(5.0),
];

/// A stop rule that does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StopRuleError {
    /// Not one of the rule forms.
    #[error("unknown stop rule {rule:?}; expected {EXPECTED}")]
    Unknown {
        /// The rule as given.
        rule: String,
    },
    /// The threshold is not a number.
    #[error("stop rule {rule:?}: {value:?} is not a number{unit}; expected {EXPECTED}")]
    NotANumber {
        /// The rule as given.
        rule: String,
        /// The text where the number should be.
        value: String,
        /// The unit the number may carry (`%` or `x`).
        unit: &'static str,
    },
    /// The threshold is negative or not finite.
    #[error("stop rule {rule:?}: the threshold must be a finite number, 0 or more")]
    OutOfRange {
        /// The rule as given.
        rule: String,
    },
}

fn number(text: &str, rule: &str, unit: &'static str) -> Result<f64, StopRuleError> {
    let value = text
        .strip_suffix(unit)
        .unwrap_or(text)
        .parse::<f64>()
        .map_err(|_| StopRuleError::NotANumber {
            rule: rule.to_owned(),
            value: text.to_owned(),
            unit,
        })?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(StopRuleError::OutOfRange {
            rule: rule.to_owned(),
        })
    }
}

impl FromStr for StopRule {
    type Err = StopRuleError;

    /// Reads `errors>N%`, `pP>Nx` (P one of [`RULE_PERCENTILES`]) or `rps-growth<N%`; spaces
    /// anywhere are ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rule = text.trim();
        let compact: String = rule.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(rest) = compact.strip_prefix("errors>") {
            return Ok(StopRule::ErrorsAbove(number(rest, rule, "%")?));
        }
        if let Some(rest) = compact.strip_prefix("rps-growth<") {
            return Ok(StopRule::RpsGrowthBelow(number(rest, rule, "%")?));
        }
        for percentile in RULE_PERCENTILES {
            if let Some(rest) = compact.strip_prefix(&format!("p{percentile}>")) {
                return Ok(StopRule::LatencyFactor {
                    percentile,
                    factor: number(rest, rule, "x")?,
                });
            }
        }
        Err(StopRuleError::Unknown {
            rule: rule.to_owned(),
        })
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

#[cfg(feature = "serde")]
impl serde::Serialize for StopRule {
    /// As its text, e.g. `"p95>5x"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The figures of one step's steady part that the rules look at; the runner's live steps and
/// analyze's steps read from files both provide them.
pub trait StepFigures {
    /// The step's level: users, or offered iterations per second in the open model.
    fn level(&self) -> f64;
    /// Requests per second.
    fn rps(&self) -> f64;
    /// Failed requests, percent (the share the rule should judge).
    fn error_pct(&self) -> f64;
    /// A latency percentile (one of [`RULE_PERCENTILES`]), ms; `None` when not measured.
    fn percentile_ms(&self, percentile: u8) -> Option<f64>;
}

/// What a rule saw on the step where it fired.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Firing {
    /// `errors>N%`: the step's failure share, percent.
    Errors {
        /// Failed requests, percent.
        pct: f64,
    },
    /// `pP>Nx`: the step's percentile and the first step's.
    Latency {
        /// Which percentile.
        percentile: u8,
        /// The step's value, ms.
        now_ms: f64,
        /// The first step's value, ms.
        base_ms: f64,
    },
    /// `rps-growth<N%`: throughput and level of the previous step and this one.
    RpsGrowth {
        /// Growth of throughput, percent.
        growth_pct: f64,
        /// Requests per second of the previous step.
        previous_rps: f64,
        /// Requests per second of this step.
        current_rps: f64,
        /// Level of the previous step.
        previous_level: f64,
        /// Level of this step.
        current_level: f64,
    },
}

impl StopRule {
    /// Whether the rule fires on `steps[index]` (`steps` oldest first; the latency rule compares
    /// with `steps[0]`, the growth rule with `steps[index - 1]`), and what it saw.
    pub fn evaluate<S: StepFigures>(&self, steps: &[S], index: usize) -> Option<Firing> {
        let step = steps.get(index)?;
        match *self {
            StopRule::ErrorsAbove(limit) => {
                let pct = step.error_pct();
                (pct > limit).then_some(Firing::Errors { pct })
            }
            StopRule::LatencyFactor { percentile, factor } => {
                if index == 0 {
                    return None;
                }
                let base_ms = steps.first()?.percentile_ms(percentile)?;
                let now_ms = step.percentile_ms(percentile)?;
                (base_ms > 0.0 && now_ms > factor * base_ms).then_some(Firing::Latency {
                    percentile,
                    now_ms,
                    base_ms,
                })
            }
            StopRule::RpsGrowthBelow(limit) => {
                let previous = steps.get(index.checked_sub(1)?)?;
                if step.level() <= previous.level() || previous.rps() <= 0.0 {
                    return None;
                }
                let growth_pct = (step.rps() / previous.rps() - 1.0) * 100.0;
                (growth_pct < limit).then_some(Firing::RpsGrowth {
                    growth_pct,
                    previous_rps: previous.rps(),
                    current_rps: step.rps(),
                    previous_level: previous.level(),
                    current_level: step.level(),
                })
            }
        }
    }

    /// The rules of `texts` (one rule each), or [`DEFAULT_STOP_RULES`] when there is none: what
    /// `--stop-on` gives, for `captest step` and `captest analyze` alike.
    pub fn parse_or_default<S: AsRef<str>>(texts: &[S]) -> Result<Vec<StopRule>, StopRuleError> {
        if texts.is_empty() {
            return Ok(DEFAULT_STOP_RULES.to_vec());
        }
        texts.iter().map(|text| text.as_ref().parse()).collect()
    }

    /// The first of `rules` (in their order) that fires on `steps[index]`, with what it saw.
    pub fn first_firing<S: StepFigures>(
        rules: &[StopRule],
        steps: &[S],
        index: usize,
    ) -> Option<(StopRule, Firing)> {
        rules
            .iter()
            .find_map(|rule| rule.evaluate(steps, index).map(|firing| (*rule, firing)))
    }
}

#[cfg(test)]
mod tests;
