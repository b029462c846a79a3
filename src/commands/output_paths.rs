//! Output paths checked before any work: `--csv`'s directory, `--html`, `--junit`, `report -o`,
//! `demo --out` and the baselines store are probed (a file created in the directory and removed)
//! before the first request or the first file read, so a typo or a read-only mount is one line
//! and exit 2 at once — never after a long run, where it would hide the run's verdict.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use anyhow::bail;

/// The directory a file named `file` goes into (`.` for a bare name).
pub fn directory_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Checks that `directory` exists and that a file can be created in it (a probe file, created
/// and removed; permissions alone do not tell, e.g. for root on a read-only mount). `what` names
/// the output in the error (`--html r.html`).
pub fn check_directory(directory: &Path, what: &str) -> anyhow::Result<()> {
    if !directory.is_dir() {
        bail!(
            "{}: no such directory, for {what}; create it first",
            directory.display()
        );
    }
    let probe = directory.join(format!(".captest-probe-{}", std::process::id()));
    match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
    {
        Ok(file) => {
            drop(file);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(error) => bail!(
            "{}: cannot write in this directory, for {what}: {error}",
            directory.display()
        ),
    }
}

/// Checks that the file `file` (given with `flag`) can be written: its directory exists and is
/// writable, and `file` is not a directory.
pub fn check_file(file: &Path, flag: &str) -> anyhow::Result<()> {
    let what = format!("{flag} {}", file.display());
    if file.is_dir() {
        bail!(
            "{}: is a directory, for {what}; expected a file name",
            file.display()
        );
    }
    check_directory(&directory_of(file), &what)
}

/// Creates the directory of the files under `prefix` (`--csv results/run`: `results`) if needed,
/// and checks that files can be written there.
pub fn prepare_prefix(prefix: &Path, flag: &str) -> anyhow::Result<()> {
    let directory = directory_of(prefix);
    let what = format!("{flag} {}", prefix.display());
    if let Err(error) = std::fs::create_dir_all(&directory) {
        bail!(
            "{}: cannot create the directory, for {what}: {error}",
            directory.display()
        );
    }
    check_directory(&directory, &what)
}
