//! A finished run's `--html` report and `--threshold` gates, for every command that runs load:
//! made from the run's tables in memory (`run`, `step`, `rate`: the figures of its files, written
//! or not) or from its files (the coordinator's merged run).

use std::path::{Path, PathBuf};

use captest_analyze::compare::check;
use captest_analyze::output::Format;
use captest_analyze::{Percentiles, Run};
use captest_format::RunTables;

use super::experiment::Outputs;

/// The report and the gates of a run from its `tables` in memory; whether every gate passed
/// (`None` without `--threshold`).
pub fn of_tables(tables: &RunTables, outputs: &Outputs) -> anyhow::Result<Option<bool>> {
    // Without --csv the run is named `run`, as its files would be.
    let prefix = match &outputs.csv {
        Some((prefix, _)) => prefix.clone(),
        None => PathBuf::from("run"),
    };
    let html = match &outputs.html {
        Some(_) => Some(Run::from_tables(&prefix, tables, Percentiles::Named)?),
        None => None,
    };
    let gates = match outputs.thresholds.is_empty() {
        true => None,
        false => Some(Run::from_tables(&prefix, tables, Percentiles::All)?),
    };
    judge(html.as_ref(), gates.as_ref(), outputs)
}

/// The report and the gates of the run whose files are under `prefix`.
pub fn of_files(prefix: &Path, outputs: &Outputs) -> anyhow::Result<Option<bool>> {
    if outputs.html.is_none() && outputs.thresholds.is_empty() {
        return Ok(None);
    }
    let run = Run::load(prefix)?;
    judge(Some(&run), Some(&run), outputs)
}

/// Writes the report of `for_html` (with `--html`) and prints the gates judged on `for_gates`
/// (with `--threshold`).
fn judge(
    for_html: Option<&Run>,
    for_gates: Option<&Run>,
    outputs: &Outputs,
) -> anyhow::Result<Option<bool>> {
    if let (Some(html), Some(run)) = (&outputs.html, for_html) {
        super::load::write_html(run, html, outputs.quiet)?;
    }
    let Some(run) = for_gates.filter(|_| !outputs.thresholds.is_empty()) else {
        return Ok(None);
    };
    let gates = check(run, &outputs.thresholds, &[]);
    out!("\n{}", Format::Text.render(&gates)?);
    Ok(Some(gates.passed))
}
