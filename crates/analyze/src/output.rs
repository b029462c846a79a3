//! Outputs behind one trait, after hyperfine's exporters: a result (an [`Analysis`] or a
//! [`GateReport`]) is rendered by an [`Exporter`] that a [`Format`] picks once, instead of by free
//! functions chosen by name at each call site.
//!
//! The HTML report (crate `captest-report`) is one more exporter of this trait.
//!
//! [`Analysis`]: crate::Analysis
//! [`GateReport`]: crate::compare::GateReport

use std::fmt;

use serde::Serialize;

/// Renders one kind of result (`R`) in one format.
pub trait Exporter<R: ?Sized> {
    /// The bytes of `result` in this exporter's format, ready to print or write as they are.
    fn render(&self, result: &R) -> Result<String, OutputError>;
}

/// A result that has exporters: which one renders each [`Format`].
pub trait Exportable: Sized {
    /// What the result is called in messages (`analysis`, `report`).
    const WHAT: &'static str;

    /// The exporter of `format` for this kind of result, or [`OutputError::Unsupported`].
    fn exporter(format: Format) -> Result<Box<dyn Exporter<Self>>, OutputError>;
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A terminal summary.
    Text,
    /// Markdown (for CI step summaries).
    Markdown,
    /// Pretty-printed JSON (stable keys, see the README), ending with a newline.
    Json,
    /// JUnit XML (gate reports only).
    Junit,
}

impl Format {
    /// The format the usual `--json` / `--markdown` flags ask for: JSON, then Markdown, else text.
    pub fn from_flags(json: bool, markdown: bool) -> Format {
        if json {
            Format::Json
        } else if markdown {
            Format::Markdown
        } else {
            Format::Text
        }
    }

    /// The exporter of this format for results of kind `R`.
    pub fn exporter<R: Exportable>(self) -> Result<Box<dyn Exporter<R>>, OutputError> {
        R::exporter(self)
    }

    /// Renders `result` in this format.
    pub fn render<R: Exportable>(self, result: &R) -> Result<String, OutputError> {
        self.exporter::<R>()?.render(result)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Markdown => "Markdown",
            Format::Json => "JSON",
            Format::Junit => "JUnit",
        })
    }
}

/// What can go wrong while rendering a result.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The result could not be serialized to JSON.
    #[error("serialize the {what}: {source}")]
    Json {
        /// What was serialized (`analysis`, `report`).
        what: &'static str,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// An exporter defined outside this crate failed (the HTML report's charts or templates); its
    /// error is shown as it is.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The format has no exporter for this kind of result.
    #[error("{format} output is not available for the {what}")]
    Unsupported {
        /// The format asked for.
        format: Format,
        /// The kind of result.
        what: &'static str,
    },
}

/// A terminal summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text;

/// Markdown (for CI step summaries).
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

/// Pretty-printed JSON and a newline, for any serializable result.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

/// JUnit XML: one test case per rule × entry (gate reports).
#[derive(Debug, Clone, Copy, Default)]
pub struct Junit;

impl<R: Serialize + Exportable> Exporter<R> for Json {
    fn render(&self, result: &R) -> Result<String, OutputError> {
        let mut out = serde_json::to_string_pretty(result).map_err(|source| OutputError::Json {
            what: R::WHAT,
            source,
        })?;
        out.push('\n');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::compare::{compare, CompareOptions, GateReport};
    use crate::{analyze, summary, Analysis, AnalyzeOptions, Run};
    use captest_format::FailOn;

    fn fixture(run: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/locust")
            .join(run)
            .join(run)
    }

    fn analysis(run: &str) -> Analysis {
        let run = Run::load(&fixture(run)).expect("the fixture loads");
        analyze(&run, &AnalyzeOptions::default()).expect("the fixture analyzes")
    }

    fn gate_report() -> GateReport {
        let baseline = Run::load(&fixture("baseline")).expect("baseline");
        let current = Run::load(&fixture("current")).expect("current");
        let rules: Vec<FailOn> = ["p95+10%", "rps-5%"]
            .iter()
            .map(|r| r.parse().expect("a rule"))
            .collect();
        let options = CompareOptions {
            warmup: "10s".parse().expect("a warmup"),
            alpha: 0.05,
            strict: false,
            weights: Vec::new(),
        };
        compare(&baseline, &current, &rules, &options)
    }

    #[test]
    fn the_flags_pick_json_then_markdown_then_text() {
        assert_eq!(Format::from_flags(true, true), Format::Json);
        assert_eq!(Format::from_flags(false, true), Format::Markdown);
        assert_eq!(Format::from_flags(false, false), Format::Text);
    }

    #[test]
    fn an_analysis_has_text_markdown_and_json_but_no_junit() {
        let analysis = analysis("step");
        let text = Format::Text.render(&analysis).expect("text");
        for finding in summary::findings(&analysis) {
            assert!(text.contains(&format!("\n{}: {}\n", finding.label, finding.text)));
        }
        let markdown = Format::Markdown.render(&analysis).expect("markdown");
        assert!(markdown.starts_with("## captest analyze: "), "{markdown}");
        let json = Format::Json.render(&analysis).expect("json");
        assert!(json.ends_with("}\n"), "{json}");
        serde_json::from_str::<serde_json::Value>(&json).expect("valid JSON");
        let error = Format::Junit
            .exporter::<Analysis>()
            .err()
            .expect("no JUnit");
        assert_eq!(
            error.to_string(),
            "JUnit output is not available for the analysis"
        );
    }

    #[test]
    fn a_gate_report_has_every_format() {
        let report = gate_report();
        let junit = Format::Junit.render(&report).expect("junit");
        assert!(junit.starts_with("<?xml"), "{junit}");
        let json = Format::Json.render(&report).expect("json");
        assert!(json.ends_with("}\n"), "{json}");
        let markdown = Format::Markdown.render(&report).expect("markdown");
        assert!(markdown.starts_with("## captest compare: "), "{markdown}");
        let text = Format::Text.render(&report).expect("text");
        assert_eq!(text, crate::compare::output::text(&report));
    }
}
