//! Downloads of the run's files at any time: its CSV files as the aggregator last wrote them
//! (every second), and the HTML report rendered from them on demand.

use std::path::Path;

use captest_format::files;
use captest_report::{render_run_report, ReportOptions};

/// A download: its file name, content type and bytes, or why there is none yet.
pub type Download = Result<(String, &'static str, Vec<u8>), String>;

/// The CSV file `name` (`stats.csv`, `stats_history.csv`, `failures.csv`, `exceptions.csv`) of
/// the run written under `prefix`; `None` for another name.
pub fn csv(prefix: &Path, name: &str) -> Option<Download> {
    let suffix = files::LOCUST_SUFFIXES
        .iter()
        .find(|suffix| suffix.strip_prefix('_') == Some(name))?;
    let path = files::prefixed(prefix, suffix);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_owned());
    Some(
        std::fs::read(&path)
            .map(|bytes| (file_name, "text/csv; charset=utf-8", bytes))
            .map_err(|_| {
                "no figures yet: the files are written after the run's first second".to_owned()
            }),
    )
}

/// The HTML report of the run written under `prefix`, as `captest report` renders it.
pub fn report(prefix: &Path) -> Download {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot render the report: {e}"))?;
    let output = dir.path().join("report.html");
    let written = render_run_report(prefix, &output, &ReportOptions::default())
        .map_err(|e| format!("cannot render the report yet: {e}"))?;
    let bytes = std::fs::read(&written).map_err(|e| format!("cannot read the report: {e}"))?;
    let name = prefix
        .file_name()
        .map_or("run".to_owned(), |n| n.to_string_lossy().into_owned());
    Ok((
        format!("{name}_report.html"),
        "text/html; charset=utf-8",
        bytes,
    ))
}
