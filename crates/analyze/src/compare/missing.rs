//! Rules that name entries neither run has. `GET /nope:p95+10%` (a typo, or an entry renamed
//! since the baseline) would compare nothing and pass; it is bad input instead, unless the user
//! says such rules may pass (`--allow-missing-entries`).

use captest_format::{Entry, FailOn, Scope};

use super::measure::entries_of_both;
use crate::error::AnalyzeError;
use crate::Run;

/// Fails on the first rule whose entry pattern matches no entry of `baseline` or `current`,
/// naming the entries there are.
pub fn require_matching_entries(
    rules: &[FailOn],
    baseline: &Run,
    current: &Run,
) -> Result<(), AnalyzeError> {
    let entries = entries_of_both(baseline, current);
    for rule in rules {
        let Scope::Entry(pattern) = &rule.scope else {
            continue;
        };
        if !entries.iter().any(|entry| pattern.matches(entry)) {
            let labels: Vec<String> = entries.iter().map(Entry::to_string).collect();
            return Err(AnalyzeError::InvalidOption(format!(
                "--fail-on {:?}: no entry of either run matches {:?} (entries: {}); --allow-missing-entries lets such a rule pass",
                rule.text,
                pattern.to_string(),
                labels.join(", ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture(name: &str) -> Run {
        let prefix = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/locust")
            .join(name)
            .join(name);
        Run::load(&prefix).expect("fixture")
    }

    #[test]
    fn a_rule_on_an_entry_no_run_has_is_bad_input() {
        let (baseline, current) = (fixture("baseline"), fixture("current"));
        let rule = |text: &str| -> FailOn { text.parse().expect("rule") };
        let present = [
            rule("GET /item/[id]:p99+50ms"),
            rule("/item/*:avg+5%"),
            rule("p95+10%"),
        ];
        assert!(require_matching_entries(&present, &baseline, &current).is_ok());
        let error = require_matching_entries(&[rule("GET /nope:p95+10%")], &baseline, &current)
            .expect_err("no entry matches")
            .to_string();
        assert!(
            error.contains("GET /nope") && error.contains("Aggregated"),
            "{error}"
        );
    }
}
