//! The `--fail-on` and `--threshold` grammars.
//!
//! `--fail-on [SCOPE:]METRIC(+|-)AMOUNT(%|ms|s|pp|rps)`, e.g. `p95+10%`, `'POST /cart:p99+50ms'`,
//! `rps-5%`, `errors+1pp`. `--threshold [SCOPE:]METRIC(<|>)AMOUNT[UNIT]`, e.g. `avg<200ms`,
//! `errors<1%`. SCOPE is an entry (`GET /item/[id]` or `/item/[id]`), `*` and `?` are wildcards.

use std::fmt;
use std::str::FromStr;

use crate::entry::AGGREGATED;
use crate::metric::{Metric, METRIC_NAMES};
use crate::scope::{EntryPattern, Scope};

/// How a change is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Amount {
    /// Relative, percent of the baseline.
    Percent(f64),
    /// Absolute, in the metric's unit (ms, percentage points, req/s, count).
    Absolute(f64),
}

/// A regression rule: fail when the metric moved by more than `amount` in the bad direction.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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

impl Threshold {
    /// Whether `value` keeps to the threshold (strictly below or above its bound).
    pub fn passes(&self, value: f64) -> bool {
        if self.below {
            value < self.bound
        } else {
            value > self.bound
        }
    }
}

/// Which grammar a rule is written in: the flag that takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    /// `--fail-on`, a change against a baseline.
    FailOn,
    /// `--threshold`, an absolute bound.
    Threshold,
}

impl fmt::Display for Grammar {
    /// The flag, `--fail-on` or `--threshold`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Grammar::FailOn => "--fail-on",
            Grammar::Threshold => "--threshold",
        })
    }
}

/// A rule that does not parse: what was expected, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{grammar} {text:?}: {expected} at character {character}")]
pub struct RuleError {
    /// The flag the rule was given to.
    pub grammar: Grammar,
    /// The rule as written.
    pub text: String,
    /// 1-based character of the rule where the problem is.
    pub character: usize,
    /// What was expected there.
    pub expected: String,
}

fn error(grammar: Grammar, text: &str, at: usize, expected: impl Into<String>) -> RuleError {
    RuleError {
        grammar,
        text: text.to_owned(),
        character: at + 1,
        expected: expected.into(),
    }
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
    grammar: Grammar,
    whole: &str,
    text: &str,
    at: usize,
    metric: Metric,
) -> Result<Amount, RuleError> {
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let value: f64 = text[..digits]
        .parse()
        .map_err(|_| error(grammar, whole, at, "expected a number"))?;
    let unit = &text[digits..];
    let unit_at = at + digits;
    Ok(match (unit, metric) {
        ("%", Metric::Errors) if grammar == Grammar::Threshold => Amount::Absolute(value),
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
                grammar,
                whole,
                unit_at,
                "expected a unit (%, ms, s, pp or rps)",
            ))
        }
        _ => {
            return Err(error(
                grammar,
                whole,
                unit_at,
                format!("unit {unit:?} does not fit metric {}", metric.name()),
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
fn head(grammar: Grammar, text: &str, operators: [char; 2]) -> Result<Head<'_>, RuleError> {
    let (scope, rest, offset) = split_scope(text);
    let at = rest.find(operators).ok_or_else(|| {
        error(
            grammar,
            text,
            offset + rest.len(),
            format!(
                "expected {} or {} after the metric",
                operators[0], operators[1]
            ),
        )
    })?;
    let metric_text = rest[..at].trim();
    let metric = Metric::parse(metric_text).ok_or_else(|| {
        error(
            grammar,
            text,
            offset,
            format!("unknown metric {metric_text:?} (expected one of: {METRIC_NAMES})"),
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

impl FromStr for FailOn {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let grammar = Grammar::FailOn;
        let head = head(grammar, text, ['+', '-'])?;
        let direction = if head.operator == b'+' { 1.0 } else { -1.0 };
        let amount = amount(grammar, text, head.amount, head.amount_at, head.metric)?;
        Ok(FailOn {
            text: text.to_owned(),
            scope: head.scope,
            metric: head.metric,
            direction,
            amount,
        })
    }
}

impl FromStr for Threshold {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let grammar = Grammar::Threshold;
        let Head {
            scope,
            metric,
            operator,
            amount: amount_text,
            amount_at,
        } = head(grammar, text, ['<', '>'])?;
        let scope = match scope {
            Scope::All => Scope::Entry(EntryPattern::new(AGGREGATED)),
            other => other,
        };
        let bound = match amount(grammar, text, amount_text, amount_at, metric)? {
            Amount::Absolute(v) => v,
            Amount::Percent(_) => {
                return Err(error(
                    grammar,
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
            below: operator == b'<',
            bound,
        })
    }
}

#[cfg(test)]
mod tests;
