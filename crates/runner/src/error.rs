//! Errors of the runner library.

use std::path::{Path, PathBuf};

/// What can go wrong before or while running an experiment. Target failures (refused connections,
/// 500s, timeouts) are not errors: they are measured and counted.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The target URL is not usable.
    #[error("invalid host URL {url:?}: {reason}")]
    InvalidHost {
        /// The URL as given.
        url: String,
        /// What is wrong with it and what was expected.
        reason: String,
    },
    /// A load setting is out of range.
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// A client setting (TLS files, proxy, HTTP/2) cannot be used.
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
    /// The async runtime could not be built.
    #[error("could not start the runtime: {0}")]
    Runtime(std::io::Error),
}

impl RunnerError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        RunnerError::Io {
            path: path.to_owned(),
            source,
        }
    }
}
