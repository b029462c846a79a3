//! Turning the parts of a scenario file into request steps: templates compiled into one shared
//! environment, names interned, checks, captures and event weights collected.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use minijinja::Environment;

use super::checks::check_calls;
use super::error::ScenarioError;
use super::model::{AuthFile, WaitFile};
use super::text::env_names;
use crate::client::Target;
use crate::dynamic::FUNCTION_NAMES;
use crate::metrics::EntryRegistry;
use crate::task::WaitTime;

/// Names templates may use without declaring them (minijinja's own globals).
pub const BUILTINS: [&str; 6] = ["range", "dict", "namespace", "debug", "loop", "body"];

/// What building the requests of a file needs and collects.
pub struct Loader<'a> {
    pub path: &'a Path,
    pub source: &'a str,
    pub target: &'a Target,
    pub registry: &'a EntryRegistry,
    pub env: Environment<'static>,
    pub templates: Vec<(String, usize)>,
    pub weights: Vec<f64>,
    /// The file's `auth`, for requests without their own.
    pub auth: Option<AuthFile>,
    /// The names of the file's data pools, for `next_row("name")`.
    pub pools: BTreeSet<String>,
}

impl Loader<'_> {
    pub fn error(&self, offset: usize, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.path, self.source, offset, message)
    }

    /// Compiles `text` as a template (named uniquely) and returns its name.
    pub fn template(&mut self, text: &str, offset: usize) -> Result<String, ScenarioError> {
        let name = format!("t{}", self.templates.len());
        self.env
            .add_template_owned(name.clone(), text.to_owned())
            .map_err(|e| {
                self.error(
                    offset,
                    format!(
                        "bad template: {}",
                        e.detail().unwrap_or(&e.kind().to_string())
                    ),
                )
            })?;
        check_calls(text, &self.pools).map_err(|m| self.error(offset, m))?;
        for variable in env_names(text) {
            if std::env::var(&variable).is_err() {
                return Err(self.error(offset, format!("environment variable {variable} is not set (the template calls env(\"{variable}\"))")));
            }
        }
        self.templates.push((name.clone(), offset));
        Ok(name)
    }

    /// Checks that every template only uses known variables.
    pub fn check_variables(
        &self,
        first_template: usize,
        known: &BTreeSet<String>,
    ) -> Result<(), ScenarioError> {
        for (name, offset) in &self.templates[first_template..] {
            let template = self
                .env
                .get_template(name)
                .map_err(|e| self.error(*offset, e.to_string()))?;
            for variable in template.undeclared_variables(false) {
                if !known.contains(&variable) {
                    let expected: Vec<&str> = known
                        .iter()
                        .map(String::as_str)
                        .filter(|k| !FUNCTION_NAMES.contains(k) && !BUILTINS.contains(k))
                        .collect();
                    return Err(self.error(*offset, format!(
                        "undefined variable {variable:?} in a template; expected one of the class's vars, captures or data pools: {}",
                        if expected.is_empty() { "(none declared)".to_owned() } else { expected.join(", ") }
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn wait(&self, wait: &Option<WaitFile>, offset: usize) -> Result<WaitTime, ScenarioError> {
        let duration = |text: &str| {
            humantime::parse_duration(text).map_err(|_| {
                self.error(
                    offset,
                    format!("wait {text:?}: expected a duration like 500ms or 2s"),
                )
            })
        };
        Ok(match wait {
            None => WaitTime::Constant(Duration::ZERO),
            Some(WaitFile::Constant(d)) => WaitTime::Constant(duration(d)?),
            Some(WaitFile::Between([low, high])) => {
                WaitTime::Between(duration(low)?, duration(high)?)
            }
            Some(WaitFile::Pacing(d)) => WaitTime::Pacing(duration(d)?),
            Some(WaitFile::Throughput(rate)) if *rate > 0.0 => WaitTime::Throughput(*rate),
            Some(WaitFile::Throughput(rate)) => {
                return Err(self.error(
                    offset,
                    format!("throughput must be > 0 tasks per second, got {rate}"),
                ))
            }
        })
    }
}
