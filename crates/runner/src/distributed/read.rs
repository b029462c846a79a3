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
}

/// Reads the bundle under `prefix`. A last line cut short (a shard killed while writing it) is
/// left out; any other line that does not parse is an error naming the file and line.
pub fn read_bundle(prefix: &Path) -> Result<ShardBundleData, BundleError> {
    let meta = read_meta(prefix)?;
    let seconds = read_seconds(prefix)?;
    Ok(ShardBundleData {
        prefix: prefix.to_owned(),
        meta,
        seconds,
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

fn read_seconds(prefix: &Path) -> Result<Vec<SecondRecord>, BundleError> {
    let seconds_path = prefixed(prefix, files::SHARD_SECONDS);
    let text =
        std::fs::read_to_string(&seconds_path).map_err(|e| BundleError::io(&seconds_path, e))?;
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    let mut seconds = Vec::new();
    for (index, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(line).map_err(|e| BundleError::Parse {
            path: seconds_path.clone(),
            line: index + 1,
            message: format!("expected one tick's record: {e}"),
        })?;
        seconds.push(record);
    }
    Ok(seconds)
}
