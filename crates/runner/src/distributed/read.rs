//! Reads a shard's bundle back.

use std::path::{Path, PathBuf};

use captest_format::files::{self, prefixed};

use super::error::BundleError;
use super::meta::{ShardMeta, BUNDLE_FORMAT};
use super::record::SecondRecord;

/// One shard's bundle, read.
#[derive(Debug, Clone)]
pub struct ShardBundleData {
    /// The shard's prefix.
    pub prefix: PathBuf,
    /// Its `_shard.json`.
    pub meta: ShardMeta,
    /// Its ticks, in file order.
    pub seconds: Vec<SecondRecord>,
    /// The line of `_shard_seconds.jsonl` left out because it was cut short (no line end: the
    /// shard was killed while writing it), if any.
    pub cut_line: Option<usize>,
}

/// Reads the bundle under `prefix`. A last line cut short (a shard killed while writing it) is
/// left out; any other line that does not parse is an error naming the file and line.
pub fn read_bundle(prefix: &Path) -> Result<ShardBundleData, BundleError> {
    let meta = read_meta(prefix)?;
    let (seconds, cut_line) = read_seconds(prefix)?;
    Ok(ShardBundleData {
        prefix: prefix.to_owned(),
        meta,
        seconds,
        cut_line,
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

/// The ticks of `_shard_seconds.jsonl` (one JSON record a line, strictly increasing `now`; CR
/// before a line end is allowed) and the line left out for being cut short, if any.
fn read_seconds(prefix: &Path) -> Result<(Vec<SecondRecord>, Option<usize>), BundleError> {
    let path = prefixed(prefix, files::SHARD_SECONDS);
    let bytes = std::fs::read(&path).map_err(|e| BundleError::io(&path, e))?;
    let parse_error = |line: usize, message: String| BundleError::Parse {
        path: path.clone(),
        line,
        message,
    };
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // The piece after the last line end: empty, or a line cut short.
    let tail = lines.pop().unwrap_or_default();
    let cut_line = (!tail.is_empty()).then_some(lines.len() + 1);
    let mut seconds: Vec<SecondRecord> = Vec::with_capacity(lines.len());
    for (index, raw) in lines.into_iter().enumerate() {
        let line = index + 1;
        let text = std::str::from_utf8(raw).map_err(|e| {
            let at = e.valid_up_to();
            parse_error(
                line,
                format!("byte {} is not UTF-8 text (0x{:02X})", at + 1, raw[at]),
            )
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let record: SecondRecord = serde_json::from_str(text)
            .map_err(|e| parse_error(line, format!("expected one tick's record: {e}")))?;
        if let Some(previous) = seconds.last().filter(|p| p.now >= record.now) {
            return Err(parse_error(
                line,
                format!(
                    "tick {} is not after the previous record's ({}): a shard writes one record a second, in order",
                    record.now, previous.now
                ),
            ));
        }
        seconds.push(record);
    }
    Ok((seconds, cut_line))
}
