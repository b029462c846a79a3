//! Writes a shard's bundle while it runs: `_shard.json` at the start (and again at the end, with
//! the exceptions and why it ended), one `_shard_seconds.jsonl` line per aggregator tick, flushed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use captest_format::files::{self, prefixed};
use hdrhistogram::serialization::V2Serializer;

use super::exact::ExactF64;
use super::link::CoordinatorLink;
use super::meta::ShardMeta;
use super::record::SecondRecord;
use super::report::ShardReport;
use super::slice::Slice;
use crate::error::RunnerError;
use crate::metrics::RunStats;

/// A shard's part in a distributed run: its share of the load, its bundle's description and,
/// in a coordinated run, its link to the coordinator (which gets what the bundle gets).
#[derive(Debug, Clone)]
pub struct ShardRun {
    /// Its share of the load.
    pub slice: Slice,
    /// Its bundle's description.
    pub meta: ShardMeta,
    /// Its coordinator (`--coordinator`).
    pub link: Option<Arc<CoordinatorLink>>,
}

/// The open bundle of a running shard.
pub struct ShardBundle {
    meta: ShardMeta,
    meta_path: PathBuf,
    seconds_path: PathBuf,
    seconds: BufWriter<File>,
    serializer: V2Serializer,
    link: Option<Arc<CoordinatorLink>>,
}

impl std::fmt::Debug for ShardBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardBundle")
            .field("meta_path", &self.meta_path)
            .finish_non_exhaustive()
    }
}

impl ShardBundle {
    /// Creates the bundle under `prefix` for the shard `run` whose statistics started at `start`
    /// (unix seconds).
    pub fn create(prefix: &Path, run: &ShardRun, start: f64) -> Result<Self, RunnerError> {
        let mut meta = run.meta.clone();
        meta.start = ExactF64(start);
        let meta_path = prefixed(prefix, files::SHARD_META);
        let seconds_path = prefixed(prefix, files::SHARD_SECONDS);
        write_meta(&meta_path, &meta)?;
        let file = File::create(&seconds_path).map_err(|e| RunnerError::io(&seconds_path, e))?;
        if let Some(link) = &run.link {
            link.report(ShardReport::Started(meta.clone()));
        }
        Ok(ShardBundle {
            meta,
            meta_path,
            seconds_path,
            seconds: BufWriter::new(file),
            serializer: V2Serializer::new(),
            link: run.link.clone(),
        })
    }

    /// Appends what `stats` merged at the tick `now`, with `users` running.
    pub fn append(&mut self, stats: &RunStats, now: i64, users: usize) -> Result<(), RunnerError> {
        let record = SecondRecord::of_last_second(
            stats,
            now,
            users,
            stats.last_request(),
            &mut self.serializer,
        )
        .map_err(|e| self.error(e))?;
        let mut line = serde_json::to_vec(&record).map_err(|e| self.error(e.to_string()))?;
        line.push(b'\n');
        let written = self
            .seconds
            .write_all(&line)
            .and_then(|_| self.seconds.flush())
            .map_err(|e| RunnerError::io(&self.seconds_path, e));
        if let Some(link) = &self.link {
            link.report(ShardReport::Second(record));
        }
        written
    }

    /// Rewrites `_shard.json` with the run's exceptions and why and when it ended;
    /// `ended_at` is the end the run's last step was cut at (unix seconds).
    pub fn finish(
        &mut self,
        stats: &RunStats,
        reason: &str,
        ended_at: f64,
    ) -> Result<(), RunnerError> {
        self.meta.exceptions = stats.exceptions().iter().map(Into::into).collect();
        self.meta.ended = Some(reason.to_owned());
        self.meta.ended_at = Some(ExactF64(ended_at));
        let written = write_meta(&self.meta_path, &self.meta);
        if let Some(link) = &self.link {
            link.report(ShardReport::Finished(self.meta.clone()));
        }
        written
    }

    /// The bundle's two files.
    pub fn paths(&self) -> [PathBuf; 2] {
        [self.meta_path.clone(), self.seconds_path.clone()]
    }

    fn error(&self, message: String) -> RunnerError {
        RunnerError::io(&self.seconds_path, std::io::Error::other(message))
    }
}

/// Writes `meta` to `path` (pretty JSON, a final newline), atomically.
pub(crate) fn write_meta(path: &Path, meta: &ShardMeta) -> Result<(), RunnerError> {
    let mut text = serde_json::to_vec_pretty(meta)
        .map_err(|e| RunnerError::io(path, std::io::Error::other(e.to_string())))?;
    text.push(b'\n');
    crate::sink::write_atomically(path, &text)
}
