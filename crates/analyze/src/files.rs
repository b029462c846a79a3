//! Finding a run's files from a path or a prefix (`results/baseline` →
//! `results/baseline_stats_history.csv`, `_stats.csv`, `_steps.csv`, `_events.csv`, `_failures.csv`,
//! `_latency.hdr`).

use std::path::{Path, PathBuf};

use captest_format::files::{self, prefix_of, prefixed, stem};

use crate::error::AnalyzeError;

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
    /// `PREFIX_latency.hdr` (captest runs: per-second HDR histograms).
    pub latency: Option<PathBuf>,
}

impl RunFiles {
    /// Finds the run of `given`: one of its files, or its prefix. A directory holding exactly one
    /// run (one `*_stats.csv` or `*_stats_history.csv`) is accepted too.
    pub fn locate(given: &Path) -> Result<RunFiles, AnalyzeError> {
        let text = given.to_string_lossy();
        let prefix = match prefix_of(given) {
            Some(prefix) => prefix,
            None => Self::single_run_in(given)?.unwrap_or_else(|| given.to_owned()),
        };
        let existing = |suffix: &str| Some(prefixed(&prefix, suffix)).filter(|p| p.is_file());
        let found = RunFiles {
            history: existing(files::HISTORY),
            stats: existing(files::STATS),
            failures: existing(files::FAILURES),
            exceptions: existing(files::EXCEPTIONS),
            steps: existing(files::STEPS),
            events: existing(files::EVENTS),
            latency: existing(files::LATENCY_HDR),
            prefix: prefix.clone(),
        };
        if found.history.is_none() && found.stats.is_none() {
            return Err(AnalyzeError::NoRunFiles {
                given: text.into_owned(),
                tried: format!(
                    "{} and {}",
                    prefixed(&prefix, files::HISTORY).display(),
                    prefixed(&prefix, files::STATS).display()
                ),
            });
        }
        Ok(found)
    }

    /// The prefix of the one run in `dir`, if `dir` is a directory that holds exactly one; an
    /// error if the directory cannot be listed.
    fn single_run_in(dir: &Path) -> Result<Option<PathBuf>, AnalyzeError> {
        if !dir.is_dir() {
            return Ok(None);
        }
        let mut prefixes = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| AnalyzeError::read(dir, e))? {
            let name = entry.map_err(|e| AnalyzeError::read(dir, e))?.file_name();
            if let Some(stem) = stem(&name.to_string_lossy(), files::STATS) {
                prefixes.push(dir.join(stem));
            }
        }
        prefixes.sort();
        prefixes.dedup();
        Ok((prefixes.len() == 1).then(|| prefixes.remove(0)))
    }

    /// What the readers tolerate in these files and leave out, one sentence each naming the file
    /// and line: a last line without line end (a run killed while writing it), which is not read.
    pub fn warnings(&self) -> Vec<String> {
        let files = [
            &self.history,
            &self.stats,
            &self.failures,
            &self.exceptions,
            &self.steps,
            &self.events,
        ];
        files
            .into_iter()
            .flatten()
            .filter_map(|path| {
                let line = crate::lines::incomplete_last_line(path).ok()??;
                Some(format!(
                    "{}: line {line}: the last line has no line end (a run killed while writing?); it is left out",
                    path.display()
                ))
            })
            .collect()
    }

    /// A short name for the run: the prefix's file name.
    pub fn name(&self) -> String {
        self.prefix
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.prefix.display().to_string())
    }
}
