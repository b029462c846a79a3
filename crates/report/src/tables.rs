//! The report's tables, from a run and its analysis.

use captest_analyze::{Analysis, Run};
use captest_format::AGGREGATED;

use crate::page::TableView;

/// `12.3` or `n/a`.
pub fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"))
}

/// The run's `_stats.csv`, with units.
pub fn statistics(run: &Run) -> TableView {
    let mut table = TableView::new(
        "statistics",
        "Request statistics (whole run, as _stats.csv)",
        &[
            "Type",
            "Name",
            "Requests",
            "Fails",
            "Median (ms)",
            "Average (ms)",
            "Min (ms)",
            "Max (ms)",
            "Avg size (bytes)",
            "Requests/s",
            "Failures/s",
            "95% (ms)",
            "99% (ms)",
        ],
        2,
    );
    for row in &run.stats {
        let pct = |label: &str| {
            row.percentiles_ms
                .iter()
                .find(|(l, _)| l == label)
                .and_then(|(_, v)| *v)
        };
        let total = row.entry.is_aggregated();
        table.row(
            vec![
                row.entry.method().to_owned(),
                row.entry.name().to_owned(),
                format!("{:.0}", row.requests),
                format!("{:.0}", row.failures),
                ms(row.median_ms),
                format!("{:.1}", row.avg_ms),
                ms(row.min_ms),
                ms(row.max_ms),
                format!("{:.0}", row.avg_content_bytes),
                format!("{:.2}", row.rps),
                format!("{:.2}", row.failures_per_s),
                ms(pct("95%")),
                ms(pct("99%")),
            ],
            total.then_some("total"),
        );
    }
    table
}

/// Steady-state figures per entry.
pub fn steady(analysis: &Analysis) -> TableView {
    let mut table = TableView::new(
        "steady",
        &format!("Steady state (after {}s warmup)", analysis.warmup_s),
        &[
            "Entry",
            "Requests",
            "Requests/s",
            "Avg (ms)",
            "p50 (ms)",
            "p95 (ms)",
            "p99 (ms)",
            "Errors (%)",
        ],
        1,
    );
    let steady = &analysis.steady;
    for figures in steady.entries.iter().chain([&steady.aggregated]) {
        table.row(
            vec![
                figures.entry.clone(),
                format!("{:.0}", figures.requests),
                format!("{:.2}", figures.rps),
                ms(figures.avg_ms_window.or(Some(figures.avg_ms))),
                ms(figures.p50_ms),
                ms(figures.p95_ms),
                ms(figures.p99_ms),
                format!("{:.2}", figures.error_pct),
            ],
            (figures.entry == AGGREGATED).then_some("total"),
        );
    }
    table
}

/// Steps of a stepped run.
pub fn steps(analysis: &Analysis) -> TableView {
    let mut table = TableView::new(
        "steps",
        "Steps (steady part of each step)",
        &[
            "Users",
            "Requests/s",
            "p50 (ms)",
            "p95 (ms)",
            "p99 (ms)",
            "Errors (%)",
        ],
        0,
    );
    table.empty = "Constant load: no steps.".to_owned();
    for step in &analysis.steps {
        let knee = analysis
            .knee
            .as_ref()
            .is_some_and(|k| k.users == step.users);
        table.row(
            vec![
                format!("{}", step.users),
                format!("{:.1}", step.rps),
                ms(step.p50_ms),
                ms(step.p95_ms),
                ms(step.p99_ms),
                format!("{:.2}", step.error_pct),
            ],
            knee.then_some("total"),
        );
    }
    table
}

/// The analysis in words.
pub fn findings(analysis: &Analysis) -> TableView {
    let mut table = TableView::new("analysis", "Analysis", &["Finding", "Value"], 2);
    let steady = &analysis.steady.aggregated;
    let mut add = |k: &str, v: String| table.row(vec![k.to_owned(), v], None);
    add(
        "Steady throughput",
        format!(
            "{:.2} req/s (pandas recipe: {:.2})",
            steady.rps, steady.rps_recipe
        ),
    );
    add(
        "Steady latency",
        format!(
            "avg {} ms, p50 {} ms, p95 {} ms, p99 {} ms",
            ms(steady.avg_ms_window.or(Some(steady.avg_ms))),
            ms(steady.p50_ms),
            ms(steady.p95_ms),
            ms(steady.p99_ms)
        ),
    );
    add("Errors", format!("{:.2} %", steady.error_pct));
    for finding in captest_analyze::summary::findings(analysis) {
        let mut label = finding.label;
        if let Some(first) = label.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        add(&label, finding.text);
    }
    table
}

/// `_failures.csv`.
pub fn failures(run: &Run) -> TableView {
    let mut table = TableView::new(
        "failures",
        "Failures",
        &["Method", "Name", "Error", "Occurrences"],
        3,
    );
    for f in &run.failures {
        table.row(
            vec![
                f.entry.method().to_owned(),
                f.entry.name().to_owned(),
                f.error.clone(),
                format!("{:.0}", f.occurrences),
            ],
            None,
        );
    }
    table
}

/// `_exceptions.csv`.
pub fn exceptions(run: &Run) -> TableView {
    let mut table = TableView::new(
        "exceptions",
        "Exceptions",
        &["Count", "Message", "Traceback"],
        3,
    );
    table.pre = true;
    for e in &run.exceptions {
        table.row(
            vec![
                format!("{:.0}", e.count),
                e.message.clone(),
                e.traceback.clone(),
            ],
            None,
        );
    }
    table
}

/// Steady figures per entry against a baseline.
pub fn versus_baseline(current: &Analysis, baseline: &Analysis) -> TableView {
    let mut table = TableView::new(
        "baseline",
        &format!("Compared with the baseline ({})", baseline.run),
        &[
            "Entry",
            "Baseline req/s",
            "Current req/s",
            "Δ req/s (%)",
            "Baseline p95 (ms)",
            "Current p95 (ms)",
            "Δ p95 (%)",
        ],
        1,
    );
    let pct = |b: f64, c: f64| {
        if b != 0.0 {
            Some((c / b - 1.0) * 100.0)
        } else {
            None
        }
    };
    let all = current
        .steady
        .entries
        .iter()
        .chain([&current.steady.aggregated]);
    for entry in all {
        let base = baseline
            .steady
            .entries
            .iter()
            .chain([&baseline.steady.aggregated])
            .find(|b| b.entry == entry.entry);
        let Some(base) = base else {
            table.row(
                vec![
                    entry.entry.clone(),
                    "new".into(),
                    format!("{:.2}", entry.rps),
                    "".into(),
                    "".into(),
                    ms(entry.p95_ms),
                    "".into(),
                ],
                None,
            );
            continue;
        };
        let delta_p95 = base.p95_ms.zip(entry.p95_ms).and_then(|(b, c)| pct(b, c));
        let class = match delta_p95 {
            Some(d) if d > 10.0 => Some("regressed"),
            Some(d) if d < -10.0 => Some("improved"),
            _ => None,
        };
        table.row(
            vec![
                entry.entry.clone(),
                format!("{:.2}", base.rps),
                format!("{:.2}", entry.rps),
                pct(base.rps, entry.rps).map_or("n/a".into(), |d| format!("{d:+.1}")),
                ms(base.p95_ms),
                ms(entry.p95_ms),
                delta_p95.map_or("n/a".into(), |d| format!("{d:+.1}")),
            ],
            class,
        );
    }
    table
}

/// Rules the report's regression table applies when a baseline is given.
pub const REPORT_RULES: [&str; 3] = ["p95+10%", "rps-5%", "errors+1pp"];

/// The unit of a compared metric's values (`ms`, `req/s`, …); empty when unknown.
fn metric_unit(metric: &str) -> &'static str {
    use captest_format::Metric;
    match Metric::parse(metric) {
        Some(Metric::Avg | Metric::Percentile(_) | Metric::Max) => "ms",
        Some(Metric::Rps) => "req/s",
        Some(Metric::Events) => "events/s",
        Some(Metric::Errors) => "% of requests",
        Some(Metric::FailCount) => "count",
        None => "",
    }
}

/// The `compare` verdicts of `current` against `baseline` under [`REPORT_RULES`], over the steady
/// window of the warmup `current` was loaded for; an error if one of those rules does not parse.
pub fn verdicts(current: &Run, baseline: &Run) -> Result<TableView, captest_analyze::AnalyzeError> {
    use captest_analyze::compare::{compare, CompareOptions};
    use captest_format::FailOn;
    let rules: Vec<FailOn> = REPORT_RULES
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()?;
    let options = CompareOptions {
        warmup: current.warmup(),
        alpha: 0.05,
        strict: false,
        weights: Vec::new(),
    };
    let report = compare(baseline, current, &rules, &options);
    let mut table = TableView::new(
        "verdicts",
        &format!(
            "Regression check ({}; {}): {}",
            REPORT_RULES.join(", "),
            report
                .significance
                .map_or_else(|| "α=0.05".to_owned(), |family| family.to_string()),
            if report.passed { "passed" } else { "FAILED" }
        ),
        &[
            "Entry", "Rule", "Unit", "Baseline", "Current", "Δ (%)", "p", "Verdict",
        ],
        3,
    );
    let number = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.2}"));
    for c in &report.entries {
        let class = match c.verdict {
            captest_analyze::compare::Verdict::Regressed => Some("regressed"),
            captest_analyze::compare::Verdict::Improved => Some("improved"),
            _ => None,
        };
        table.row(
            vec![
                c.entry.clone(),
                c.rule.clone(),
                metric_unit(&c.metric).to_owned(),
                number(c.baseline),
                number(c.current),
                c.delta_pct.map_or("—".to_owned(), |d| format!("{d:+.1}")),
                c.p_adjusted
                    .or(c.p_value)
                    .map_or("—".to_owned(), |p| format!("{p:.3}")),
                if c.within_noise {
                    "~ within noise".to_owned()
                } else {
                    c.verdict.word().to_owned()
                },
            ],
            class,
        );
    }
    Ok(table)
}
