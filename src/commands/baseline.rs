//! `captest baseline save NAME PREFIX` and `captest baseline list`: the store that `compare`
//! resolves names from (`baselines/NAME/NAME_*.csv` + `meta.json`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use captest_analyze::RunFiles;
use captest_format::files::{prefixed, META_JSON, SUFFIXES};

use super::store::Store;

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
        #[arg(long)]
        force: bool,
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

fn save(
    store: &Path,
    name: &str,
    prefix: &Path,
    force: bool,
    record: RunRecord,
) -> anyhow::Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || name.starts_with('.')
    {
        bail!("baseline name {name:?}: use letters, digits, '-', '_' and '.'");
    }
    let files = RunFiles::locate(prefix)?;
    let target = store.join(name);
    if target.exists() {
        if !force {
            bail!(
                "{}: a baseline named {name:?} exists; pass --force to replace it",
                target.display()
            );
        }
        std::fs::remove_dir_all(&target)
            .with_context(|| format!("{}: cannot replace", target.display()))?;
    }
    std::fs::create_dir_all(&target)
        .with_context(|| format!("{}: cannot create", target.display()))?;
    let mut copied = Vec::new();
    for suffix in SUFFIXES {
        let source = prefixed(&files.prefix, suffix);
        if source.is_file() {
            let destination = target.join(format!("{name}{suffix}"));
            std::fs::copy(&source, &destination).with_context(|| {
                format!(
                    "{}: cannot copy to {}",
                    source.display(),
                    destination.display()
                )
            })?;
            copied.push(
                destination
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
    }
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
    let path = target.join(META_JSON);
    std::fs::write(&path, serde_json::to_string_pretty(&meta)?)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    println!(
        "saved baseline {name} in {} ({} files)",
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
        println!("no baselines in {}", store.display());
        return Ok(());
    };
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list", store.display()))?;
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
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
    println!("{:<24} {:<22} commit", "name", "saved at");
    for (name, saved, commit) in rows {
        println!("{name:<24} {saved:<22} {commit}");
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
            host,
            run_command,
        } => save(
            dir,
            &name,
            &prefix,
            force,
            RunRecord {
                host,
                command: run_command,
            },
        )?,
        Action::List => list(dir)?,
    }
    Ok(ExitCode::SUCCESS)
}
