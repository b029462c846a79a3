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
    assert_eq!(
        message("p95+"),
        "--fail-on \"p95+\": expected a number at character 5"
    );
    assert!(message("p1000+5%").contains("unknown metric"));
    assert!(message("foo:bar").contains("expected + or -"));
    assert!(
        message("p95+5kg").contains("character 6"),
        "{}",
        message("p95+5kg")
    );
    let error = "rps>5%".parse::<Threshold>().unwrap_err();
    assert_eq!((error.grammar, error.character), (Grammar::Threshold, 5));
    assert!(error
        .to_string()
        .starts_with("--threshold \"rps>5%\": a threshold is absolute"));
}

#[test]
fn a_threshold_passes_strictly() {
    let below: Threshold = "p95<40ms".parse().expect("a threshold");
    assert!(below.passes(39.9));
    assert!(!below.passes(40.0));
    let above: Threshold = "rps>20".parse().expect("a threshold");
    assert!(above.passes(20.1));
    assert!(!above.passes(20.0));
}
