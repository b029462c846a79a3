//! The `--fail-on` and `--threshold` grammars.
//!
//! `--fail-on [SCOPE:]METRIC(+|-)AMOUNT(%|ms|s|pp|rps)`, e.g. `p95+10%`, `'POST /cart:p99+50ms'`,
//! `rps-5%`, `errors+1pp`. `--threshold [SCOPE:]METRIC(<|>)AMOUNT[UNIT]`, e.g. `avg<200ms`,
//! `errors<1%`. SCOPE is an entry (`GET /item/[id]` or `/item/[id]`), `*` and `?` are wildcards.

use captest_format::columns::PERCENTILES;
use captest_format::AGGREGATED;
use serde::Serialize;

use super::scope::{EntryPattern, Scope};
use crate::error::AnalyzeError;

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
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

/// How a change is measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    /// Relative, percent of the baseline.
    Percent(f64),
    /// Absolute, in the metric's unit (ms, percentage points, req/s, count).
    Absolute(f64),
}

/// A regression rule: fail when the metric moved by more than `amount` in the bad direction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailOn {
    /// The rule as written.
    pub text: String,
    /// Entries it applies to.
    pub scope: Scope,
    /// What is compared.
    pub metric: Metric,
    /// `+1` when an increase beyond the amount fails, `-1` for a decrease.
    pub direction: f64,
    /// How far it may move.
    pub amount: Amount,
}

/// An absolute gate: the metric must stay below (or above) a bound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// The rule as written.
    pub text: String,
    /// Entries it applies to (default: Aggregated only).
    pub scope: Scope,
    /// What is checked.
    pub metric: Metric,
    /// `true` for `<`, `false` for `>`.
    pub below: bool,
    /// The bound, in the metric's unit (ms, %, req/s, count).
    pub bound: f64,
}

fn error(flag: &str, text: &str, at: usize, what: &str) -> AnalyzeError {
    AnalyzeError::InvalidOption(format!("{flag} {text:?}: {what} at character {}", at + 1))
}

/// Splits `SCOPE:REST` (the scope may itself hold ':'; the metric part never does).
fn split_scope(text: &str) -> (Scope, &str, usize) {
    match text.rsplit_once(':') {
        Some((scope, rest)) if !scope.trim().is_empty() => (
            Scope::Entry(EntryPattern::new(scope.trim())),
            rest,
            scope.len() + 1,
        ),
        _ => (Scope::All, text, 0),
    }
}

/// Reads an amount with its unit, in the unit of `metric`; `Percent` for `%` on non-error metrics.
fn amount(
    flag: &str,
    whole: &str,
    text: &str,
    at: usize,
    metric: Metric,
) -> Result<Amount, AnalyzeError> {
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    if digits == 0 {
        return Err(error(flag, whole, at, "expected a number"));
    }
    let value: f64 = text[..digits]
        .parse()
        .map_err(|_| error(flag, whole, at, "expected a number"))?;
    let unit = &text[digits..];
    let unit_at = at + digits;
    Ok(match (unit, metric) {
        ("%", Metric::Errors) if flag == "--threshold" => Amount::Absolute(value),
        ("%", _) => Amount::Percent(value),
        ("pp", Metric::Errors) => Amount::Absolute(value),
        ("ms", Metric::Avg | Metric::Percentile(_) | Metric::Max) => Amount::Absolute(value),
        ("s", Metric::Avg | Metric::Percentile(_) | Metric::Max) => {
            Amount::Absolute(value * 1000.0)
        }
        ("rps", Metric::Rps) | ("", Metric::Rps | Metric::Events | Metric::FailCount) => {
            Amount::Absolute(value)
        }
        ("", _) => {
            return Err(error(
                flag,
                whole,
                unit_at,
                "expected a unit (%, ms, s, pp or rps)",
            ))
        }
        _ => {
            return Err(error(
                flag,
                whole,
                unit_at,
                &format!("unit {unit:?} does not fit metric {}", metric.name()),
            ))
        }
    })
}

/// The part both grammars share: `[SCOPE:]METRIC`, then an operator, then the amount.
struct Head<'a> {
    scope: Scope,
    metric: Metric,
    operator: u8,
    amount: &'a str,
    amount_at: usize,
}

/// Reads a rule's [`Head`]: its scope, its metric, which of `operators` follows, and the amount
/// after it (with its offset in `text`, for messages).
fn head<'a>(flag: &str, text: &'a str, operators: [char; 2]) -> Result<Head<'a>, AnalyzeError> {
    let (scope, rest, offset) = split_scope(text);
    let at = rest.find(operators).ok_or_else(|| {
        error(
            flag,
            text,
            offset + rest.len(),
            &format!(
                "expected {} or {} after the metric",
                operators[0], operators[1]
            ),
        )
    })?;
    let metric_text = rest[..at].trim();
    let metric = Metric::parse(metric_text).ok_or_else(|| {
        error(
            flag,
            text,
            offset,
            &format!("unknown metric {metric_text:?} (expected one of: {METRIC_NAMES})"),
        )
    })?;
    Ok(Head {
        scope,
        metric,
        operator: rest.as_bytes()[at],
        amount: rest[at + 1..].trim(),
        amount_at: offset + at + 1,
    })
}

impl std::str::FromStr for FailOn {
    type Err = AnalyzeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let flag = "--fail-on";
        let head = head(flag, text, ['+', '-'])?;
        let direction = if head.operator == b'+' { 1.0 } else { -1.0 };
        let amount = amount(flag, text, head.amount, head.amount_at, head.metric)?;
        Ok(FailOn {
            text: text.to_owned(),
            scope: head.scope,
            metric: head.metric,
            direction,
            amount,
        })
    }
}

impl std::str::FromStr for Threshold {
    type Err = AnalyzeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let flag = "--threshold";
        let Head {
            scope,
            metric,
            operator,
            amount: amount_text,
            amount_at,
        } = head(flag, text, ['<', '>'])?;
        let scope = match scope {
            Scope::All => Scope::Entry(EntryPattern::new(AGGREGATED)),
            other => other,
        };
        let below = operator == b'<';
        let bound = match amount(flag, text, amount_text, amount_at, metric)? {
            Amount::Absolute(v) => v,
            Amount::Percent(_) => {
                return Err(error(
                    flag,
                    text,
                    amount_at,
                    "a threshold is absolute, not a percent change",
                ))
            }
        };
        Ok(Threshold {
            text: text.to_owned(),
            scope,
            metric,
            below,
            bound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_grammar() {
        let rule: FailOn = "p95+10%".parse().unwrap();
        assert_eq!(
            (rule.metric, rule.direction, rule.amount),
            (Metric::Percentile(95.0), 1.0, Amount::Percent(10.0))
        );
        let rule: FailOn = "POST /cart:p99+50ms".parse().unwrap();
        assert_eq!(rule.scope, Scope::Entry(EntryPattern::new("POST /cart")));
        assert_eq!(rule.amount, Amount::Absolute(50.0));
        let rule: FailOn = "rps-5%".parse().unwrap();
        assert_eq!(rule.direction, -1.0);
        assert_eq!(
            "errors+1pp".parse::<FailOn>().unwrap().amount,
            Amount::Absolute(1.0)
        );
        assert_eq!(
            "p99.9+1s".parse::<FailOn>().unwrap().amount,
            Amount::Absolute(1000.0)
        );
        let gate: Threshold = "errors<1%".parse().unwrap();
        assert_eq!((gate.bound, gate.below), (1.0, true));
        assert_eq!(gate.scope, Scope::Entry(EntryPattern::new(AGGREGATED)));
    }

    #[test]
    fn errors_point_at_the_character() {
        let message = |t: &str| t.parse::<FailOn>().unwrap_err().to_string();
        assert!(
            message("p95+").contains("expected a number at character 5"),
            "{}",
            message("p95+")
        );
        assert!(message("p1000+5%").contains("unknown metric"));
        assert!(message("foo:bar").contains("expected + or -"));
        assert!(
            message("p95+5kg").contains("character 6"),
            "{}",
            message("p95+5kg")
        );
    }
}
