//! The baselines store: the one directory where `baseline save` puts runs and where `compare`,
//! `check` and `report --baseline` look names up. The root flag `--baselines DIR`
//! (`CAPTEST_BASELINES`, default `baselines`) sets it for every command.

use std::path::{Path, PathBuf};

use anyhow::Context;
use captest_analyze::RunFiles;
use captest_format::files::META_JSON;

/// Where stored baselines live.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir`.
    pub fn new(dir: PathBuf) -> Store {
        Store { dir }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a stored baseline `name` is: `DIR/NAME/NAME` (its files' prefix) when that holds a
    /// run, else the directory `DIR/NAME`; `None` when nothing is stored under `name`.
    pub fn stored(&self, name: &str) -> Option<PathBuf> {
        let stored = self.dir.join(name);
        if !stored.is_dir() {
            return None;
        }
        let prefix = stored.join(name);
        Some(if RunFiles::locate(&prefix).is_ok() {
            prefix
        } else {
            stored
        })
    }

    /// The prefixes of every run stored under `name`, the first saved first: the runs listed in
    /// `meta.json`'s `runs` (kept by `baseline save --append`), or the one run of a baseline saved
    /// without it. `None` when nothing is stored under `name`.
    pub fn stored_runs(&self, name: &str) -> anyhow::Result<Option<Vec<PathBuf>>> {
        let Some(first) = self.stored(name) else {
            return Ok(None);
        };
        let dir = self.dir.join(name);
        Ok(Some(match appended_runs(&dir)? {
            Some(prefixes) => prefixes.iter().map(|p| dir.join(p)).collect(),
            None => vec![first],
        }))
    }
}

/// The run prefixes (file names in `dir`) of `meta.json`'s `runs` list; `None` without a list.
pub fn appended_runs(dir: &Path) -> anyhow::Result<Option<Vec<String>>> {
    let path = dir.join(META_JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    let meta: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let Some(runs) = meta.get("runs") else {
        return Ok(None);
    };
    let prefixes = runs
        .as_array()
        .map(|runs| {
            runs.iter()
                .map(|run| {
                    run.get("prefix")
                        .and_then(|p| p.as_str())
                        .map(str::to_owned)
                })
                .collect::<Option<Vec<String>>>()
        })
        .and_then(|p| p)
        .with_context(|| {
            format!(
                "{}: `runs` must be a list of {{\"prefix\": \"NAME\", …}}",
                path.display()
            )
        })?;
    if let Some(bad) = prefixes
        .iter()
        .find(|p| p.is_empty() || p.contains(['/', '\\']) || p.starts_with('.'))
    {
        anyhow::bail!(
            "{}: run prefix {bad:?} is not a file name in the baseline's directory",
            path.display()
        );
    }
    Ok(Some(prefixes))
}
