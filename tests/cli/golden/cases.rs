//! The table of recorded commands: every Locust fixture run through `analyze`, `compare`,
//! `check` and `report`, in each output format and with the main options. Paths are relative to
//! the test's working directory, which holds the fixtures' CSV files under `locust/RUN/`.

/// One recorded command.
pub struct Case {
    /// The recordings' file stem in `tests/fixtures/golden/` (unique).
    pub name: &'static str,
    /// The arguments after `captest`.
    pub args: &'static [&'static str],
    /// A file the command writes (relative to the working directory), recorded as
    /// `NAME.EXTENSION` with the file's extension.
    pub writes: Option<&'static str>,
}

/// A case whose only outputs are its exit code, stdout and stderr.
const fn case(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        args,
        writes: None,
    }
}

/// A case that also writes `file`.
const fn writing(name: &'static str, args: &'static [&'static str], file: &'static str) -> Case {
    Case {
        name,
        args,
        writes: Some(file),
    }
}

/// The fixture runs' prefixes.
const BASELINE: &str = "locust/baseline/baseline";
const CURRENT: &str = "locust/current/current";
const CONSTANT: &str = "locust/constant/constant";
const FAILING: &str = "locust/failing/failing";
const STEP: &str = "locust/step/step";
const NO_FULL_HISTORY: &str = "locust/no-full-history/no-full-history";

/// Every recorded case, in the order they run (one case a line, as a table: not formatted).
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    // analyze: each run by its history file (text) and by its prefix (JSON, Markdown), then
    // with 20 s of warmup left out (`no-full-history`'s history is Aggregated only: its entries
    // come from `_stats.csv`).
    case("analyze_baseline_text", &["analyze", "locust/baseline/baseline_stats_history.csv"]),
    case("analyze_baseline_json", &["analyze", BASELINE, "--json"]),
    case("analyze_baseline_markdown", &["analyze", BASELINE, "--markdown"]),
    case("analyze_baseline_warmup_text", &["analyze", BASELINE, "--warmup", "20s"]),
    case("analyze_baseline_warmup_json", &["analyze", BASELINE, "--warmup", "20s", "--json"]),
    case("analyze_current_text", &["analyze", "locust/current/current_stats_history.csv"]),
    case("analyze_current_json", &["analyze", CURRENT, "--json"]),
    case("analyze_current_markdown", &["analyze", CURRENT, "--markdown"]),
    case("analyze_current_warmup_json", &["analyze", CURRENT, "--warmup", "20s", "--json"]),
    case("analyze_constant_text", &["analyze", "locust/constant/constant_stats_history.csv"]),
    case("analyze_constant_json", &["analyze", CONSTANT, "--json"]),
    case("analyze_constant_markdown", &["analyze", CONSTANT, "--markdown"]),
    case("analyze_constant_warmup_json", &["analyze", CONSTANT, "--warmup", "20s", "--json"]),
    case("analyze_failing_text", &["analyze", "locust/failing/failing_stats_history.csv"]),
    case("analyze_failing_json", &["analyze", FAILING, "--json"]),
    case("analyze_failing_markdown", &["analyze", FAILING, "--markdown"]),
    case("analyze_failing_warmup_json", &["analyze", FAILING, "--warmup", "20s", "--json"]),
    case("analyze_step_text", &["analyze", "locust/step/step_stats_history.csv"]),
    case("analyze_step_json", &["analyze", STEP, "--json"]),
    case("analyze_step_markdown", &["analyze", STEP, "--markdown"]),
    case("analyze_step_warmup_text", &["analyze", STEP, "--warmup", "20s"]),
    case("analyze_step_warmup_json", &["analyze", STEP, "--warmup", "20s", "--json"]),
    case("analyze_no-full-history_text", &["analyze", "locust/no-full-history/no-full-history_stats_history.csv"]),
    case("analyze_no-full-history_json", &["analyze", NO_FULL_HISTORY, "--json"]),
    case("analyze_no-full-history_markdown", &["analyze", NO_FULL_HISTORY, "--markdown"]),
    case("analyze_no-full-history_warmup_json", &["analyze", NO_FULL_HISTORY, "--warmup", "20s", "--json"]),
    // analyze options: event weights, a planned user count, SLO and think time, step settle.
    case("analyze_constant_events_text", &["analyze", CONSTANT, "--events", "POST /api/v1/event/batch=20", "--events", "/api/v1/event=1"]),
    case("analyze_constant_events_json", &["analyze", CONSTANT, "--events", "POST /api/v1/event/batch=20", "--events", "/api/v1/event=1", "--json"]),
    case("analyze_step_capacity_text", &["analyze", STEP, "--users", "80", "--think-time", "0.3s", "--slo", "p95<200ms"]),
    case("analyze_step_capacity_json", &["analyze", STEP, "--users", "80", "--think-time", "0.3s", "--slo", "p95<200ms", "--json"]),
    case("analyze_step_settle_json", &["analyze", STEP, "--step-settle", "5s", "--json"]),
    // compare baseline current: the planted GET /item/[id] regression, in every format, on the
    // whole runs' totals and on the steady windows after 20 s of warmup.
    case("compare_text", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%"]),
    case("compare_json", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--json"]),
    case("compare_markdown", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--markdown"]),
    writing("compare_junit", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--junit", "compare_junit.xml"], "compare_junit.xml"),
    case("compare_warmup_text", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s"]),
    case("compare_warmup_json", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s", "--json"]),
    case("compare_warmup_markdown", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s", "--markdown"]),
    writing("compare_warmup_junit", &["compare", BASELINE, CURRENT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s", "--json", "--junit", "compare_warmup_junit.xml"], "compare_warmup_junit.xml"),
    // compare options: scoped and other metrics' rules, --strict, --alpha, events, reversed runs.
    case("compare_rules_json", &["compare", BASELINE, CURRENT, "--fail-on", "GET /item/[id]:p99+50ms", "--fail-on", "rps-5%", "--fail-on", "errors+1pp", "--fail-on", "median+5ms", "--fail-on", "max+20%", "--fail-on", "fail_count+10", "--warmup", "20s", "--json"]),
    case("compare_strict_text", &["compare", BASELINE, CURRENT, "--fail-on", "p95+10%", "--warmup", "20s", "--strict"]),
    case("compare_alpha_text", &["compare", BASELINE, CURRENT, "--fail-on", "avg+5%", "--warmup", "20s", "--alpha", "0.001"]),
    case("compare_events_json", &["compare", BASELINE, CURRENT, "--fail-on", "events-5%", "--events", "POST /api/v1/event/batch=20", "--warmup", "20s", "--json"]),
    case("compare_reversed_text", &["compare", CURRENT, BASELINE, "--fail-on", "avg+8%", "--warmup", "20s"]),
    // compare the baseline with each other run: another load, failures, a history without
    // entries (stats fallback), a step load.
    case("compare_constant_text", &["compare", BASELINE, CONSTANT, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s"]),
    case("compare_failing_text", &["compare", BASELINE, FAILING, "--fail-on", "avg+8%", "--fail-on", "errors+1pp", "--warmup", "20s"]),
    case("compare_failing_json", &["compare", BASELINE, FAILING, "--fail-on", "avg+8%", "--fail-on", "errors+1pp", "--warmup", "20s", "--json"]),
    case("compare_no-full-history_text", &["compare", BASELINE, NO_FULL_HISTORY, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s"]),
    case("compare_no-full-history_json", &["compare", BASELINE, NO_FULL_HISTORY, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s", "--json"]),
    case("compare_step_text", &["compare", BASELINE, STEP, "--fail-on", "avg+8%", "--fail-on", "p95+10%", "--warmup", "20s"]),
    // check: the README's thresholds on every run, every format on baseline and failing, and
    // scoped thresholds and other metrics on step.
    case("check_baseline_text", &["check", BASELINE, "--threshold", "avg<200ms", "--threshold", "errors<1%"]),
    case("check_baseline_json", &["check", BASELINE, "--threshold", "avg<200ms", "--threshold", "errors<1%", "--json"]),
    case("check_baseline_markdown", &["check", BASELINE, "--threshold", "avg<200ms", "--threshold", "errors<1%", "--markdown"]),
    writing("check_baseline_junit", &["check", BASELINE, "--threshold", "avg<200ms", "--threshold", "errors<1%", "--junit", "check_baseline_junit.xml"], "check_baseline_junit.xml"),
    case("check_current_text", &["check", CURRENT, "--threshold", "avg<200ms", "--threshold", "errors<1%"]),
    case("check_constant_text", &["check", CONSTANT, "--threshold", "avg<200ms", "--threshold", "errors<1%"]),
    case("check_failing_text", &["check", FAILING, "--threshold", "avg<200ms", "--threshold", "errors<1%"]),
    case("check_failing_json", &["check", FAILING, "--threshold", "avg<200ms", "--threshold", "errors<1%", "--json"]),
    writing("check_failing_junit", &["check", FAILING, "--threshold", "avg<200ms", "--threshold", "errors<1%", "--markdown", "--junit", "check_failing_junit.xml"], "check_failing_junit.xml"),
    case("check_step_text", &["check", STEP, "--threshold", "avg<200ms", "--threshold", "errors<1%"]),
    case("check_step_scoped_markdown", &["check", STEP, "--threshold", "GET /items:p99<1s", "--threshold", "rps>100rps", "--threshold", "p95<300ms", "--threshold", "POST /api/v1/event/batch:errors<10%", "--markdown"]),
    case("check_no-full-history_text", &["check", NO_FULL_HISTORY, "--threshold", "avg<200ms", "--threshold", "errors<1%"]),
    case("check_events_json", &["check", CONSTANT, "--threshold", "events>100", "--events", "POST /api/v1/event/batch=20", "--json"]),
    // report: every run, a baseline overlay, a warmup shade, the default output name.
    writing("report_baseline", &["report", BASELINE, "-o", "report_baseline.html"], "report_baseline.html"),
    writing("report_current_vs_baseline", &["report", CURRENT, "--baseline", BASELINE, "-o", "report_current_vs_baseline.html"], "report_current_vs_baseline.html"),
    writing("report_constant", &["report", CONSTANT, "-o", "report_constant.html"], "report_constant.html"),
    writing("report_failing", &["report", FAILING, "-o", "report_failing.html"], "report_failing.html"),
    writing("report_step_warmup_vs_constant", &["report", STEP, "--warmup", "20s", "--baseline", CONSTANT, "-o", "report_step_warmup_vs_constant.html"], "report_step_warmup_vs_constant.html"),
    writing("report_no-full-history_default_output", &["report", NO_FULL_HISTORY], "locust/no-full-history/no-full-history_report.html"),
    // bad input: one line on stderr, exit 2.
    case("error_analyze_missing_run", &["analyze", "locust/missing/missing"]),
    case("error_compare_bad_rule", &["compare", BASELINE, CURRENT, "--fail-on", "p95+"]),
    case("error_check_unknown_metric", &["check", BASELINE, "--threshold", "speed<1ms"]),
];
