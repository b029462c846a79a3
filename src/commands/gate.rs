//! Shared by `compare` and `check`: output flags, resolving runs by name, exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use captest_analyze::compare::GateReport;
use captest_analyze::{Exporter, Format, Run};
use captest_format::atomic::write_atomically;

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
    let run = match store.stored(given) {
        Some(path) => Run::load(&path)?,
        None => Run::load(Path::new(given))?,
    };
    warn_about(&run);
    Ok(run)
}

/// Prints a warning for each thing the readers tolerated in `run`'s files (a cut last line).
pub fn warn_about(run: &Run) {
    for warning in run.files.warnings() {
        eprintln!("warning: {warning}");
    }
}

impl GateOutput {
    /// The format printed on stdout: `--json`, `--markdown`, else text.
    pub fn format(&self) -> Format {
        Format::from_flags(self.json, self.markdown)
    }

    /// Checks, before any run is read, that the `--junit` file can be written.
    pub fn check_paths(&self) -> anyhow::Result<()> {
        match &self.junit {
            Some(path) => super::output_paths::check_file(path, "--junit"),
            None => Ok(()),
        }
    }
}

/// Writes the JUnit XML `junit` to `path`, whole or not at all.
pub fn write_junit(path: &Path, junit: &str) -> anyhow::Result<()> {
    write_atomically(path, junit.as_bytes()).map_err(|(path, e)| {
        anyhow::anyhow!("{}: cannot write the JUnit file: {e}", path.display())
    })
}

/// Prints `report` as asked, writes JUnit if asked, and maps it to an exit code (0 pass, 1 fail).
pub fn finish(report: &GateReport, out: &GateOutput) -> anyhow::Result<ExitCode> {
    let exporter: Box<dyn Exporter<GateReport>> = out.format().exporter()?;
    out!("{}", exporter.render(report)?);
    if let Some(path) = &out.junit {
        write_junit(path, &Format::Junit.render(report)?)?;
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
