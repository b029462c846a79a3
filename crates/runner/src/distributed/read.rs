//! Reads a shard's bundle back: its description whole, its ticks line by line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use captest_format::files::{self, prefixed};
use serde::Deserialize as _;

use super::error::BundleError;
use super::meta::{ShardMeta, BUNDLE_FORMAT};
use super::record::SecondRecord;

/// One shard's bundle: its description; its ticks are read as a merge replays them
/// ([`SecondsReader`]), so a merge holds one tick a shard, not the files.
#[derive(Debug, Clone)]
pub struct ShardBundleData {
    /// The shard's prefix.
    pub prefix: PathBuf,
    /// Its `_shard.json`.
    pub meta: ShardMeta,
}

/// Reads the description of the bundle under `prefix` and checks its ticks' file opens.
pub fn read_bundle(prefix: &Path) -> Result<ShardBundleData, BundleError> {
    let meta = read_meta(prefix)?;
    SecondsReader::open(prefix)?;
    Ok(ShardBundleData {
        prefix: prefix.to_owned(),
        meta,
    })
}

/// The `_shard.json` under `prefix` (a shard's, or a merged run's).
pub fn read_meta(prefix: &Path) -> Result<ShardMeta, BundleError> {
    let meta_path = prefixed(prefix, files::SHARD_META);
    let text = std::fs::read_to_string(&meta_path).map_err(|e| BundleError::io(&meta_path, e))?;
    let meta: ShardMeta = serde_json::from_str(&text).map_err(|e| BundleError::Parse {
        path: meta_path.clone(),
        line: e.line(),
        message: format!("expected a shard description: {e}"),
    })?;
    if meta.format != BUNDLE_FORMAT {
        return Err(BundleError::Parse {
            path: meta_path,
            line: 1,
            message: format!(
                "bundle format {} (this captest reads {BUNDLE_FORMAT})",
                meta.format
            ),
        });
    }
    Ok(meta)
}

/// The ticks of a shard's `_shard_seconds.jsonl`, one JSON record a line, strictly increasing
/// `now` (CR before a line end is allowed). A last line cut short (no line end: the shard was
/// killed while writing it) is left out and said by [`cut_line`](Self::cut_line); any other
/// line that does not parse is an error naming the file and line.
#[derive(Debug)]
pub struct SecondsReader {
    path: PathBuf,
    lines: BufReader<File>,
    buffer: Vec<u8>,
    line: usize,
    previous: Option<i64>,
    cut_line: Option<usize>,
}

impl SecondsReader {
    /// Opens the ticks of the bundle under `prefix`.
    pub fn open(prefix: &Path) -> Result<Self, BundleError> {
        let path = prefixed(prefix, files::SHARD_SECONDS);
        let file = File::open(&path).map_err(|e| BundleError::io(&path, e))?;
        Ok(SecondsReader {
            path,
            lines: BufReader::with_capacity(1 << 16, file),
            buffer: Vec::new(),
            line: 0,
            previous: None,
            cut_line: None,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the next tick into `record`, reusing its buffers (a merge reads millions of entry
    /// records: their names, histograms and buckets are read into the strings and vectors the
    /// previous tick left); the tick's 1-based line, `None` at the end (`record` is then left as
    /// it was).
    pub fn next_record_into(
        &mut self,
        record: &mut SecondRecord,
    ) -> Result<Option<usize>, BundleError> {
        loop {
            self.buffer.clear();
            let read = self.lines.read_until(b'\n', &mut self.buffer);
            let read = read.map_err(|e| BundleError::io(&self.path, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.buffer.pop() != Some(b'\n') {
                // The piece after the last line end: a line cut short.
                self.cut_line = Some(self.line);
                return Ok(None);
            }
            if self.parse_line(record)? {
                return Ok(Some(self.line));
            }
        }
    }

    /// The line left out for being cut short, once the end is read.
    pub fn cut_line(&self) -> Option<usize> {
        self.cut_line
    }

    /// Reads the line in the buffer into `record`; `false` for a blank line.
    fn parse_line(&mut self, record: &mut SecondRecord) -> Result<bool, BundleError> {
        let raw = self.buffer.as_slice();
        let text = std::str::from_utf8(raw).map_err(|e| {
            let at = e.valid_up_to();
            self.error(format!(
                "byte {} is not UTF-8 text (0x{:02X})",
                at + 1,
                raw[at]
            ))
        })?;
        if text.trim().is_empty() {
            return Ok(false);
        }
        // What `serde_json::from_str` does, into the record's own buffers.
        let mut json = serde_json::Deserializer::from_str(text);
        SecondRecord::deserialize_in_place(&mut json, record)
            .and_then(|()| json.end())
            .map_err(|e| self.error(format!("expected one tick's record: {e}")))?;
        if let Some(previous) = self.previous.filter(|&p| p >= record.now) {
            return Err(self.error(format!(
                "tick {} is not after the previous record's ({previous}): a shard writes one record a second, in order",
                record.now
            )));
        }
        self.previous = Some(record.now);
        Ok(true)
    }

    fn error(&self, message: String) -> BundleError {
        BundleError::Parse {
            path: self.path.clone(),
            line: self.line,
            message,
        }
    }
}
