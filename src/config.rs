//! `captest.toml`: every load flag can come from a config file in the working directory (or
//! `--config FILE`), with named profiles (`[profiles.stress]`, chosen with `--profile stress`).
//! Precedence, as in Locust: command-line flag > `CAPTEST_*` environment variable > profile >
//! top level of the file. The file's settings become the defaults of the flags whose `CAPTEST_*`
//! variables name them, so one parser (clap) serves all three sources.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Settings a config file may hold, by the environment variable clap reads them from.
pub const SETTINGS: &[&str] = &[
    "CAPTEST_ABORT_ON_FAIL",
    "CAPTEST_HOST",
    "CAPTEST_SCENARIO",
    "CAPTEST_PATH",
    "CAPTEST_WAIT",
    "CAPTEST_TIMEOUT",
    "CAPTEST_TAGS",
    "CAPTEST_EXCLUDE_TAGS",
    "CAPTEST_USERS",
    "CAPTEST_SPAWN_RATE",
    "CAPTEST_RUN_TIME",
    "CAPTEST_STAGES",
    "CAPTEST_SHARD",
    "CAPTEST_START_AT",
    "CAPTEST_START_GRACE",
    "CAPTEST_COORDINATOR",
    "CAPTEST_CSV",
    "CAPTEST_CSV_FULL_HISTORY",
    "CAPTEST_THREADS",
    "CAPTEST_HTML",
    "CAPTEST_THRESHOLD",
    "CAPTEST_START",
    "CAPTEST_STEP",
    "CAPTEST_EVERY",
    "CAPTEST_MAX_USERS",
    "CAPTEST_RPS",
    "CAPTEST_WAIT_FOR_TARGET",
    "CAPTEST_MAX_IN_FLIGHT",
    "CAPTEST_QUIET",
    "CAPTEST_STOP_TIMEOUT",
    "CAPTEST_STAGES_FILE",
    "CAPTEST_MAX_STEPS",
    "CAPTEST_STOP_ON",
    "CAPTEST_NO_AUTO_STOP",
    "CAPTEST_SETTLE",
    "CAPTEST_RATE",
    "CAPTEST_RPS_STAGES",
    "CAPTEST_RPS_STAGES_FILE",
    "CAPTEST_CACERT",
    "CAPTEST_CERT",
    "CAPTEST_KEY",
    "CAPTEST_INSECURE",
    "CAPTEST_TLS_RESUMPTION",
    "CAPTEST_HTTP2",
    "CAPTEST_NO_COOKIES",
    "CAPTEST_NO_KEEPALIVE",
    "CAPTEST_PROXY",
    "CAPTEST_USER_AGENT",
    "CAPTEST_MAX_BODY",
    "CAPTEST_BASELINES",
    "CAPTEST_METRICS",
    "CAPTEST_WEB",
    "CAPTEST_WEB_HOST",
    "CAPTEST_WEB_PORT",
    "CAPTEST_WEB_AUTH",
    "CAPTEST_AUTOSTART",
    "CAPTEST_HEADLESS",
];

/// The value of `--NAME VALUE` or `--NAME=VALUE` among `args`.
fn flag_value(args: &[String], name: &str) -> Option<String> {
    let long = format!("--{name}");
    let with_equals = format!("--{name}=");
    args.iter().enumerate().find_map(|(i, arg)| {
        if *arg == long {
            args.get(i + 1).cloned()
        } else {
            arg.strip_prefix(&with_equals).map(str::to_owned)
        }
    })
}

fn env_name(key: &str) -> String {
    format!("CAPTEST_{}", key.to_ascii_uppercase().replace('-', "_"))
}

fn text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(
            // thresholds and stop rules hold commas of their own; tags do not
            if items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| s.contains(['<', '>'])))
            {
                ";"
            } else {
                ","
            },
        ),
        other => other.to_string(),
    }
}

/// The settings of `table` as (environment variable, value); unknown keys are errors.
fn settings(
    path: &Path,
    table: &toml::Table,
    context: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    table
        .iter()
        .filter(|(key, _)| !(context.is_empty() && key.as_str() == "profiles"))
        .map(|(key, value)| {
            let name = env_name(key);
            if !SETTINGS.contains(&name.as_str()) {
                let known: Vec<String> = SETTINGS
                    .iter()
                    .map(|s| {
                        s.trim_start_matches("CAPTEST_")
                            .to_ascii_lowercase()
                            .replace('_', "-")
                    })
                    .collect();
                bail!(
                    "{}: unknown setting {key:?}{context}; expected one of {}",
                    path.display(),
                    known.join(", ")
                );
            }
            Ok((name, text(value)))
        })
        .collect()
}

/// Settings from the config file, by the `CAPTEST_*` variable of the flag each sets, in order of
/// precedence (the profile's before the top level's).
#[derive(Debug, Default)]
pub struct Defaults {
    settings: Vec<(String, String)>,
}

impl Defaults {
    /// The value the file gives the flag read from environment variable `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// `command` with each flag's default taken from the file, for every flag that has a
    /// `CAPTEST_*` variable (a flag beats its variable, which beats the file: clap reads the
    /// flag, then the variable, then this default).
    pub fn apply(&self, command: clap::Command) -> clap::Command {
        if self.settings.is_empty() {
            return command;
        }
        let command = command.mut_args(|arg| self.default_of(arg));
        command.mut_subcommands(|sub| self.apply(sub))
    }

    fn default_of(&self, arg: clap::Arg) -> clap::Arg {
        let value = (arg.get_env().and_then(|e| e.to_str())).and_then(|name| self.get(name));
        match value.map(str::to_owned) {
            Some(value) => arg.default_value(value),
            None => arg,
        }
    }
}

/// Reads the config file (if any): the settings it gives, for [`Defaults::apply`] to hand to
/// clap (no environment variable is set).
pub fn load(args: &[String]) -> anyhow::Result<Defaults> {
    let given = flag_value(args, "config").map(PathBuf::from);
    let path = match &given {
        Some(path) => path.clone(),
        None => PathBuf::from("captest.toml"),
    };
    let profile = flag_value(args, "profile");
    if !path.is_file() {
        if given.is_some() {
            bail!("{}: no such config file (--config)", path.display());
        }
        if let Some(profile) = profile {
            bail!("--profile {profile}: no captest.toml in this directory (or give --config FILE)");
        }
        return Ok(Defaults::default());
    }
    let source = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let table: toml::Table = toml::from_str(&source).map_err(|e| {
        let line = e.span().map_or(0, |s| {
            source[..s.start.min(source.len())].matches('\n').count() + 1
        });
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
    })?;
    let mut chosen = Vec::new();
    if let Some(name) = &profile {
        let profiles = table.get("profiles").and_then(|p| p.as_table());
        let Some(selected) = profiles
            .and_then(|p| p.get(name))
            .and_then(|p| p.as_table())
        else {
            let names: Vec<&String> = profiles.map(|p| p.keys().collect()).unwrap_or_default();
            bail!(
                "{}: no profile {name:?}; profiles: {}",
                path.display(),
                names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        chosen.extend(settings(&path, selected, &format!(" in profile {name}"))?);
    }
    chosen.extend(settings(&path, &table, "")?);
    Ok(Defaults { settings: chosen })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{env_name, SETTINGS};

    /// Every flag of `run`, `step` and `rate` can come from captest.toml under its long name, and
    /// every setting the file accepts is some flag's.
    #[test]
    fn every_load_flag_is_a_setting_named_after_it() {
        let mut cli = crate::Cli::command();
        cli.build(); // the root's global flags (--config, --baselines) reach the subcommands
        let mut used = std::collections::BTreeSet::new();
        for command in ["run", "step", "rate"] {
            let sub = cli.find_subcommand(command).expect("subcommand");
            for arg in sub.get_arguments() {
                let Some(long) = arg.get_long() else {
                    continue;
                };
                if matches!(long, "config" | "profile" | "help") {
                    continue;
                }
                let env = arg
                    .get_env()
                    .and_then(|e| e.to_str())
                    .unwrap_or_else(|| panic!("{command} --{long} has no CAPTEST_* variable"));
                assert_eq!(env, env_name(long), "{command} --{long}");
                assert!(SETTINGS.contains(&env), "{command} --{long}: {env}");
                used.insert(env.to_owned());
            }
        }
        for setting in SETTINGS {
            assert!(used.contains(*setting), "{setting} is no flag's");
        }
    }
}
