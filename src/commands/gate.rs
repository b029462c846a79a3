//! Shared by `compare` and `check`: output flags, resolving runs by name, exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use captest_analyze::compare::GateReport;
use captest_analyze::{Exporter, Format, Run};

use super::store::Store;

/// How a gate report is printed.
#[derive(Debug, Clone, clap::Args)]
pub struct GateOutput {
    /// Print JSON (keys documented in the README).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print a Markdown table (for a CI step summary).
    #[arg(long)]
    pub markdown: bool,
    /// Also write JUnit XML here (one test case per rule × entry).
    #[arg(long)]
    pub junit: Option<PathBuf>,
}

/// Loads a run given as a baseline name stored in `store`, a prefix or a file.
pub fn load_run(given: &str, store: &Store) -> anyhow::Result<Run> {
    match store.stored(given) {
        Some(path) => Ok(Run::load(&path)?),
        None => Ok(Run::load(Path::new(given))?),
    }
}

impl GateOutput {
    /// The format printed on stdout: `--json`, `--markdown`, else text.
    pub fn format(&self) -> Format {
        Format::from_flags(self.json, self.markdown)
    }
}

/// Prints `report` as asked, writes JUnit if asked, and maps it to an exit code (0 pass, 1 fail).
pub fn finish(report: &GateReport, out: &GateOutput) -> anyhow::Result<ExitCode> {
    let exporter: Box<dyn Exporter<GateReport>> = out.format().exporter()?;
    print!("{}", exporter.render(report)?);
    if let Some(path) = &out.junit {
        let junit = Format::Junit.render(report)?;
        std::fs::write(path, junit)
            .with_context(|| format!("{}: cannot write the JUnit file", path.display()))?;
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Event weights from `--events NAME=W` flags.
pub fn weights(events: &[String]) -> anyhow::Result<Vec<(String, f64)>> {
    events
        .iter()
        .map(|e| {
            let w: captest_analyze::EventWeight = e.parse()?;
            Ok((w.entry, w.weight))
        })
        .collect()
}
