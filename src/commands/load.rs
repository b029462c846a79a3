//! Flags and helpers shared by the load commands (`run`, `step`, `rate`): target, scenario
//! shortcut, outputs, and turning a finished run into an exit code.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use captest_runner::client::Target;
use captest_runner::engine::RunReport;
use captest_runner::metrics::{EntryRegistry, RequestKey};
use captest_runner::steps::StepResult;
use captest_runner::task::{Acceptance, RequestStep, Scenario, Task, UserClass, WaitTime};

/// Parses a duration such as `30s`, `5m`, `1h30m` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("expected a duration like 30s, 5m or 1h30m ({e})"))
}

/// Parses a duration that must be longer than zero (`-t/--run-time`, `--timeout`): a run or a
/// request given no time at all would end before it measured anything.
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err("must be longer than 0 (e.g. 30s, 5m)".to_owned());
    }
    Ok(duration)
}

/// Parses a count of 1 or more (`--threads`, `--max-in-flight`).
pub fn parse_at_least_one(text: &str) -> Result<NonZeroUsize, String> {
    text.trim()
        .parse::<NonZeroUsize>()
        .map_err(|_| format!("expected a whole number of 1 or more, got {text:?}"))
}

/// Where `--metrics` given without an address listens (Prometheus' registry of exporter ports
/// has no captest entry; 9646 is unassigned there).
pub const DEFAULT_METRICS: &str = "127.0.0.1:9646";

/// Parses `--metrics`' address (`IP:PORT`; port 0 picks a free one).
pub fn parse_metrics_address(text: &str) -> Result<SocketAddr, String> {
    text.trim().parse::<SocketAddr>().map_err(|_| {
        format!("expected IP:PORT such as {DEFAULT_METRICS} or 0.0.0.0:9646, got {text:?}")
    })
}

/// Where to send load and what to request.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// Scenario file (TOML user classes and tasks); without one, users GET --path. A first
    /// argument that neither ends in .toml nor names a file is a class name, and the scenario
    /// comes from CAPTEST_SCENARIO or `scenario` in captest.toml.
    #[arg(value_name = "SCENARIO.toml")]
    pub scenario: Option<PathBuf>,
    /// User classes of the scenario to run (default: all).
    #[arg(value_name = "CLASS")]
    pub classes: Vec<String>,
    /// The scenario file, Locust's `-f` (also CAPTEST_SCENARIO, `scenario` in captest.toml);
    /// the positional arguments are then class names.
    #[arg(
        short = 'f',
        long = "scenario",
        env = "CAPTEST_SCENARIO",
        value_name = "FILE"
    )]
    pub configured_scenario: Option<PathBuf>,
    /// Run only the scenario's tasks with one of these tags (comma separated).
    #[arg(long, value_delimiter = ',', env = "CAPTEST_TAGS")]
    pub tags: Vec<String>,
    /// Leave out the scenario's tasks with one of these tags (comma separated).
    #[arg(
        long = "exclude-tags",
        value_delimiter = ',',
        env = "CAPTEST_EXCLUDE_TAGS"
    )]
    pub exclude_tags: Vec<String>,
    /// Base URL of the service under test, e.g. http://127.0.0.1:8080.
    #[arg(short = 'H', long, env = "CAPTEST_HOST")]
    pub host: Option<String>,
    /// Path each user requests (GET) when no scenario is given.
    #[arg(long, default_value = "/", env = "CAPTEST_PATH")]
    pub path: String,
    /// Pause between a user's requests (0s: none).
    #[arg(long, default_value = "0s", value_parser = parse_duration, env = "CAPTEST_WAIT")]
    pub wait: Duration,
    /// Before starting, wait up to this long for the host to accept connections (as an init
    /// container would), e.g. 60s.
    #[arg(long = "wait-for-target", value_parser = parse_duration, env = "CAPTEST_WAIT_FOR_TARGET")]
    pub wait_for_target: Option<Duration>,
    /// Per-request timeout (connect, send and whole body).
    #[arg(long, default_value = "60s", value_parser = parse_positive_duration, env = "CAPTEST_TIMEOUT")]
    pub timeout: Duration,
    /// TLS, HTTP/2, cookies, keep-alive, proxy.
    #[command(flatten)]
    pub client: super::client_flags::ClientArgs,
}

/// Outputs and engine settings.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Write Locust-compatible CSV files under this prefix (PREFIX_stats.csv, ...).
    #[arg(long = "csv", env = "CAPTEST_CSV")]
    pub csv: Option<PathBuf>,
    /// Write every entry (not only Aggregated) to PREFIX_stats_history.csv.
    #[arg(long = "csv-full-history", env = "CAPTEST_CSV_FULL_HISTORY")]
    pub csv_full_history: bool,
    /// Worker threads of the load generator (default: one per core).
    #[arg(long, env = "CAPTEST_THREADS", value_parser = parse_at_least_one)]
    pub threads: Option<NonZeroUsize>,
    /// Time in-flight requests get to finish when the run stops; those still waiting then are
    /// aborted and counted as `RunEnded` failures.
    #[arg(long = "stop-timeout", default_value = "10s", value_parser = parse_duration, env = "CAPTEST_STOP_TIMEOUT")]
    pub stop_timeout: Duration,
    /// No live table, no final summary.
    #[arg(short = 'q', long, env = "CAPTEST_QUIET")]
    pub quiet: bool,
    /// Write a self-contained HTML report here at the end (like Locust's --html).
    #[arg(long, env = "CAPTEST_HTML")]
    pub html: Option<PathBuf>,
    /// Gate checked on the finished run, e.g. 'p95<500ms', 'errors<1%' (repeatable; exit 1 when
    /// one is crossed, like `captest check`).
    #[arg(long = "threshold", env = "CAPTEST_THRESHOLD", value_delimiter = ';')]
    pub threshold: Vec<String>,
    /// Check the thresholds every second and stop the run as soon as one is crossed.
    #[arg(
        long = "abort-on-fail",
        requires = "threshold",
        env = "CAPTEST_ABORT_ON_FAIL"
    )]
    pub abort_on_fail: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics while the run lasts (ADDR defaults to
    /// 127.0.0.1:9646; put the flag after SCENARIO.toml or write --metrics=ADDR). Any address may
    /// be given, e.g. 0.0.0.0:9646 for a Prometheus on another machine: whoever can reach it can
    /// read the metrics (entry names, error texts, the host), with no authentication.
    #[arg(
        long,
        env = "CAPTEST_METRICS",
        value_name = "ADDR",
        num_args = 0..=1,
        default_missing_value = DEFAULT_METRICS,
        value_parser = parse_metrics_address
    )]
    pub metrics: Option<SocketAddr>,
    /// The live web page (`--web`) and Locust's spellings of its flags.
    #[command(flatten)]
    pub web: crate::web::WebArgs,
}

/// The environment variable (also set from captest.toml) naming the scenario file.
pub const SCENARIO_VAR: &str = "CAPTEST_SCENARIO";

impl TargetArgs {
    /// The scenario file and the class names to run, as Locust reads `locust -f FILE A B`: a
    /// first positional argument that ends in `.toml` or names an existing file is the scenario;
    /// otherwise every positional argument is a class name and the scenario comes from
    /// `CAPTEST_SCENARIO` (or `scenario` in captest.toml).
    pub fn scenario_and_classes(&self) -> anyhow::Result<(Option<PathBuf>, Vec<String>)> {
        let configured = self.configured_scenario.clone();
        let Some(first) = &self.scenario else {
            return Ok((configured, Vec::new()));
        };
        let is_scenario = first.extension().is_some_and(|e| e == "toml") || first.is_file();
        if is_scenario {
            return Ok((Some(first.clone()), self.classes.clone()));
        }
        let mut classes = vec![first.to_string_lossy().into_owned()];
        classes.extend(self.classes.iter().cloned());
        match configured {
            Some(scenario) => Ok((Some(scenario), classes)),
            None => bail!(
                "{}: not a scenario file (no such file, and no .toml ending), and no scenario is configured for these class names (give SCENARIO.toml first, set {SCENARIO_VAR}, or put scenario = \"FILE\" in captest.toml)",
                first.display()
            ),
        }
    }
}

/// The target URL, or the one-line error that names the ways to give it.
pub fn target_of(args: &TargetArgs) -> anyhow::Result<Target> {
    let Some(host) = args.host.as_deref() else {
        bail!(
            "no host given: pass --host URL, set CAPTEST_HOST=URL, or put host = \"URL\" in captest.toml"
        );
    };
    Ok(Target::parse(host)?)
}

/// A one-class, one-task scenario: GET `path` with a constant `wait`.
pub fn path_scenario(
    target: &Target,
    args: &TargetArgs,
    registry: &EntryRegistry,
) -> anyhow::Result<Scenario> {
    let path = args.path.as_str();
    if !path.starts_with('/') {
        bail!("--path must start with '/', got {path:?}");
    }
    let entry = registry.intern(&RequestKey::new("GET", path));
    let step = RequestStep::fixed(
        http::Method::GET,
        target.request_uri(path).context("--path")?,
        http::HeaderMap::new(),
        bytes::Bytes::new(),
        entry,
        Acceptance::Below400,
    );
    Ok(Scenario {
        classes: vec![UserClass {
            name: "User".to_owned(),
            weight: 1,
            fixed_count: None,
            wait: WaitTime::Constant(args.wait),
            on_start: vec![],
            vars: Default::default(),
            tasks: vec![Task {
                name: "get".to_owned(),
                weight: 1,
                steps: vec![step],
            }],
        }],
    })
}

/// Default worker threads: one per core.
pub fn default_threads() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// Prints where the files went and maps the outcome to an exit code: with thresholds, 1 when one
/// was crossed; without, Locust's (1 if any request failed or a template error was counted). A
/// file that could not be written while the run went on (a full disk) is one error line and exit
/// 2, after the figures.
pub fn finish(report: &RunReport, gates_passed: Option<bool>, quiet: bool) -> ExitCode {
    if let Some(error) = &report.write_error {
        let figures = match quiet {
            true => "",
            false => " (the figures above are the whole run's)",
        };
        eprintln!("error: {error}; the run's files end at their last complete second{figures}");
        return ExitCode::from(2);
    }
    if !quiet {
        for file in &report.files {
            outln!("wrote {}", file.display());
        }
    }
    let failed = match gates_passed {
        Some(passed) => !passed,
        None => report.failures() > 0 || !report.stats.exceptions().is_empty(),
    };
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads stages from `--stages` or `--stages-file` (one `DURATION:LEVEL` per line or comma
/// separated; `#` starts a comment).
pub fn stages_text(inline: Option<&str>, file: Option<&PathBuf>) -> anyhow::Result<Option<String>> {
    match (inline, file) {
        (Some(_), Some(_)) => bail!("give either --stages or --stages-file, not both"),
        (Some(text), None) => Ok(Some(text.to_owned())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the stages file", path.display()))?;
            let joined: Vec<&str> = text
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .collect();
            Ok(Some(joined.join(",")))
        }
        (None, None) => Ok(None),
    }
}

/// Prints the table of a stepped run's steps (steady part of each step).
pub fn print_steps(steps: &[StepResult]) {
    outln!("\nSteps (steady part of each step):");
    outln!(
        "{:>5} {:>8} {:>10} {:>9} {:>9} {:>9} {:>8}",
        "step",
        "users",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors"
    );
    for step in steps {
        outln!(
            "{:>5} {:>8} {:>10.1} {:>9.1} {:>9.1} {:>9.1} {:>7.2}%",
            step.index + 1,
            step.users,
            step.rps(),
            step.percentile_ms(50.0),
            step.percentile_ms(95.0),
            step.percentile_ms(99.0),
            step.error_pct()
        );
    }
    if let Some(reason) = steps.last().and_then(|s| s.stop_reason.as_deref()) {
        outln!("stopped: {reason}");
    }
}

/// Renders the HTML report of `run` into `html`.
pub fn write_html(
    run: &captest_analyze::Run,
    html: &std::path::Path,
    quiet: bool,
) -> anyhow::Result<()> {
    let written =
        captest_report::render_loaded_run(run, html, &captest_report::ReportOptions::default())
            .with_context(|| format!("{}: cannot write the HTML report", html.display()))?;
    if !quiet {
        outln!("wrote {}", written.display());
    }
    Ok(())
}

/// Polls `target` until it accepts a TCP connection, for at most `limit`.
pub fn wait_for(target: &Target, limit: Duration) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    loop {
        let addresses = std::net::ToSocketAddrs::to_socket_addrs(&target.connect_address());
        let reachable = addresses.ok().into_iter().flatten().any(|address| {
            std::net::TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok()
        });
        if reachable {
            return Ok(());
        }
        if started.elapsed() >= limit {
            bail!(
                "{} did not accept connections within {} (--wait-for-target)",
                target.url(),
                humantime::format_duration(limit)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
