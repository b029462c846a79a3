//! Finding a run's files from a path or a prefix (`results/baseline` →
//! `results/baseline_stats_history.csv`, `_stats.csv`, `_steps.csv`, `_events.csv`, `_failures.csv`).

use std::path::{Path, PathBuf};

use crate::error::AnalyzeError;

/// The suffixes of the files of one run.
pub const SUFFIXES: [&str; 7] = [
    "_stats_history.csv",
    "_stats.csv",
    "_failures.csv",
    "_exceptions.csv",
    "_steps.csv",
    "_events.csv",
    "_latency.hdr",
];

/// The files of one run that exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFiles {
    /// The prefix shared by the files (`results/baseline`).
    pub prefix: PathBuf,
    /// `PREFIX_stats_history.csv`.
    pub history: Option<PathBuf>,
    /// `PREFIX_stats.csv`.
    pub stats: Option<PathBuf>,
    /// `PREFIX_failures.csv`.
    pub failures: Option<PathBuf>,
    /// `PREFIX_exceptions.csv`.
    pub exceptions: Option<PathBuf>,
    /// `PREFIX_steps.csv` (captest step runs).
    pub steps: Option<PathBuf>,
    /// `PREFIX_events.csv` (captest runs with event weights).
    pub events: Option<PathBuf>,
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl RunFiles {
    /// Finds the run of `given`: one of its files, or its prefix. A directory holding exactly one
    /// run (one `*_stats.csv` or `*_stats_history.csv`) is accepted too.
    pub fn locate(given: &Path) -> Result<RunFiles, AnalyzeError> {
        let text = given.to_string_lossy();
        let prefix = SUFFIXES
            .iter()
            .find_map(|suffix| text.strip_suffix(suffix))
            .map(PathBuf::from)
            .or_else(|| Self::single_run_in(given))
            .unwrap_or_else(|| given.to_owned());
        let existing = |suffix: &str| Some(with_suffix(&prefix, suffix)).filter(|p| p.is_file());
        let files = RunFiles {
            history: existing("_stats_history.csv"),
            stats: existing("_stats.csv"),
            failures: existing("_failures.csv"),
            exceptions: existing("_exceptions.csv"),
            steps: existing("_steps.csv"),
            events: existing("_events.csv"),
            prefix: prefix.clone(),
        };
        if files.history.is_none() && files.stats.is_none() {
            return Err(AnalyzeError::NoRunFiles {
                given: text.into_owned(),
                tried: format!(
                    "{} and {}",
                    with_suffix(&prefix, "_stats_history.csv").display(),
                    with_suffix(&prefix, "_stats.csv").display()
                ),
            });
        }
        Ok(files)
    }

    fn single_run_in(dir: &Path) -> Option<PathBuf> {
        if !dir.is_dir() {
            return None;
        }
        let mut prefixes: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().to_string_lossy().into_owned();
                let stem = name.strip_suffix("_stats.csv")?;
                Some(dir.join(stem))
            })
            .collect();
        prefixes.sort();
        prefixes.dedup();
        (prefixes.len() == 1).then(|| prefixes.remove(0))
    }

    /// A short name for the run: the prefix's file name.
    pub fn name(&self) -> String {
        self.prefix
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.prefix.display().to_string())
    }
}
