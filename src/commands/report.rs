//! `captest report`: a self-contained HTML report of a run (captest's or Locust's files).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use captest_format::Warmup;
use captest_report::{render_run_report, ReportOptions, Templates};

use super::store::Store;

/// Arguments of `captest report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run: its prefix (`results/demo`) or any of its files.
    pub prefix: PathBuf,
    /// Output file (default: PREFIX_report.html).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Overlay and compare with a baseline: a name stored in baselines/ or a run prefix.
    #[arg(long)]
    pub baseline: Option<String>,
    /// Left out at the start of the run (shaded in the charts).
    #[arg(long, default_value = "0s")]
    pub warmup: Warmup,
    /// Directory with templates overriding the built-in ones (report.html, report.css).
    #[arg(long = "template-dir")]
    pub template_dir: Option<PathBuf>,
}

/// Where a baseline name or prefix points: a baseline stored under that name (as `captest
/// compare` resolves names) first, then the argument itself as a run prefix or file.
pub fn resolve_baseline(name: &str, store: &Store) -> anyhow::Result<PathBuf> {
    if let Some(stored) = store.stored(name) {
        return Ok(stored);
    }
    match captest_analyze::RunFiles::locate(Path::new(name)) {
        Ok(_) => Ok(PathBuf::from(name)),
        Err(error) => anyhow::bail!(
            "--baseline {name}: no stored baseline {} and {error}",
            store.dir().join(name).display()
        ),
    }
}

/// `PREFIX_report.html` for a prefix or one of the run's files.
pub fn default_output(prefix: &Path) -> anyhow::Result<PathBuf> {
    let files = captest_analyze::RunFiles::locate(prefix)?;
    let mut name = files.prefix.into_os_string();
    name.push("_report.html");
    Ok(PathBuf::from(name))
}

/// Runs `captest report`.
pub fn run(args: Args, store: &Store) -> anyhow::Result<ExitCode> {
    let templates = match &args.template_dir {
        Some(dir) => Templates::from_dir(dir)?,
        None => Templates::embedded(),
    };
    let output = match args.output {
        Some(path) => path,
        None => default_output(&args.prefix)?,
    };
    super::output_paths::check_file(&output, "-o/--output")?;
    let options = ReportOptions {
        warmup: args.warmup,
        baseline: args
            .baseline
            .as_deref()
            .map(|name| resolve_baseline(name, store))
            .transpose()?,
        templates,
    };
    let files = captest_analyze::RunFiles::locate(&args.prefix)?;
    for warning in files.warnings() {
        eprintln!("warning: {warning}");
    }
    super::merge::warn_if_partial(&files.prefix);
    let written = render_run_report(&args.prefix, &output, &options)?;
    outln!("wrote {}", written.display());
    Ok(ExitCode::SUCCESS)
}
