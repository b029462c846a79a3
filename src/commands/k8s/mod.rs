//! `captest k8s render`: the Kubernetes manifests of a distributed run, printed as YAML — the
//! scenario's ConfigMap, a results volume, the coordinator Job and Service, and an Indexed Job
//! of N shards (deploy/k8s/README.md).

mod manifests;
mod yaml;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

use manifests::{Plan, SCENARIO_DIR, SCENARIO_KEY};

/// The Kubernetes version the manifests are written for and validated against:
/// `backoffLimitPerIndex` and `podFailurePolicy` are GA (on by default) from 1.33.
pub const KUBERNETES_VERSION: &str = "1.33";

/// A ConfigMap holds at most 1 MiB.
const CONFIG_MAP_LIMIT: u64 = 1 << 20;

/// `captest k8s` subcommands.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Print the manifests of a distributed run (ConfigMap, results volume, coordinator Job and
    /// Service, Indexed Job of shards) as YAML for `kubectl apply -f -`.
    Render(RenderArgs),
}

/// The load command the shards and the coordinator run.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LoadCommand {
    Run,
    Step,
    Rate,
}

/// `captest k8s render` flags; the load command and its flags come last.
#[derive(Debug, clap::Args)]
struct RenderArgs {
    /// Number of shard pods (the Indexed Job's completions and parallelism).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    shards: u32,
    /// Container image with captest as its entrypoint (deploy/image.sh builds captest:local).
    #[arg(long, default_value = "captest:local")]
    image: String,
    /// Namespace of every object.
    #[arg(long, default_value = "default")]
    namespace: String,
    /// Prefix of every object's name (NAME-coordinator, NAME-shards, NAME-results…).
    #[arg(long, default_value = "captest")]
    name: String,
    /// Scenario file, put in a ConfigMap and given to every pod.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Size of the results volume (ReadWriteMany).
    #[arg(long, default_value = "1Gi")]
    storage: String,
    /// Storage class of the results volume (default: the cluster's).
    #[arg(long = "storage-class")]
    storage_class: Option<String>,
    /// run, step or rate.
    #[arg(value_enum)]
    command: LoadCommand,
    /// That command's flags (e.g. --host http://api:8080 -u 100 -r 10 -t 10m).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "FLAGS"
    )]
    flags: Vec<String>,
}

/// Runs `captest k8s`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Render(render) => {
            let plan = plan(render)?;
            out!(
                "# captest k8s render: Kubernetes {KUBERNETES_VERSION} or later (backoffLimitPerIndex)\n{}",
                yaml::stream(&plan.documents())
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The flags the manifests set themselves, refused among the load flags.
const SET_BY_RENDER: [&str; 5] = [
    "--csv",
    "--shard",
    "--start-at",
    "--coordinator",
    "--scenario",
];

/// The validated plan of `captest k8s render`.
fn plan(args: RenderArgs) -> anyhow::Result<Plan> {
    check_dns_label(&args.name, "--name", 40)?;
    check_dns_label(&args.namespace, "--namespace", 63)?;
    check_quantity(&args.storage)?;
    if args.image.is_empty() || args.image.contains(char::is_whitespace) {
        bail!(
            "--image {:?}: expected an image reference such as captest:local",
            args.image
        );
    }
    let scenario = args.scenario.as_deref().map(read_scenario).transpose()?;
    let command = clap::ValueEnum::to_possible_value(&args.command)
        .map(|value| value.get_name().to_owned())
        .context("the load command")?;
    let mut load_args = Vec::new();
    if scenario.is_some() {
        load_args.push(format!("{SCENARIO_DIR}/{SCENARIO_KEY}"));
    }
    load_args.extend(args.flags);
    check_load_flags(args.command, &command, &load_args, scenario.is_some())?;
    Ok(Plan {
        name: args.name,
        namespace: args.namespace,
        image: args.image,
        shards: args.shards,
        command,
        load_args,
        scenario,
        storage: args.storage,
        storage_class: args.storage_class,
    })
}

fn read_scenario(path: &std::path::Path) -> anyhow::Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("--scenario {}: cannot read", path.display()))?
        .len();
    if size > CONFIG_MAP_LIMIT {
        bail!(
            "--scenario {}: {size} bytes; expected at most 1 MiB, what a ConfigMap holds",
            path.display()
        );
    }
    std::fs::read_to_string(path)
        .with_context(|| format!("--scenario {}: cannot read as UTF-8 text", path.display()))
}

/// The load flags parse as `captest COMMAND` parses them, and leave to the manifests what they set.
fn check_load_flags(
    which: LoadCommand,
    command: &str,
    load_args: &[String],
    has_scenario: bool,
) -> anyhow::Result<()> {
    for flag in load_args {
        if let Some(set) = SET_BY_RENDER
            .iter()
            .find(|set| flag == *set || flag.starts_with(&format!("{set}=")))
        {
            bail!("k8s render: leave {set} out of the {command} flags; the manifests set it (the scenario with k8s render's own --scenario FILE, before {command})");
        }
    }
    let given = load_args.iter().skip(usize::from(has_scenario));
    if let Some(file) = given
        .clone()
        .find(|a| a.ends_with(".toml") && !a.starts_with('-'))
    {
        bail!("k8s render: {file}: give the scenario file as --scenario {file} before {command}; it goes in a ConfigMap");
    }
    let parser = match which {
        LoadCommand::Run => {
            <super::run::Args as clap::Args>::augment_args(clap::Command::new("run"))
        }
        LoadCommand::Step => {
            <super::step::Args as clap::Args>::augment_args(clap::Command::new("step"))
        }
        LoadCommand::Rate => {
            <super::rate::Args as clap::Args>::augment_args(clap::Command::new("rate"))
        }
    };
    let argv = std::iter::once(command.to_owned()).chain(load_args.iter().cloned());
    let matches = match parser.try_get_matches_from(argv) {
        Ok(matches) => matches,
        Err(error) => {
            let rendered = error.render().to_string();
            let line = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid flags");
            bail!(
                "k8s render: the {command} flags: {}",
                line.trim_start_matches("error: ")
            );
        }
    };
    // A Job has to end: `run` and `rate` without a run time or stages would run until stopped.
    let ending: &[&str] = match which {
        LoadCommand::Run => &["run_time", "stages", "stages_file"],
        LoadCommand::Rate => &["run_time", "rps_stages", "rps_stages_file"],
        LoadCommand::Step => return Ok(()),
    };
    if !ending.iter().any(|id| matches.contains_id(id)) {
        bail!("k8s render: give {command} -t/--run-time (or stages): the pods run as Jobs, which must end");
    }
    Ok(())
}

/// `text` is a DNS label (RFC 1123: lowercase letters, digits, inner `-`) of at most `max` bytes.
fn check_dns_label(text: &str, flag: &str, max: usize) -> anyhow::Result<()> {
    let allowed = text
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if text.is_empty()
        || text.len() > max
        || !allowed
        || text.starts_with('-')
        || text.ends_with('-')
    {
        bail!("{flag} {text:?}: expected a DNS label of at most {max} characters (lowercase letters, digits and inner '-')");
    }
    Ok(())
}

/// `--storage` is a Kubernetes quantity: a number and an optional suffix (1Gi, 500Mi, 2G).
fn check_quantity(text: &str) -> anyhow::Result<()> {
    const SUFFIXES: [&str; 13] = [
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E",
    ];
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let number_ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit());
    if !number_ok || !SUFFIXES.contains(&&text[digits.len()..]) {
        bail!("--storage {text:?}: expected a Kubernetes quantity such as 1Gi, 500Mi or 10G");
    }
    Ok(())
}
