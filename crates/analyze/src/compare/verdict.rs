//! Comparing a run with a baseline rule by rule and entry by entry, and absolute gates on one run.

use serde::Serialize;

use captest_format::{Amount, Entry, FailOn, Scope, Threshold, Warmup};

use crate::run::Run;

use super::measure::{entries, entries_of_both, value};
use super::noise::{noise_test, Pair};
use super::significance::{holm_adjusted, FamilyControl, FamilyMethod};
use super::window::{compared_value, Source};

/// What a comparison concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Better, beyond noise.
    #[serde(rename = "improved")]
    Improved,
    /// Worse beyond the rule's allowance (and beyond noise when it could be tested).
    #[serde(rename = "regressed")]
    Regressed,
    /// Within the allowance, or beyond it but not significant: noise.
    #[serde(rename = "~")]
    Noise,
    /// Only in the current run.
    #[serde(rename = "new")]
    New,
    /// Only in the baseline.
    #[serde(rename = "removed")]
    Removed,
}

impl Verdict {
    /// The word shown in tables.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Noise => "~",
            Verdict::New => "new",
            Verdict::Removed => "removed",
        }
    }
}

/// One rule applied to one entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// `METHOD name` or `Aggregated`.
    pub entry: String,
    /// The rule as written.
    pub rule: String,
    /// The metric compared.
    pub metric: String,
    /// Baseline value (ms, req/s, % or count).
    pub baseline: Option<f64>,
    /// Current value.
    pub current: Option<f64>,
    /// Where `baseline` comes from: the steady window of the history (`history`, with
    /// `--warmup`) or the whole run's `_stats.csv` (`stats`); `null` for `check` and when absent.
    pub baseline_source: Option<Source>,
    /// Where `current` comes from (as `baseline_source`).
    pub current_source: Option<Source>,
    /// current − baseline.
    pub delta: Option<f64>,
    /// (current − baseline) / baseline, percent.
    pub delta_pct: Option<f64>,
    /// The test used: `price-bonett` (percentiles), `mann-whitney-u` (per-interval samples), or
    /// `none` (nothing to test noise with); `threshold` for `check`.
    pub test: String,
    /// Two-sided p-value of the test, before adjustment for the number of tests.
    pub p_value: Option<f64>,
    /// `p_value` adjusted over every test of the comparison (Holm); what is compared with α.
    /// Absent from JSON when there is no test (and for `check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_adjusted: Option<f64>,
    /// The conclusion.
    pub verdict: Verdict,
    /// Beyond the rule's allowance but not significant (verdict `~`, shown as `~ within noise`):
    /// not a failure unless `--strict` (then `failed` too).
    pub within_noise: bool,
    /// Whether this comparison fails the gate.
    pub failed: bool,
    /// Why (for failures and noise).
    pub reason: String,
}

/// Settings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Warmup dropped from both runs' samples and (when their history carries the metric) values.
    pub warmup: Warmup,
    /// Significance level.
    pub alpha: f64,
    /// Fail on any change beyond the allowance, significant or not.
    pub strict: bool,
    /// Events per request: (entry pattern, weight); when empty, each run's own `_events.csv`.
    pub weights: Vec<(String, f64)>,
}

/// The outcome of comparing or checking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateReport {
    /// True when nothing failed.
    pub passed: bool,
    /// `compare` or `check`.
    pub kind: &'static str,
    /// Significance level used (compare).
    pub alpha: Option<f64>,
    /// The family-wise error control over the comparison's tests (compare; absent from JSON for
    /// `check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub significance: Option<FamilyControl>,
    /// Whether changes within noise fail too (`--strict`).
    pub strict: bool,
    /// The comparisons that failed.
    pub failures: Vec<Comparison>,
    /// Every comparison.
    pub entries: Vec<Comparison>,
}

fn exceeded(rule: &FailOn, baseline: f64, delta: f64) -> bool {
    let bad = rule.direction * delta;
    match rule.amount {
        Amount::Percent(limit) if baseline != 0.0 => bad / baseline.abs() * 100.0 > limit,
        Amount::Percent(_) => bad > 0.0,
        Amount::Absolute(limit) => bad > limit,
    }
}

/// Applies every rule to every entry in its scope: each change is tested for noise, the tests'
/// p-values are adjusted together (Holm), and a change fails when it is beyond its rule and
/// significant at the family-wise level `alpha` (or beyond its rule at all, with `--strict` or
/// without a test).
pub fn compare(
    baseline: &Run,
    current: &Run,
    rules: &[FailOn],
    options: &CompareOptions,
) -> GateReport {
    let names = entries_of_both(baseline, current);
    let mut measured: Vec<(&FailOn, Comparison)> = Vec::new();
    for rule in rules {
        for entry in names.iter().filter(|e| rule.scope.covers(e)) {
            if let Some(comparison) = measure(baseline, current, rule, entry, options) {
                measured.push((rule, comparison));
            }
        }
    }
    let significance = control_family(&mut measured, options.alpha);
    let all: Vec<Comparison> = measured
        .into_iter()
        .map(|(rule, mut comparison)| {
            judge(rule, &mut comparison, options);
            comparison
        })
        .collect();
    let failures: Vec<Comparison> = all.iter().filter(|c| c.failed).cloned().collect();
    GateReport {
        passed: failures.is_empty(),
        kind: "compare",
        alpha: Some(options.alpha),
        significance: Some(significance),
        strict: options.strict,
        failures,
        entries: all,
    }
}

/// The values of `rule`'s metric for `entry` in both runs, their change and its noise test
/// (verdict `new`/`removed` when only one run has it); `None` when neither has it.
fn measure(
    baseline: &Run,
    current: &Run,
    rule: &FailOn,
    entry: &Entry,
    options: &CompareOptions,
) -> Option<Comparison> {
    let measured =
        |run: &Run| compared_value(run, entry, rule.metric, &options.weights, options.warmup);
    let (b, c) = (measured(baseline), measured(current));
    let mut comparison = Comparison {
        entry: entry.to_string(),
        rule: rule.text.clone(),
        metric: rule.metric.name(),
        baseline: b.map(|(v, _)| v),
        current: c.map(|(v, _)| v),
        baseline_source: b.map(|(_, s)| s),
        current_source: c.map(|(_, s)| s),
        delta: None,
        delta_pct: None,
        test: "none".into(),
        p_value: None,
        p_adjusted: None,
        verdict: Verdict::Noise,
        within_noise: false,
        failed: false,
        reason: String::new(),
    };
    let (b, c) = match (b, c) {
        (Some(b), Some(c)) => (b, c),
        (None, Some(_)) => {
            return Some(Comparison {
                verdict: Verdict::New,
                ..comparison
            })
        }
        (Some(_), None) => {
            return Some(Comparison {
                verdict: Verdict::Removed,
                ..comparison
            })
        }
        (None, None) => return None,
    };
    let delta = c.0 - b.0;
    comparison.delta = Some(delta);
    comparison.delta_pct = (b.0 != 0.0).then(|| delta / b.0.abs() * 100.0);
    let pair = Pair {
        baseline: b,
        current: c,
    };
    if let Some(tested) = noise_test(baseline, current, entry, rule.metric, pair, options.warmup) {
        comparison.test = tested.test.into();
        comparison.p_value = Some(tested.p);
    }
    Some(comparison)
}

/// Adjusts the p-value of every tested comparison for the size of the family (Holm).
fn control_family(measured: &mut [(&FailOn, Comparison)], alpha: f64) -> FamilyControl {
    let raw: Vec<f64> = measured.iter().filter_map(|(_, c)| c.p_value).collect();
    let mut adjusted = holm_adjusted(&raw).into_iter();
    for (_, comparison) in measured.iter_mut() {
        if comparison.p_value.is_some() {
            comparison.p_adjusted = adjusted.next();
        }
    }
    FamilyControl {
        method: FamilyMethod::Holm,
        tests: raw.len(),
        alpha,
    }
}

/// The verdict of a measured change under its rule, from its Holm-adjusted p-value.
fn judge(rule: &FailOn, comparison: &mut Comparison, options: &CompareOptions) {
    let (Some(b), Some(delta)) = (comparison.baseline, comparison.delta) else {
        return;
    };
    let p = comparison.p_adjusted;
    let significant = p.map(|p| p < options.alpha);
    if exceeded(rule, b, delta) {
        comparison.within_noise = significant == Some(false);
        if comparison.within_noise && !options.strict {
            comparison.reason = format!(
                "beyond {} but within noise (adjusted p={:.3} ≥ α={})",
                rule.text,
                p.unwrap_or(1.0),
                options.alpha
            );
            return;
        }
        comparison.verdict = Verdict::Regressed;
        comparison.failed = true;
        comparison.reason = match p {
            Some(p) if significant == Some(false) => format!(
                "beyond {} and within noise (adjusted p={p:.3} ≥ α={}), failed by --strict",
                rule.text, options.alpha
            ),
            Some(p) => format!("beyond {} (adjusted p={p:.2e})", rule.text),
            None => format!(
                "beyond {} (no samples or distribution to test noise)",
                rule.text
            ),
        };
    } else if significant == Some(true)
        && (delta < 0.0) == rule.metric.higher_is_worse()
        && delta != 0.0
    {
        comparison.verdict = Verdict::Improved;
    }
}

/// Checks absolute gates on one run.
pub fn check(run: &Run, gates: &[Threshold], weights: &[(String, f64)]) -> GateReport {
    let names = entries(run);
    let mut all = Vec::new();
    for gate in gates {
        let mut matched = false;
        for entry in names.iter().filter(|e| gate.scope.covers(e)) {
            matched = true;
            let v = value(run, entry, gate.metric, weights);
            let ok = v.is_some_and(|v| gate.passes(v));
            all.push(Comparison {
                entry: entry.to_string(),
                rule: gate.text.clone(),
                metric: gate.metric.name(),
                baseline: Some(gate.bound),
                current: v,
                baseline_source: None,
                current_source: None,
                delta: v.map(|v| v - gate.bound),
                delta_pct: v
                    .filter(|_| gate.bound != 0.0)
                    .map(|v| (v - gate.bound) / gate.bound * 100.0),
                test: "threshold".into(),
                p_value: None,
                p_adjusted: None,
                within_noise: false,
                verdict: if ok {
                    Verdict::Noise
                } else {
                    Verdict::Regressed
                },
                failed: !ok,
                reason: match v {
                    Some(v) if !ok => format!("{} is {v:.2}", gate.metric.name()),
                    None => "no value in this run".into(),
                    _ => String::new(),
                },
            });
        }
        if !matched {
            all.push(Comparison {
                entry: match &gate.scope {
                    Scope::Entry(p) => p.to_string(),
                    Scope::All => "*".into(),
                },
                rule: gate.text.clone(),
                metric: gate.metric.name(),
                baseline: Some(gate.bound),
                current: None,
                baseline_source: None,
                current_source: None,
                delta: None,
                delta_pct: None,
                test: "threshold".into(),
                p_value: None,
                p_adjusted: None,
                verdict: Verdict::Regressed,
                within_noise: false,
                failed: true,
                reason: "no entry of the run matches this threshold's scope".into(),
            });
        }
    }
    let failures: Vec<Comparison> = all.iter().filter(|c| c.failed).cloned().collect();
    GateReport {
        passed: failures.is_empty(),
        kind: "check",
        alpha: None,
        significance: None,
        strict: false,
        failures,
        entries: all,
    }
}
