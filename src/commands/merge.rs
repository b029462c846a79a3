//! `captest merge`: the bundles of a sharded run's shards into one run's files, the same bytes
//! one process that recorded every request would have written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use captest_format::files::{self, prefixed};
use captest_runner::distributed::{
    merge, read_bundle, read_meta, MergeOptions, ShardBundleData, ShardPosition,
};

use super::staging::Staging;

/// `captest merge` flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Each shard's `--csv` prefix, or the directory holding its files (one shard per directory).
    #[arg(value_name = "DIR_OR_PREFIX", required = true)]
    shards: Vec<PathBuf>,
    /// Prefix of the merged run's files.
    #[arg(long = "csv", value_name = "PREFIX")]
    csv: PathBuf,
    /// Merge the shards given even when others are missing; the run is marked partial.
    #[arg(long = "allow-partial")]
    allow_partial: bool,
}

/// Runs `captest merge`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    super::output_paths::prepare_prefix(&args.csv, "--csv")?;
    let mut bundles = Vec::new();
    for shard in &args.shards {
        let prefix = shard_prefix(shard)?;
        bundles.push(read_bundle(&prefix)?);
    }
    let written = merge_staged(&bundles, &args.csv, args.allow_partial)?;
    warn_if_partial(&args.csv);
    for file in &written {
        outln!("{}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Merges `bundles` into a hidden staging directory beside `prefix`, then renames the files
/// into place: a merge that fails part way (a record found bad while replaying) leaves nothing
/// under `prefix`, and an earlier merge there stays whole. The files' final paths.
fn merge_staged(
    bundles: &[ShardBundleData],
    prefix: &Path,
    allow_partial: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let directory = super::output_paths::directory_of(prefix);
    let stem = prefix.file_name().unwrap_or_default().to_string_lossy();
    let staging = Staging::new(&directory, &format!("{stem}.merge"))?;
    let options = MergeOptions {
        output: staging.dir().join(&*stem),
        allow_partial,
    };
    let outcome = merge(bundles, &options)?;
    for (path, line) in &outcome.cut_lines {
        eprintln!(
            "warning: {}:{line}: the last line is cut short (a shard killed while writing it); merged without it",
            path.display()
        );
    }
    let names: Vec<String> = outcome
        .files
        .iter()
        .filter_map(|file| Some(file.file_name()?.to_string_lossy().into_owned()))
        .collect();
    staging.move_files_into(&names, &directory)?;
    Ok(names.iter().map(|name| directory.join(name)).collect())
}

/// The prefix of the shard `given`: itself when `PREFIX_shard.json` exists, else the one prefix
/// of a `*_shard.json` in the directory `given`.
fn shard_prefix(given: &Path) -> anyhow::Result<PathBuf> {
    if prefixed(given, files::SHARD_META).is_file() {
        return Ok(given.to_owned());
    }
    if !given.is_dir() {
        bail!(
            "{}: no shard bundle here (expected {} or a directory holding one)",
            given.display(),
            prefixed(given, files::SHARD_META).display()
        );
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(given).with_context(|| given.display().to_string())? {
        let path = entry.with_context(|| given.display().to_string())?.path();
        let text = path.to_string_lossy();
        if let Some(prefix) = text.strip_suffix(files::SHARD_META) {
            found.push(PathBuf::from(prefix));
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!(
            "{}: no *{} in this directory",
            given.display(),
            files::SHARD_META
        ),
        _ => bail!(
            "{}: {} shard bundles in this directory; give their prefixes instead",
            given.display(),
            found.len()
        ),
    }
}

/// Prints a warning when the run under `prefix` is a partial merge (`--allow-partial`): its
/// figures are only those of the shards merged. Nothing for other runs.
pub fn warn_if_partial(prefix: &Path) {
    let Ok(meta) = read_meta(prefix) else {
        return;
    };
    if let ShardPosition::Merged {
        merged,
        count,
        missing,
        partial: true,
        lost,
    } = &meta.shard
    {
        let lost = match lost.is_empty() {
            true => String::new(),
            false => format!(", lost mid-run {lost:?}"),
        };
        eprintln!(
            "warning: {}: partial run, {} of {count} shards merged (missing {missing:?}{lost}): its figures are only theirs",
            prefix.display(),
            merged.len()
        );
    }
}
