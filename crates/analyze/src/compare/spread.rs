//! Comparing a run with a baseline of several runs (`baseline save NAME RUN --append`): a rule
//! fails only outside the spread the baseline's own runs show.
//!
//! The current run is compared with each baseline run by [`compare`]; a rule fails on an entry
//! only when it fails against **every** baseline run — the change is beyond the allowance (and
//! significant, when it can be tested) even against the baseline run closest to the current one.
//! For a relative allowance that is: current beyond the baseline runs' range widened by the
//! allowance (`p95+10%` fails only above 1.10 × the largest baseline p95) and significant against
//! each run. Run-to-run noise the baseline runs show (another machine, another hour) is tolerated;
//! one baseline run is exactly `compare`.

use captest_format::FailOn;
use serde::Serialize;

use crate::run::Run;

use super::verdict::{compare, CompareOptions, Comparison, GateReport, Verdict};

/// The gate's outcome against a baseline of several runs: the report (one comparison per rule and
/// entry, against the baseline run closest to the current one), how many runs it used and the
/// spread of each comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpreadReport {
    /// The merged report (its keys stay those of a plain comparison).
    #[serde(flatten)]
    pub report: GateReport,
    /// How many baseline runs were compared with.
    pub baseline_runs: usize,
    /// Per rule and entry: the baseline runs' range and against how many the rule failed.
    pub spread: Vec<Spread>,
}

/// What the baseline runs show for one rule on one entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// `METHOD name` or `Aggregated`.
    pub entry: String,
    /// The rule as written.
    pub rule: String,
    /// Smallest baseline value among the runs that have the entry.
    pub baseline_min: Option<f64>,
    /// Largest baseline value among the runs that have the entry.
    pub baseline_max: Option<f64>,
    /// Against how many baseline runs the rule failed on its own.
    pub failed_against: usize,
}

/// Compares `current` with every run of `baselines` and keeps a failure only where it fails
/// against all of them (see the module's documentation).
pub fn compare_spread(
    baselines: &[Run],
    current: &Run,
    rules: &[FailOn],
    options: &CompareOptions,
) -> SpreadReport {
    let reports: Vec<GateReport> = baselines
        .iter()
        .map(|baseline| compare(baseline, current, rules, options))
        .collect();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for comparison in reports.iter().flat_map(|r| &r.entries) {
        let key = (comparison.rule.as_str(), comparison.entry.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut entries = Vec::new();
    let mut spread = Vec::new();
    for (rule, entry) in keys {
        let found: Vec<&Comparison> = reports
            .iter()
            .filter_map(|r| {
                r.entries
                    .iter()
                    .find(|c| c.rule == rule && c.entry == entry)
            })
            .collect();
        let direction = rules
            .iter()
            .find(|r| r.text == rule)
            .map_or(1.0, |r| r.direction);
        if let Some((merged, range)) = merge(&found, baselines.len(), direction) {
            entries.push(merged);
            spread.push(range);
        }
    }
    let failures: Vec<Comparison> = entries.iter().filter(|c| c.failed).cloned().collect();
    SpreadReport {
        report: GateReport {
            passed: failures.is_empty(),
            kind: "compare",
            alpha: Some(options.alpha),
            significance: reports.first().and_then(|r| r.significance),
            strict: options.strict,
            failures,
            entries,
        },
        baseline_runs: baselines.len(),
        spread,
    }
}

/// One rule on one entry against `runs` baseline runs (`found` holds the comparisons of the runs
/// that have it): failed only when it failed against every run. The comparison kept is the one
/// against the baseline closest to the current run in the rule's bad direction — among the
/// failed ones when all failed, else among the passed ones. `None` when `found` is empty.
fn merge(found: &[&Comparison], runs: usize, direction: f64) -> Option<(Comparison, Spread)> {
    let failed_against = found.iter().filter(|c| c.failed).count();
    let all_failed = found.len() == runs && failed_against == runs;
    let closeness = |c: &&&Comparison| c.baseline.map_or(f64::NEG_INFINITY, |b| direction * b);
    let kept = found
        .iter()
        .filter(|c| c.failed == all_failed)
        .max_by(|a, b| closeness(a).total_cmp(&closeness(b)))
        .or_else(|| found.first())?;
    let values: Vec<f64> = found.iter().filter_map(|c| c.baseline).collect();
    let range = Spread {
        entry: kept.entry.clone(),
        rule: kept.rule.clone(),
        baseline_min: values.iter().copied().reduce(f64::min),
        baseline_max: values.iter().copied().reduce(f64::max),
        failed_against,
    };
    let mut merged = (*kept).clone();
    let shown = match (range.baseline_min, range.baseline_max) {
        (Some(low), Some(high)) => format!("baseline runs {low:.2}–{high:.2}"),
        _ => "no baseline value".to_owned(),
    };
    if all_failed {
        merged.reason = format!(
            "{}, against each of the {runs} baseline runs ({shown})",
            merged.reason
        );
    } else if failed_against > 0 {
        merged.verdict = Verdict::Noise;
        merged.within_noise = true;
        merged.failed = false;
        merged.reason = format!(
            "beyond {} against {failed_against} of {runs} baseline runs only: within their spread ({shown})",
            merged.rule
        );
    }
    Some((merged, range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison(baseline: f64, failed: bool) -> Comparison {
        Comparison {
            entry: "GET /items".into(),
            rule: "p95+10%".into(),
            metric: "p95".into(),
            baseline: Some(baseline),
            current: Some(30.0),
            baseline_source: None,
            current_source: None,
            delta: Some(30.0 - baseline),
            delta_pct: Some((30.0 - baseline) / baseline * 100.0),
            test: "mann-whitney-u".into(),
            p_value: Some(0.001),
            p_adjusted: Some(0.001),
            verdict: if failed {
                Verdict::Regressed
            } else {
                Verdict::Noise
            },
            within_noise: false,
            failed,
            reason: if failed {
                "beyond p95+10% (p=1.00e-3)".into()
            } else {
                String::new()
            },
        }
    }

    #[test]
    fn fails_only_when_every_baseline_run_fails_and_keeps_the_closest() {
        let (a, b, c) = (
            comparison(20.0, true),
            comparison(25.0, true),
            comparison(22.0, true),
        );
        let (merged, range) = merge(&[&a, &b, &c], 3, 1.0).unwrap();
        assert!(merged.failed);
        assert_eq!(
            merged.baseline,
            Some(25.0),
            "the closest baseline run is shown"
        );
        assert!(merged
            .reason
            .contains("each of the 3 baseline runs (baseline runs 20.00–25.00)"));
        assert_eq!(
            (range.baseline_min, range.baseline_max),
            (Some(20.0), Some(25.0))
        );
        assert_eq!(range.failed_against, 3);
    }

    #[test]
    fn a_pass_against_one_run_is_within_the_spread() {
        let (a, b) = (comparison(20.0, true), comparison(28.0, false));
        let (merged, range) = merge(&[&a, &b], 2, 1.0).unwrap();
        assert!(!merged.failed);
        assert!(merged.within_noise);
        assert_eq!(merged.verdict, Verdict::Noise);
        assert_eq!(merged.baseline, Some(28.0));
        assert!(
            merged.reason.contains("against 1 of 2 baseline runs only"),
            "{}",
            merged.reason
        );
        assert_eq!(range.failed_against, 1);
    }

    #[test]
    fn an_entry_missing_from_a_baseline_run_does_not_fail() {
        let a = comparison(20.0, true);
        let (merged, _) = merge(&[&a], 2, 1.0).unwrap();
        assert!(!merged.failed);
    }

    #[test]
    fn for_a_lower_is_worse_rule_the_closest_run_is_the_lowest() {
        let (a, b) = (comparison(40.0, true), comparison(35.0, true));
        let (merged, _) = merge(&[&a, &b], 2, -1.0).unwrap();
        assert!(merge(&[], 2, 1.0).is_none());
        assert_eq!(merged.baseline, Some(35.0));
    }
}
