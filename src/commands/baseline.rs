//! `captest baseline save NAME PREFIX [--append]` and `captest baseline list`: the store that `compare`
//! resolves names from (`baselines/NAME/NAME_*.csv` + `meta.json`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use captest_analyze::RunFiles;
use captest_format::atomic::write_atomically;
use captest_format::files::{prefixed, META_JSON, SUFFIXES};

use super::staging::Staging;
use super::store::{appended_runs, Store};

/// Arguments of `captest baseline`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
    /// Directory of the store (the same as the root flag `--baselines`, which it overrides).
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
}

/// What to do with the store.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Copy a run's files into the store under NAME.
    Save {
        /// Name to store it under (letters, digits, '-', '_', '.').
        name: String,
        /// The run: its prefix or one of its files.
        prefix: PathBuf,
        /// Replace an existing baseline of that name.
        #[arg(long, conflicts_with = "append")]
        force: bool,
        /// Add the run to the baseline NAME (created if absent) instead of replacing it: a
        /// baseline of several runs, whose spread `compare NAME` tolerates.
        #[arg(long)]
        append: bool,
        /// The target host the run loaded, recorded in meta.json as `host` (the run's files do
        /// not hold it; `null` when not given).
        #[arg(long)]
        host: Option<String>,
        /// The command line that produced the run, recorded in meta.json as `command` (the run's
        /// files do not hold it; `null` when not given).
        #[arg(long = "command")]
        run_command: Option<String>,
    },
    /// List stored baselines.
    List,
}

fn git_commit() -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The name of the machine saving the baseline.
fn machine_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

/// What `meta.json` records about the run besides its files.
struct RunRecord {
    /// Target host of the run, as given with `--host`.
    host: Option<String>,
    /// Command line of the run, as given with `--command`.
    command: Option<String>,
}

/// Checks a baseline name: letters, digits, '-', '_' and '.', not starting with '.'.
fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || name.starts_with('.')
    {
        bail!("baseline name {name:?}: use letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

/// Copies the files of the run at `prefix` into `target` as `NEW_PREFIX_*`, each synced to disk;
/// returns their names.
fn copy_run(prefix: &Path, target: &Path, new_prefix: &str) -> anyhow::Result<Vec<String>> {
    let mut copied = Vec::new();
    for suffix in SUFFIXES {
        let source = prefixed(prefix, suffix);
        if source.is_file() {
            let file = format!("{new_prefix}{suffix}");
            let destination = target.join(&file);
            std::fs::copy(&source, &destination)
                .and_then(|_| std::fs::File::open(&destination)?.sync_all())
                .with_context(|| {
                    format!(
                        "{}: cannot copy to {}",
                        source.display(),
                        destination.display()
                    )
                })?;
            copied.push(file);
        }
    }
    Ok(copied)
}

fn save(
    store: &Path,
    name: &str,
    prefix: &Path,
    force: bool,
    record: RunRecord,
) -> anyhow::Result<()> {
    check_name(name)?;
    let files = RunFiles::locate(prefix)?;
    let target = store.join(name);
    if target.exists() && !force {
        bail!(
            "{}: a baseline named {name:?} exists; pass --force to replace it or --append to add this run to it",
            target.display()
        );
    }
    let staging = Staging::new(store, name)?;
    let copied = copy_run(&files.prefix, staging.dir(), name)?;
    let meta = serde_json::json!({
        "name": name,
        "saved_at": chrono_now(),
        "source": files.prefix.display().to_string(),
        "git_commit": git_commit(),
        "command": record.command,
        "host": record.host,
        "saved_with": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": machine_name(),
        "captest_version": env!("CARGO_PKG_VERSION"),
        "files": copied,
    });
    write_meta(staging.dir(), &meta)?;
    staging.publish(&target)?;
    outln!(
        "saved baseline {name} in {} ({} files)",
        target.display(),
        copied.len()
    );
    Ok(())
}

/// Writes `meta.json` in `target`, whole or not at all.
fn write_meta(target: &Path, meta: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(meta)?;
    write_atomically(&target.join(META_JSON), text.as_bytes())
        .map_err(|(path, e)| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
}

/// `baseline save NAME RUN --append`: adds the run as `NAME.runK_*` beside the baseline's first
/// run (`NAME_*`, which older captest versions and `check`/`report` keep reading) and lists every
/// run in `meta.json`'s `runs` (`prefix`, `source`, `saved_at`, `git_commit`, `host`, `command`,
/// `files`). A baseline that does not exist yet is saved as usual.
fn append(store: &Path, name: &str, prefix: &Path, record: RunRecord) -> anyhow::Result<()> {
    check_name(name)?;
    let target = store.join(name);
    if !target.exists() {
        return save(store, name, prefix, false, record);
    }
    let files = RunFiles::locate(prefix)?;
    let mut meta = read_meta(&target)?;
    if !meta.is_object() {
        meta = serde_json::json!({ "name": name });
    }
    let mut runs: Vec<serde_json::Value> = match appended_runs(&target)? {
        Some(_) => meta["runs"].as_array().cloned().unwrap_or_default(),
        None => vec![serde_json::json!({
            "prefix": name,
            "source": meta["source"],
            "saved_at": meta["saved_at"],
            "git_commit": meta["git_commit"],
            "host": meta["host"],
            "command": meta["command"],
            "files": meta["files"],
        })],
    };
    let mut index = runs.len() + 1;
    while RunFiles::locate(&target.join(format!("{name}.run{index}"))).is_ok() {
        index += 1;
    }
    let run_prefix = format!("{name}.run{index}");
    let staging = Staging::new(store, name)?;
    let copied = copy_run(&files.prefix, staging.dir(), &run_prefix)?;
    staging.move_files_into(&copied, &target)?;
    runs.push(serde_json::json!({
        "prefix": run_prefix,
        "source": files.prefix.display().to_string(),
        "saved_at": chrono_now(),
        "git_commit": git_commit(),
        "host": record.host,
        "command": record.command,
        "files": copied,
    }));
    let count = runs.len();
    meta["runs"] = serde_json::Value::Array(runs);
    if let Err(error) = write_meta(&target, &meta) {
        // Not listed, the run's files are taken out again: the baseline stays as it was.
        for file in &copied {
            let _ = std::fs::remove_file(target.join(file));
        }
        return Err(error);
    }
    outln!(
        "appended {} to baseline {name} in {} ({} files; {count} runs)",
        run_prefix,
        target.display(),
        copied.len()
    );
    Ok(())
}

/// Now as RFC 3339 UTC, from the system clock.
fn chrono_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn list(store: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(store) else {
        outln!("no baselines in {}", store.display());
        return Ok(());
    };
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list", store.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // A baseline being saved (or one left by a killed save) is hidden.
        if !entry.path().is_dir() || name.starts_with('.') {
            continue;
        }
        let meta = read_meta(&entry.path()).unwrap_or_else(|error| {
            eprintln!("warning: baseline {name}: {error:#}");
            serde_json::Value::Null
        });
        let commit = meta["git_commit"]
            .as_str()
            .map(|c| c.chars().take(10).collect())
            .unwrap_or_default();
        let saved = meta["saved_at"].as_str().unwrap_or("").to_owned();
        rows.push((name, saved, commit));
    }
    rows.sort();
    outln!("{:<24} {:<22} commit", "name", "saved at");
    for (name, saved, commit) in rows {
        outln!("{name:<24} {saved:<22} {commit}");
    }
    Ok(())
}

/// A stored baseline's `meta.json`; `null` when it has none, an error when it cannot be read or
/// parsed.
fn read_meta(dir: &Path) -> anyhow::Result<serde_json::Value> {
    let path = dir.join(META_JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(serde_json::Value::Null),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))
}

/// Runs `captest baseline`.
pub fn run(args: Args, store: &Store) -> anyhow::Result<ExitCode> {
    let dir = args.dir.as_deref().unwrap_or(store.dir());
    match args.action {
        Action::Save {
            name,
            prefix,
            force,
            append: append_run,
            host,
            run_command,
        } => {
            let record = RunRecord {
                host,
                command: run_command,
            };
            match append_run {
                true => append(dir, &name, &prefix, record)?,
                false => save(dir, &name, &prefix, force, record)?,
            }
        }
        Action::List => list(dir)?,
    }
    Ok(ExitCode::SUCCESS)
}
