//! A file appended in whole batches (`_stats_history.csv`, `_latency.hdr`): each batch with one
//! write; a batch that cannot be written whole (a full disk, a file-size limit) is cut off again,
//! so the file always ends with a complete batch, and nothing more is appended after it (a file
//! that ends early, never one with a gap or half a line).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::RunnerError;

/// A file appended in whole batches: a batch that cannot be written whole is cut off again, so
/// the file always ends with a complete batch.
#[derive(Debug)]
pub(crate) struct AppendOnly {
    path: PathBuf,
    file: File,
    /// Bytes of complete batches.
    length: u64,
    /// A batch failed: nothing more is appended (the file ends at its last complete batch).
    failed: bool,
}

impl AppendOnly {
    /// Creates (or truncates) `path`.
    pub(crate) fn create(path: &Path) -> Result<AppendOnly, RunnerError> {
        // Append mode: after a cut, the next write goes to the new end.
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|file| file.set_len(0).map(|()| file))
            .map_err(|e| RunnerError::io(path, e))?;
        Ok(AppendOnly {
            path: path.to_owned(),
            file,
            length: 0,
            failed: false,
        })
    }

    /// Whether a batch failed (nothing is appended any more).
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Appends `batch` with one write; on failure cuts the file back to its last complete batch
    /// and appends nothing more.
    pub(crate) fn append(&mut self, batch: &[u8]) -> Result<(), RunnerError> {
        if self.failed {
            return Ok(());
        }
        match self.file.write_all(batch) {
            Ok(()) => {
                self.length += batch.len() as u64;
                Ok(())
            }
            Err(error) => {
                self.failed = true;
                let _ = self.file.set_len(self.length);
                Err(RunnerError::io(&self.path, error))
            }
        }
    }
}
