//! The breaking-point rules (the typed [`StopRule`] of captest-format) applied to the runner's
//! live steps: a step's figures for the rules, and the stop reason written when one fires.

pub use captest_format::stop_rule::{Firing, StepFigures, StopRule, DEFAULT_STOP_RULES};

use super::result::StepResult;

impl StepFigures for StepResult {
    fn level(&self) -> f64 {
        self.level
    }

    fn rps(&self) -> f64 {
        StepResult::rps(self)
    }

    fn error_pct(&self) -> f64 {
        StepResult::error_pct(self)
    }

    fn percentile_ms(&self, percentile: u8) -> Option<f64> {
        Some(StepResult::percentile_ms(self, f64::from(percentile)))
    }
}

/// What `rule` saw, in words: `errors>1%: 1.10% of requests failed`.
pub fn describe(rule: StopRule, firing: Firing) -> String {
    match firing {
        Firing::Errors { pct } => format!("{rule}: {pct:.2}% of requests failed"),
        Firing::Latency {
            percentile,
            now_ms,
            base_ms,
        } => format!(
            "{rule}: p{percentile} {now_ms:.1} ms is {:.1}x the first step's {base_ms:.1} ms",
            now_ms / base_ms
        ),
        Firing::RpsGrowth {
            growth_pct,
            previous_rps,
            current_rps,
            previous_level,
            current_level,
        } => format!(
            "{rule}: throughput grew {growth_pct:.1}% ({previous_rps:.1} -> {current_rps:.1} req/s) while load went {previous_level} -> {current_level}"
        ),
    }
}

/// The first of `rules` that fires on the latest of `steps` (every completed step, oldest first),
/// in words; `None` when none does or the step completed no request (nothing to judge).
pub fn breaking_reason(rules: &[StopRule], steps: &[StepResult]) -> Option<String> {
    let index = steps.len().checked_sub(1)?;
    if steps[index].requests == 0 {
        return None;
    }
    StopRule::first_firing(rules, steps, index).map(|(rule, firing)| describe(rule, firing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;

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

    fn check(rule: &str, steps: &[StepResult]) -> Option<String> {
        breaking_reason(&[rule.parse().expect("valid")], steps)
    }

    #[test]
    fn errors_rule_fires_only_above_its_limit() {
        assert_eq!(
            check("errors>1%", &[step(10.0, 1000, 10, 20)]),
            None,
            "1 % is not > 1 %"
        );
        let fired = check("errors>1%", &[step(10.0, 1000, 11, 20)]).expect("1.1 % fires");
        assert!(
            fired.starts_with("errors>1%: 1.10% of requests failed"),
            "{fired}"
        );
        assert_eq!(check("errors>1%", &[]), None);
        assert_eq!(
            check("errors>1%", &[step(10.0, 0, 0, 20)]),
            None,
            "no request, no verdict"
        );
    }

    #[test]
    fn latency_rule_compares_with_the_first_step() {
        let first = step(10.0, 1000, 0, 20);
        assert_eq!(
            check("p95>5x", std::slice::from_ref(&first)),
            None,
            "one step has nothing to compare"
        );
        assert_eq!(
            check("p95>5x", &[first.clone(), step(20.0, 1000, 0, 100)]),
            None
        );
        let fired = check(
            "p95>5x",
            &[
                first.clone(),
                step(20.0, 1000, 0, 40),
                step(30.0, 1000, 0, 150),
            ],
        )
        .expect("150 ms > 5 x 20 ms");
        assert!(fired.starts_with("p95>5x: p95 150."), "{fired}");
        assert!(
            fired.contains("is 7.5x the first step's 20.0 ms"),
            "{fired}"
        );
    }

    #[test]
    fn growth_rule_needs_more_load_and_too_little_more_throughput() {
        let low = step(10.0, 1000, 0, 20);
        assert_eq!(
            check("rps-growth<5%", &[low.clone(), step(20.0, 1050, 0, 20)]),
            None,
            "5 % is enough"
        );
        let fired = check("rps-growth<5%", &[low.clone(), step(20.0, 1040, 0, 20)])
            .expect("4 % growth fires");
        assert!(
            fired.contains("grew 4.0% (100.0 -> 104.0 req/s) while load went 10 -> 20"),
            "{fired}"
        );
        assert_eq!(
            check("rps-growth<5%", &[low.clone(), step(10.0, 1000, 0, 20)]),
            None,
            "no more load, no verdict"
        );
    }
}
