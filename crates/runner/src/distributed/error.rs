//! What can go wrong reading shard bundles or merging them.

use std::path::PathBuf;

/// A shard bundle that cannot be read, or shards that do not make one run.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error (in the message, not a source: it is said once).
        error: std::io::Error,
    },
    /// A line of a bundle file is not what the format says.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line (1 for the one-object `_shard.json`).
        line: usize,
        /// What was expected.
        message: String,
    },
    /// The shards are not parts of one run, or some are missing.
    #[error("{0}")]
    Mismatch(String),
    /// The merged files could not be written.
    #[error(transparent)]
    Write(#[from] crate::error::RunnerError),
}

impl BundleError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        BundleError::Io {
            path: path.to_owned(),
            error: source,
        }
    }
}
