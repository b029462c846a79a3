//! From the TOML model to the runner's [`Scenario`]: templates compiled once, names interned,
//! event weights collected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method};
use minijinja::{Environment, Value};

use super::error::ScenarioError;
use super::model::{CaptureFile, DataPool, RequestFile, ScenarioFile, UserFile, WaitFile};
use super::Selection;
use crate::client::Target;
use crate::dynamic::{
    register_functions, Capture, CaptureSource, DynamicRequest, ResponseCheck, FUNCTION_NAMES,
};
use crate::metrics::{EntryKey, EntryRegistry};
use crate::task::{Acceptance, RequestStep, Scenario, Task, UserClass, WaitTime};

/// Names templates may use without declaring them (minijinja's own globals).
const BUILTINS: [&str; 5] = ["range", "dict", "namespace", "debug", "loop"];

/// A loaded scenario and the business events per request, indexed by entry id.
#[derive(Debug)]
pub struct LoadedScenario {
    /// What users do.
    pub scenario: Scenario,
    /// Events per request by entry id (empty when no request declares events).
    pub event_weights: Vec<f64>,
}

struct Loader<'a> {
    path: &'a Path,
    source: &'a str,
    target: &'a Target,
    registry: &'a EntryRegistry,
    env: Environment<'static>,
    templates: Vec<(String, usize)>,
    weights: Vec<f64>,
}

fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

fn toml_to_value(value: &toml::Value) -> Value {
    Value::from_serialize(value)
}

/// The JSON text of a `json = {...}` body. A string value that is one whole `{{ expression }}`
/// becomes `{{ (expression) | tojson }}`, so numbers stay numbers and strings are quoted and
/// escaped; strings with text around a template stay strings.
fn json_body_text(value: &toml::Value) -> String {
    let mut expressions = Vec::new();
    fn walk(value: &toml::Value, expressions: &mut Vec<String>) -> serde_json::Value {
        match value {
            toml::Value::String(text) => {
                let trimmed = text.trim();
                let whole = trimmed.starts_with("{{")
                    && trimmed.ends_with("}}")
                    && trimmed.matches("{{").count() == 1;
                if whole {
                    expressions.push(trimmed[2..trimmed.len() - 2].trim().to_owned());
                    serde_json::Value::String(format!(
                        "\u{0}captest-expression-{}\u{0}",
                        expressions.len() - 1
                    ))
                } else {
                    serde_json::Value::String(text.clone())
                }
            }
            toml::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|v| walk(v, expressions)).collect())
            }
            toml::Value::Table(table) => serde_json::Value::Object(
                table
                    .iter()
                    .map(|(k, v)| (k.clone(), walk(v, expressions)))
                    .collect(),
            ),
            other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
        }
    }
    let mut text = walk(value, &mut expressions).to_string();
    for (index, expression) in expressions.iter().enumerate() {
        let placeholder =
            serde_json::Value::String(format!("\u{0}captest-expression-{index}\u{0}")).to_string();
        text = text.replacen(
            &placeholder,
            &format!("{{{{ ({expression}) | tojson }}}}"),
            1,
        );
    }
    text
}

/// The names `env("NAME")` calls in `source` ask for.
fn env_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("env(") {
        let after = rest[at + 4..].trim_start();
        if let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
            if let Some(end) = after[1..].find(quote) {
                names.push(after[1..1 + end].to_owned());
            }
        }
        rest = &rest[at + 4..];
    }
    names
}

impl Loader<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.path, self.source, offset, message)
    }

    /// Compiles `text` as a template (named uniquely) and returns its name.
    fn template(&mut self, text: &str, offset: usize) -> Result<String, ScenarioError> {
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
        for variable in env_names(text) {
            if std::env::var(&variable).is_err() {
                return Err(self.error(offset, format!("environment variable {variable} is not set (the template calls env(\"{variable}\"))")));
            }
        }
        self.templates.push((name.clone(), offset));
        Ok(name)
    }

    /// Checks that every template only uses known variables.
    fn check_variables(
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

    fn request(&mut self, request: &RequestFile) -> Result<RequestStep, ScenarioError> {
        let offset = request.path.span().start;
        let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| self.error(offset, format!("unknown method {:?}", request.method)))?;
        let mut path_text = request.path.get_ref().clone();
        if !path_text.starts_with('/') {
            return Err(self.error(offset, "path must start with '/'"));
        }
        if !request.query.is_empty() {
            let pairs: Vec<String> = request
                .query
                .iter()
                .map(|(k, v)| format!("{k}={}", v.get_ref()))
                .collect();
            path_text.push(if path_text.contains('?') { '&' } else { '?' });
            path_text.push_str(&pairs.join("&"));
        }
        let name = request
            .name
            .clone()
            .unwrap_or_else(|| request.path.get_ref().clone());
        let entry = self.registry.intern(&EntryKey::new(method.as_str(), name));
        if let Some(events) = request.events {
            let index = entry.0 as usize;
            if self.weights.len() <= index {
                self.weights.resize(index + 1, 0.0);
            }
            self.weights[index] = events;
        }
        let mut headers = HeaderMap::new();
        let mut dynamic = DynamicRequest {
            env: Arc::new(Environment::new()),
            path: None,
            body: None,
            headers: Vec::new(),
        };
        let uri = if is_template(&path_text) {
            dynamic.path = Some(self.template(&path_text, offset)?);
            self.target
                .request_uri("/")
                .map_err(|e| self.error(offset, e.to_string()))?
        } else {
            self.target
                .request_uri(&path_text)
                .map_err(|e| self.error(offset, e.to_string()))?
        };
        for (key, value) in &request.headers {
            let header = HeaderName::from_bytes(key.as_bytes()).map_err(|_| {
                self.error(value.span().start, format!("invalid header name {key:?}"))
            })?;
            if is_template(value.get_ref()) {
                let template = self.template(value.get_ref(), value.span().start)?;
                dynamic.headers.push((header, template));
            } else {
                let parsed = HeaderValue::from_str(value.get_ref())
                    .map_err(|_| self.error(value.span().start, "invalid header value"))?;
                headers.insert(header, parsed);
            }
        }
        let (body_text, body_offset) = match (&request.json, &request.body) {
            (Some(_), Some(body)) => {
                return Err(self.error(body.span().start, "give either json or body, not both"))
            }
            (Some(json), None) => {
                headers
                    .entry(CONTENT_TYPE)
                    .or_insert(HeaderValue::from_static("application/json"));
                (Some(json_body_text(json.get_ref())), json.span().start)
            }
            (None, Some(body)) => (Some(body.get_ref().clone()), body.span().start),
            (None, None) => (None, 0),
        };
        let mut body = Bytes::new();
        if let Some(text) = body_text {
            if is_template(&text) {
                dynamic.body = Some(self.template(&text, body_offset)?);
            } else {
                body = Bytes::from(text);
            }
        }
        let mut step = RequestStep::fixed(
            method,
            uri,
            headers,
            body,
            entry,
            if request.expect.is_empty() {
                Acceptance::Below400
            } else {
                Acceptance::Statuses(request.expect.clone())
            },
        );
        if let Some(text) = &request.contains {
            step.checks.push(ResponseCheck::Contains(text.clone()));
        }
        if let Some(pointer) = &request.json_exists {
            step.checks.push(ResponseCheck::JsonExists(pointer.clone()));
        }
        for (var, source) in &request.capture {
            let source = match source {
                CaptureFile::Json(pointer) => CaptureSource::Json(pointer.clone()),
                CaptureFile::Header(name) => CaptureSource::Header(name.to_ascii_lowercase()),
                CaptureFile::Regex(pattern) => {
                    CaptureSource::Regex(regex::Regex::new(pattern).map_err(|e| {
                        self.error(offset, format!("capture {var}: bad regex: {e}"))
                    })?)
                }
            };
            step.captures.push(Capture {
                var: var.clone(),
                source,
            });
        }
        if let Some(timeout) = &request.timeout {
            step.timeout = Some(humantime::parse_duration(timeout).map_err(|_| {
                self.error(
                    offset,
                    format!("timeout {timeout:?}: expected a duration like 5s"),
                )
            })?);
        }
        if dynamic.path.is_some() || dynamic.body.is_some() || !dynamic.headers.is_empty() {
            step.dynamic = Some(Arc::new(dynamic));
        }
        Ok(step)
    }

    fn wait(&self, wait: &Option<WaitFile>, offset: usize) -> Result<WaitTime, ScenarioError> {
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

fn captures_of(user: &UserFile) -> impl Iterator<Item = &String> {
    user.on_start
        .iter()
        .chain(user.sequence.iter())
        .chain(user.tasks.iter().flat_map(|t| t.requests.iter()))
        .flat_map(|r| r.capture.keys())
}

fn read_pool(path: &Path, pool: &super::model::CsvPool) -> Result<Vec<Value>, String> {
    let file = path.parent().unwrap_or(Path::new(".")).join(&pool.csv);
    let mut reader = csv::Reader::from_path(&file)
        .map_err(|e| format!("cannot read data file {}: {e}", file.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", file.display()))?
        .clone();
    let column = match &pool.column {
        Some(column) => Some(
            headers
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| format!("{}: no column {column:?}", file.display()))?,
        ),
        None => None,
    };
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| format!("{}: {e}", file.display()))?;
            Ok(match column {
                Some(index) => Value::from(record.get(index).unwrap_or("").to_owned()),
                None => Value::from_serialize(
                    headers
                        .iter()
                        .zip(record.iter())
                        .collect::<BTreeMap<_, _>>(),
                ),
            })
        })
        .collect()
}

/// Reads `path`, checks everything and builds the scenario against `target`.
pub fn load_scenario(
    path: &Path,
    target: &Target,
    registry: &EntryRegistry,
    selection: &Selection,
) -> Result<LoadedScenario, ScenarioError> {
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        path: path.to_owned(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })?;
    let file: ScenarioFile = toml::from_str(&source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ScenarioError::at(path, &source, offset, e.message().to_owned())
    })?;
    let mut env = Environment::new();
    // A variable that is not set (a capture that failed) is an error, not an empty string.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let mut globals: BTreeSet<String> = FUNCTION_NAMES
        .iter()
        .chain(BUILTINS.iter())
        .map(|s| (*s).to_owned())
        .collect();
    let mut pools = Vec::new();
    for (name, pool) in &file.data {
        let rows = match pool.get_ref() {
            DataPool::Inline(values) => values.iter().map(toml_to_value).collect(),
            DataPool::File(csv_pool) => read_pool(path, csv_pool)
                .map_err(|m| ScenarioError::at(path, &source, pool.span().start, m))?,
        };
        env.add_global(name.clone(), Value::from(rows.clone()));
        globals.insert(name.clone());
        pools.push((name.clone(), rows));
    }
    for (name, value) in &file.vars {
        env.add_global(name.clone(), toml_to_value(value));
        globals.insert(name.clone());
    }
    register_functions(&mut env, pools);
    let mut loader = Loader {
        path,
        source: &source,
        target,
        registry,
        env,
        templates: Vec::new(),
        weights: Vec::new(),
    };
    let known_classes: Vec<&str> = file.users.iter().map(|u| u.name.as_str()).collect();
    for wanted in &selection.classes {
        if !known_classes.contains(&wanted.as_str()) {
            return Err(ScenarioError::at(
                path,
                &source,
                0,
                format!(
                    "no user class {wanted:?}; the file defines {}",
                    known_classes.join(", ")
                ),
            ));
        }
    }
    // Build every class (so every template is checked), then keep the selected ones.
    let mut classes = Vec::new();
    let mut per_class_templates = Vec::new();
    for user in &file.users {
        let first_template = loader.templates.len();
        let class_offset = source.find(&format!("\"{}\"", user.name)).unwrap_or(0);
        let on_start = user
            .on_start
            .iter()
            .map(|r| loader.request(r))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tasks = Vec::new();
        if !user.sequence.is_empty() {
            let steps = user
                .sequence
                .iter()
                .map(|r| loader.request(r))
                .collect::<Result<Vec<_>, _>>()?;
            tasks.push((
                Task {
                    name: format!("{} sequence", user.name),
                    weight: 1,
                    steps,
                },
                Vec::new(),
            ));
        }
        for (index, task) in user.tasks.iter().enumerate() {
            let steps = task
                .requests
                .iter()
                .map(|r| loader.request(r))
                .collect::<Result<Vec<_>, _>>()?;
            let name = task
                .name
                .clone()
                .or_else(|| {
                    task.requests
                        .first()
                        .map(|r| r.name.clone().unwrap_or_else(|| r.path.get_ref().clone()))
                })
                .unwrap_or_else(|| format!("task {}", index + 1));
            tasks.push((
                Task {
                    name,
                    weight: task.weight,
                    steps,
                },
                task.tags.clone(),
            ));
        }
        if tasks.is_empty() {
            return Err(loader.error(
                class_offset,
                format!("user class {:?} has no tasks and no sequence", user.name),
            ));
        }
        let mut known = globals.clone();
        known.extend(user.vars.keys().cloned());
        known.extend(captures_of(user).cloned());
        per_class_templates.push((first_template, known));
        let wait = loader.wait(&user.wait, class_offset)?;
        let tasks: Vec<Task> = tasks
            .into_iter()
            .filter(|(_, tags)| {
                selection.tags.is_empty() || tags.iter().any(|t| selection.tags.contains(t))
            })
            .filter(|(_, tags)| !tags.iter().any(|t| selection.exclude_tags.contains(t)))
            .map(|(task, _)| task)
            .collect();
        let vars = user
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), toml_to_value(v)))
            .collect();
        classes.push(UserClass {
            name: user.name.clone(),
            weight: user.weight,
            wait,
            on_start,
            vars,
            tasks,
        });
    }
    for (index, (first, known)) in per_class_templates.iter().enumerate() {
        let end = per_class_templates
            .get(index + 1)
            .map_or(loader.templates.len(), |n| n.0);
        let saved = std::mem::take(&mut loader.templates);
        loader.templates = saved[..end].to_vec();
        let result = loader.check_variables(*first, known);
        loader.templates = saved;
        result?;
    }
    // Every step's dynamic parts share the one environment holding all templates.
    let shared = Arc::new(loader.env);
    for class in &mut classes {
        for step in class
            .on_start
            .iter_mut()
            .chain(class.tasks.iter_mut().flat_map(|t| t.steps.iter_mut()))
        {
            if let Some(dynamic) = step.dynamic.take() {
                let dynamic = Arc::try_unwrap(dynamic).unwrap_or_else(|shared| DynamicRequest {
                    env: shared.env.clone(),
                    path: shared.path.clone(),
                    body: shared.body.clone(),
                    headers: shared.headers.clone(),
                });
                step.dynamic = Some(Arc::new(DynamicRequest {
                    env: shared.clone(),
                    ..dynamic
                }));
            }
        }
    }
    let selected: Vec<UserClass> = classes
        .into_iter()
        .filter(|c| selection.classes.is_empty() || selection.classes.contains(&c.name))
        .filter(|c| !c.tasks.is_empty())
        .collect();
    if selected.is_empty() {
        return Err(ScenarioError::at(
            path,
            &source,
            0,
            "no user class has a task left after --tags/--exclude-tags and the class selection",
        ));
    }
    Ok(LoadedScenario {
        scenario: Scenario { classes: selected },
        event_weights: loader.weights,
    })
}
