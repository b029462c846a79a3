use super::*;

/// A step at `level` with `rps` requests per second, `error_pct` failed and p95 `p95_ms`.
struct Step {
    level: f64,
    rps: f64,
    error_pct: f64,
    p95_ms: Option<f64>,
}

impl StepFigures for Step {
    fn level(&self) -> f64 {
        self.level
    }
    fn rps(&self) -> f64 {
        self.rps
    }
    fn error_pct(&self) -> f64 {
        self.error_pct
    }
    fn percentile_ms(&self, percentile: u8) -> Option<f64> {
        (percentile == 95).then_some(self.p95_ms).flatten()
    }
}

fn step(level: f64, rps: f64, error_pct: f64, p95_ms: f64) -> Step {
    Step {
        level,
        rps,
        error_pct,
        p95_ms: Some(p95_ms),
    }
}

#[test]
fn rules_parse_and_print_back() {
    for text in ["errors>1%", "p95>5x", "rps-growth<5%", "p99>2.5x", "p50>0x"] {
        let rule: StopRule = text.parse().expect("valid");
        assert_eq!(rule.to_string(), text);
    }
    assert_eq!(
        " errors > 2 % ".parse::<StopRule>(),
        Ok(StopRule::ErrorsAbove(2.0))
    );
    let defaults: Vec<String> = DEFAULT_STOP_RULES.iter().map(|r| r.to_string()).collect();
    assert_eq!(defaults, ["errors>1%", "p95>5x", "rps-growth<5%"]);
    assert_eq!(
        StopRule::parse_or_default::<&str>(&[]),
        Ok(DEFAULT_STOP_RULES.to_vec())
    );
    assert_eq!(
        StopRule::parse_or_default(&["p99>2x", "errors>0%"]),
        Ok(vec![
            StopRule::LatencyFactor {
                percentile: 99,
                factor: 2.0
            },
            StopRule::ErrorsAbove(0.0)
        ])
    );
    assert!(StopRule::parse_or_default(&["p99>2x", "p98>2x"]).is_err());
}

#[test]
fn a_bad_rule_is_a_typed_error_naming_what_was_expected() {
    let unknown = "latency>5".parse::<StopRule>().expect_err("unknown form");
    assert_eq!(
        unknown,
        StopRuleError::Unknown {
            rule: "latency>5".to_owned()
        }
    );
    assert_eq!(
        unknown.to_string(),
        "unknown stop rule \"latency>5\"; expected errors>1%, p95>5x (p50/p90/p95/p99) or rps-growth<5%"
    );
    for bad in ["errors<1%", "p97>2x"] {
        assert!(
            matches!(bad.parse::<StopRule>(), Err(StopRuleError::Unknown { .. })),
            "{bad}"
        );
    }
    let not_a_number = "rps-growth<x%".parse::<StopRule>().expect_err("no number");
    assert!(
        matches!(&not_a_number, StopRuleError::NotANumber { value, unit: "%", .. } if value == "x%"),
        "{not_a_number:?}"
    );
    assert!(not_a_number.to_string().contains("expected errors>1%"));
    for bad in ["errors>-1%", "p95>infx", "p95>NaNx"] {
        assert!(
            matches!(
                bad.parse::<StopRule>(),
                Err(StopRuleError::OutOfRange { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn errors_fire_only_above_their_limit() {
    let rule = StopRule::ErrorsAbove(1.0);
    assert_eq!(rule.evaluate(&[step(10.0, 100.0, 1.0, 20.0)], 0), None);
    assert_eq!(
        rule.evaluate(&[step(10.0, 100.0, 1.1, 20.0)], 0),
        Some(Firing::Errors { pct: 1.1 })
    );
    assert_eq!(rule.evaluate::<Step>(&[], 0), None);
}

#[test]
fn latency_compares_with_the_first_step_never_the_first_with_itself() {
    let rule: StopRule = "p95>0.5x".parse().expect("valid");
    let steps = [step(10.0, 100.0, 0.0, 20.0), step(20.0, 200.0, 0.0, 9.0)];
    assert_eq!(rule.evaluate(&steps, 0), None, "nothing to compare with");
    assert_eq!(rule.evaluate(&steps, 1), None, "9 ms is not above 10 ms");
    let five = StopRule::LatencyFactor {
        percentile: 95,
        factor: 5.0,
    };
    let steps = [step(10.0, 100.0, 0.0, 20.0), step(20.0, 200.0, 0.0, 150.0)];
    assert_eq!(
        five.evaluate(&steps, 1),
        Some(Firing::Latency {
            percentile: 95,
            now_ms: 150.0,
            base_ms: 20.0
        })
    );
    let p99 = StopRule::LatencyFactor {
        percentile: 99,
        factor: 5.0,
    };
    assert_eq!(p99.evaluate(&steps, 1), None, "p99 not measured");
}

#[test]
fn growth_needs_more_load_and_too_little_more_throughput() {
    let rule = StopRule::RpsGrowthBelow(5.0);
    let enough = [step(10.0, 100.0, 0.0, 20.0), step(20.0, 105.0, 0.0, 20.0)];
    assert_eq!(rule.evaluate(&enough, 1), None, "5 % is enough");
    let flat = [step(10.0, 100.0, 0.0, 20.0), step(20.0, 104.0, 0.0, 20.0)];
    match rule.evaluate(&flat, 1) {
        Some(Firing::RpsGrowth {
            growth_pct,
            previous_level,
            current_level,
            ..
        }) => {
            assert!((growth_pct - 4.0).abs() < 1e-9, "{growth_pct}");
            assert_eq!((previous_level, current_level), (10.0, 20.0));
        }
        other => panic!("4 % growth fires: {other:?}"),
    }
    let same_load = [step(10.0, 100.0, 0.0, 20.0), step(10.0, 100.0, 0.0, 20.0)];
    assert_eq!(
        rule.evaluate(&same_load, 1),
        None,
        "no more load, no verdict"
    );
}

#[test]
fn the_first_rule_in_order_wins_on_a_step() {
    let steps = [step(10.0, 100.0, 0.0, 20.0), step(20.0, 100.0, 5.0, 200.0)];
    let (rule, _) = StopRule::first_firing(&DEFAULT_STOP_RULES, &steps, 1).expect("all fire");
    assert_eq!(rule, StopRule::ErrorsAbove(1.0));
    let (rule, _) = StopRule::first_firing(&DEFAULT_STOP_RULES[1..], &steps, 1).expect("two fire");
    assert_eq!(rule.to_string(), "p95>5x");
}
