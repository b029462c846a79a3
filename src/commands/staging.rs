//! A baseline (or a merged run, `captest merge`) written whole or not at all: `baseline save` fills a hidden staging directory
//! (`.NAME.saving-PID`, which `baseline list` and name lookups skip: names do not start with
//! '.'), syncs it, then renames it to `NAME`. A full disk, an error or `kill -9` leaves either
//! no baseline, the previous one or the new one under `NAME` — never a half-written one. `--append`
//! stages the run's files beside the baseline's, renames them in, and rewrites `meta.json`
//! atomically last.

use std::path::{Path, PathBuf};

use anyhow::Context;
use captest_format::atomic::sync_directory;

/// A directory being filled; removed when dropped unless [`Staging::publish`] renamed it.
pub struct Staging {
    dir: PathBuf,
}

impl Staging {
    /// A fresh staging directory for the baseline `name` in `store` (the store created if
    /// needed).
    pub fn new(store: &Path, name: &str) -> anyhow::Result<Staging> {
        std::fs::create_dir_all(store)
            .with_context(|| format!("{}: cannot create the baselines store", store.display()))?;
        let dir = store.join(format!(".{name}.saving-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("{}: cannot remove", dir.display()))?;
        }
        std::fs::create_dir(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        Ok(Staging { dir })
    }

    /// The directory to fill.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Puts the staged baseline under `target` by renames only: `target` is absent, the old
    /// baseline or the new one at every moment (an old one is moved aside, then removed).
    pub fn publish(mut self, target: &Path) -> anyhow::Result<()> {
        sync_directory(&self.dir);
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let replaced = target.with_file_name(format!(".{name}.replaced-{}", std::process::id()));
        let had_one = target.exists();
        if had_one {
            std::fs::rename(target, &replaced)
                .with_context(|| format!("{}: cannot replace", target.display()))?;
        }
        if let Err(error) = std::fs::rename(&self.dir, target) {
            if had_one {
                let _ = std::fs::rename(&replaced, target);
            }
            return Err(error).with_context(|| format!("{}: cannot create", target.display()));
        }
        self.dir = PathBuf::new();
        sync_directory(target.parent().unwrap_or(Path::new(".")));
        if had_one {
            let _ = std::fs::remove_dir_all(&replaced);
        }
        Ok(())
    }

    /// Moves every staged file into the existing directory `target` (renames on one file
    /// system); on error, the files already moved are taken out again.
    pub fn move_files_into(self, files: &[String], target: &Path) -> anyhow::Result<()> {
        for (moved, file) in files.iter().enumerate() {
            let destination = target.join(file);
            if let Err(error) = std::fs::rename(self.dir.join(file), &destination) {
                for done in &files[..moved] {
                    let _ = std::fs::remove_file(target.join(done));
                }
                return Err(error)
                    .with_context(|| format!("{}: cannot create", destination.display()));
            }
        }
        sync_directory(target);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
