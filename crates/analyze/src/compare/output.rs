//! A gate report for people (text, Markdown) and for CI (JUnit XML), rendered by the
//! [`Text`], [`Markdown`] and [`Junit`] exporters (and [`Json`]).

use std::fmt::Write;

use super::verdict::{Comparison, GateReport};
use crate::output::{Exportable, Exporter, Format, Json, Junit, Markdown, OutputError, Text};

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

fn signed_pct(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:+.1}%"))
}

/// The p-value compared with α: adjusted for the family (compare), as is otherwise.
fn p_value(c: &Comparison) -> String {
    c.p_adjusted
        .or(c.p_value)
        .map_or_else(|| "—".to_owned(), |p| format!("{p:.3}"))
}

fn columns(report: &GateReport) -> [&'static str; 8] {
    if report.kind == "check" {
        [
            "entry",
            "rule",
            "metric",
            "bound",
            "value",
            "over bound",
            "p",
            "verdict",
        ]
    } else {
        [
            "entry", "rule", "metric", "baseline", "current", "delta", "p", "verdict",
        ]
    }
}

fn cells(c: &Comparison) -> Vec<String> {
    vec![
        c.entry.clone(),
        c.rule.clone(),
        c.metric.clone(),
        number(c.baseline),
        number(c.current),
        signed_pct(c.delta_pct),
        p_value(c),
        if c.failed {
            "FAIL".to_owned()
        } else if c.within_noise {
            WITHIN_NOISE.to_owned()
        } else {
            c.verdict.word().to_owned()
        },
    ]
}

/// How a change beyond a rule that is not significant is shown.
const WITHIN_NOISE: &str = "~ within noise";

/// Each noise test as the note names it, in the order it lists them.
const TEST_LABELS: [(&str, &str); 3] = [
    (
        "price-bonett",
        "Price–Bonett z on order-statistic standard errors of each run's quantile",
    ),
    (
        "welch-z",
        "Welch z on the runs' HDR histograms, block-bootstrapped over seconds",
    ),
    (
        "mann-whitney-u",
        "Mann-Whitney U on per-interval samples of the steady window",
    ),
];

/// The tests the comparisons used, each with the metrics it tested, e.g. `Mann-Whitney U on
/// per-interval samples of the steady window (avg, rps)`.
fn tests_used(report: &GateReport) -> String {
    let used: Vec<String> = TEST_LABELS
        .iter()
        .filter_map(|(test, label)| {
            let mut metrics: Vec<&str> = Vec::new();
            for c in report.entries.iter().filter(|c| c.test == *test) {
                if !metrics.contains(&c.metric.as_str()) {
                    metrics.push(&c.metric);
                }
            }
            (!metrics.is_empty()).then(|| format!("{label} ({})", metrics.join(", ")))
        })
        .collect();
    if used.is_empty() {
        "none".to_owned()
    } else {
        used.join("; ")
    }
}

/// The noise tests, the family-wise control and what `~ within noise` means (compare only).
fn noise_note(report: &GateReport) -> Option<String> {
    let family = report.significance?;
    let consequence = if report.strict {
        "--strict: changes beyond a rule fail even within noise"
    } else {
        "`~ within noise` = beyond a rule but not significant: not a failure unless --strict"
    };
    Some(format!(
        "noise tests, two-sided: {}\nsignificance: {family} (column p: adjusted p-values); \
         {consequence}",
        tests_used(report)
    ))
}

/// The comparisons beyond a rule that passed as noise, one line each.
fn within_noise_lines(report: &GateReport) -> Vec<String> {
    report
        .entries
        .iter()
        .filter(|c| c.within_noise && !c.failed)
        .map(|c| format!("{} {}: {}", c.entry, c.rule, c.reason))
        .collect()
}

/// A terminal table and the failing rules at the end: what [`Text`] renders.
pub(crate) fn text(report: &GateReport) -> String {
    let header = columns(report);
    let rows: Vec<Vec<String>> = report.entries.iter().map(cells).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 3 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let _ = writeln!(out, "{}", line(&header.map(str::to_owned)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    if let Some(note) = noise_note(report) {
        let _ = writeln!(out, "\n{note}");
    }
    let noise = within_noise_lines(report);
    if !noise.is_empty() {
        let _ = writeln!(out, "within noise ({}, not failures):", noise.len());
        for line in &noise {
            let _ = writeln!(out, "  {line}");
        }
    }
    if report.passed {
        let _ = writeln!(out, "PASSED: no rule failed");
    } else {
        let _ = writeln!(out, "FAILED: {} rule(s)", report.failures.len());
        for f in &report.failures {
            let _ = writeln!(out, "  {} {}: {}", f.entry, f.rule, f.reason);
        }
    }
    out
}

/// A Markdown table (for CI step summaries).
fn markdown(report: &GateReport) -> String {
    let header = columns(report);
    let mut out = format!(
        "## captest {}: {}\n\n| {} |\n|{}\n",
        report.kind,
        if report.passed { "passed" } else { "FAILED" },
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for c in &report.entries {
        let row: Vec<String> = cells(c)
            .into_iter()
            .map(|s| s.replace('|', "\\|"))
            .collect();
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    if let Some(note) = noise_note(report) {
        let _ = writeln!(out, "\n{}", note.replace('\n', "\n\n"));
    }
    let noise = within_noise_lines(report);
    if !noise.is_empty() {
        let _ = writeln!(out, "\nWithin noise ({}, not failures):\n", noise.len());
        for line in &noise {
            let _ = writeln!(out, "- {line}");
        }
    }
    if !report.failures.is_empty() {
        let _ = writeln!(out, "\nFailing rules ({}):\n", report.failures.len());
        for f in &report.failures {
            let _ = writeln!(out, "- {} {}: {}", f.entry, f.rule, f.reason);
        }
    }
    out
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML: one test case per rule × entry; failures carry the reason.
fn junit(report: &GateReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites><testsuite name=\"captest {}\" tests=\"{}\" failures=\"{}\" errors=\"0\">",
        report.kind,
        report.entries.len(),
        report.failures.len()
    );
    if let Some(family) = report.significance {
        let _ = writeln!(
            out,
            "  <properties><property name=\"significance\" value=\"{}\"/></properties>",
            xml(&family.to_string())
        );
    }
    for c in &report.entries {
        let name = xml(&format!("{} [{}]", c.rule, c.entry));
        let _ = write!(
            out,
            "  <testcase classname=\"captest.{}\" name=\"{name}\">",
            report.kind
        );
        if c.failed {
            let message = xml(&c.reason);
            let detail = xml(&format!(
                "baseline/bound {} current {} delta {} p {}",
                number(c.baseline),
                number(c.current),
                signed_pct(c.delta_pct),
                p_value(c)
            ));
            let _ = write!(
                out,
                "<failure message=\"{message}\" type=\"regression\">{detail}</failure>"
            );
        }
        let _ = writeln!(out, "</testcase>");
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

impl Exporter<GateReport> for Text {
    fn render(&self, report: &GateReport) -> Result<String, OutputError> {
        Ok(text(report))
    }
}

impl Exporter<GateReport> for Markdown {
    fn render(&self, report: &GateReport) -> Result<String, OutputError> {
        Ok(markdown(report))
    }
}

impl Exporter<GateReport> for Junit {
    fn render(&self, report: &GateReport) -> Result<String, OutputError> {
        Ok(junit(report))
    }
}

impl Exportable for GateReport {
    const WHAT: &'static str = "report";

    fn exporter(format: Format) -> Result<Box<dyn Exporter<Self>>, OutputError> {
        Ok(match format {
            Format::Text => Box::new(Text),
            Format::Markdown => Box::new(Markdown),
            Format::Json => Box::new(Json),
            Format::Junit => Box::new(Junit),
        })
    }
}
