//! The baselines store: the one directory where `baseline save` puts runs and where `compare`,
//! `check` and `report --baseline` look names up. The root flag `--baselines DIR`
//! (`CAPTEST_BASELINES`, default `baselines`) sets it for every command.

use std::path::{Path, PathBuf};

use captest_analyze::RunFiles;

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
}
