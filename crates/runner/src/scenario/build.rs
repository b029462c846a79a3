//! From the TOML model to the runner's [`Scenario`]: data pools and globals, every class built
//! (so every template is checked), then the selected classes kept.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use minijinja::{Environment, Value};

use super::error::ScenarioError;
use super::loader::{Loader, BUILTINS};
use super::model::{DataPool, RequestFile, ScenarioFile, TaskFile, TlsFile, UserFile};
use super::text::{captures_of, read_pool, toml_to_value};
use super::Selection;
use crate::client::Target;
use crate::dynamic::{register_functions, DynamicRequest, FUNCTION_NAMES};
use crate::metrics::EntryRegistry;
use crate::task::{RequestStep, Scenario, Task, UserClass};

/// A loaded scenario and the business events per request, indexed by entry id.
#[derive(Debug)]
pub struct LoadedScenario {
    /// What users do.
    pub scenario: Scenario,
    /// Events per request by entry id (empty when no request declares events).
    pub event_weights: Vec<f64>,
    /// Client settings the file gives (`cookies`, `http2`, `[tls]`); the command line wins.
    pub client: ScenarioClient,
}

/// Client settings a scenario file gives, TLS paths resolved against the file's folder.
#[derive(Debug, Clone, Default)]
pub struct ScenarioClient {
    /// `cookies = false` turns the jar off.
    pub cookies: Option<bool>,
    /// `http2 = true`.
    pub http2: Option<bool>,
    /// `[tls]`.
    pub tls: TlsFile,
}

/// Reads `path`, checks everything and builds the scenario against `target`.
pub fn load_scenario(
    path: &Path,
    target: &Target,
    registry: &EntryRegistry,
    selection: &Selection,
) -> Result<LoadedScenario, ScenarioError> {
    let source = read_source(path)?;
    let file = parse_file(path, &source)?;
    let (env, globals) = template_environment(path, &source, &file)?;
    let mut loader = Loader {
        path,
        source: &source,
        target,
        registry,
        env,
        templates: Vec::new(),
        weights: Vec::new(),
        auth: file.auth.clone(),
        pools: file.data.keys().cloned().collect(),
    };
    check_class_selection(path, &source, &file, selection)?;
    // Build every class (so every template is checked), then keep the selected ones.
    let mut classes = Vec::new();
    let mut per_class_templates = Vec::new();
    for user in &file.users {
        let first_template = loader.templates.len();
        let (class, known) = user_class(&mut loader, user, &globals, selection)?;
        per_class_templates.push((first_template, known));
        classes.push(class);
    }
    check_class_variables(&mut loader, &per_class_templates)?;
    share_environment(&mut classes, Arc::new(loader.env));
    let selected = selected_classes(classes, selection);
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
        client: scenario_client(path, &file),
    })
}

/// The text of the scenario file.
fn read_source(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path).map_err(|e| ScenarioError {
        path: path.to_owned(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })
}

/// The TOML model of the scenario file, a syntax or type error placed at its line and column.
fn parse_file(path: &Path, source: &str) -> Result<ScenarioFile, ScenarioError> {
    toml::from_str(source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ScenarioError::at(path, source, offset, e.message().to_owned())
    })
}

/// The template environment with the file's data pools, vars and functions, and the names every
/// template may use (functions, builtins, pools, vars).
fn template_environment(
    path: &Path,
    source: &str,
    file: &ScenarioFile,
) -> Result<(Environment<'static>, BTreeSet<String>), ScenarioError> {
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
                .map_err(|m| ScenarioError::at(path, source, pool.span().start, m))?,
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
    Ok((env, globals))
}

/// Checks that every class the selection names is defined in the file.
fn check_class_selection(
    path: &Path,
    source: &str,
    file: &ScenarioFile,
    selection: &Selection,
) -> Result<(), ScenarioError> {
    let known_classes: Vec<&str> = file.users.iter().map(|u| u.name.as_str()).collect();
    for wanted in &selection.classes {
        if !known_classes.contains(&wanted.as_str()) {
            return Err(ScenarioError::at(
                path,
                source,
                0,
                format!(
                    "no user class {wanted:?}; the file defines {}",
                    known_classes.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Builds the class of `user` (its tasks kept by the selection's tags) and the names its
/// templates may use (the globals, its vars and captures).
fn user_class(
    loader: &mut Loader<'_>,
    user: &UserFile,
    globals: &BTreeSet<String>,
    selection: &Selection,
) -> Result<(UserClass, BTreeSet<String>), ScenarioError> {
    let class_offset = loader
        .source
        .find(&format!("\"{}\"", user.name))
        .unwrap_or(0);
    let on_start = requests(loader, &user.on_start)?;
    let tasks = user_tasks(loader, user)?;
    if tasks.is_empty() {
        return Err(loader.error(
            class_offset,
            format!("user class {:?} has no tasks and no sequence", user.name),
        ));
    }
    let mut known = globals.clone();
    known.extend(user.vars.keys().cloned());
    known.extend(captures_of(user).cloned());
    let wait = loader.wait(&user.wait, class_offset)?;
    let vars = user
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), toml_to_value(v)))
        .collect();
    let class = UserClass {
        name: user.name.clone(),
        weight: user.weight,
        fixed_count: user.fixed_count,
        wait,
        on_start,
        vars,
        tasks: tagged_tasks(tasks, selection),
    };
    Ok((class, known))
}

/// The steps of `requests`, in order.
fn requests(
    loader: &mut Loader<'_>,
    requests: &[RequestFile],
) -> Result<Vec<RequestStep>, ScenarioError> {
    requests.iter().map(|r| loader.request(r)).collect()
}

/// The tasks of `user` with their tags: its sequence (as one task), then its tasks.
fn user_tasks(
    loader: &mut Loader<'_>,
    user: &UserFile,
) -> Result<Vec<(Task, Vec<String>)>, ScenarioError> {
    let mut tasks = Vec::new();
    if !user.sequence.is_empty() {
        let steps = requests(loader, &user.sequence)?;
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
        let steps = requests(loader, &task.requests)?;
        tasks.push((
            Task {
                name: task_name(task, index),
                weight: task.weight,
                steps,
            },
            task.tags.clone(),
        ));
    }
    Ok(tasks)
}

/// The task's name: its own, else its first request's name or path, else `task N`.
fn task_name(task: &TaskFile, index: usize) -> String {
    task.name
        .clone()
        .or_else(|| {
            task.requests
                .first()
                .map(|r| r.name.clone().unwrap_or_else(|| r.path.get_ref().clone()))
        })
        .unwrap_or_else(|| format!("task {}", index + 1))
}

/// The tasks `--tags` and `--exclude-tags` keep.
fn tagged_tasks(tasks: Vec<(Task, Vec<String>)>, selection: &Selection) -> Vec<Task> {
    tasks
        .into_iter()
        .filter(|(_, tags)| {
            selection.tags.is_empty() || tags.iter().any(|t| selection.tags.contains(t))
        })
        .filter(|(_, tags)| !tags.iter().any(|t| selection.exclude_tags.contains(t)))
        .map(|(task, _)| task)
        .collect()
}

/// Checks the templates of each class (from its first template to the next class's) against
/// the names that class knows.
fn check_class_variables(
    loader: &mut Loader<'_>,
    per_class_templates: &[(usize, BTreeSet<String>)],
) -> Result<(), ScenarioError> {
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
    Ok(())
}

/// Points every step's dynamic parts at `shared`, the one environment holding all templates.
fn share_environment(classes: &mut [UserClass], shared: Arc<Environment<'static>>) {
    for class in classes {
        for step in class
            .on_start
            .iter_mut()
            .chain(class.tasks.iter_mut().flat_map(|t| t.steps.iter_mut()))
        {
            if let Some(dynamic) = step.dynamic.take() {
                let dynamic = Arc::try_unwrap(dynamic).unwrap_or_else(|shared| DynamicRequest {
                    label: shared.label.clone(),
                    env: shared.env.clone(),
                    path: shared.path.clone(),
                    body: shared.body.clone(),
                    headers: shared.headers.clone(),
                    events: shared.events.clone(),
                    body_in_events: shared.body_in_events,
                });
                step.dynamic = Some(Arc::new(DynamicRequest {
                    env: shared.clone(),
                    ..dynamic
                }));
            }
        }
    }
}

/// The classes the selection names (all when it names none) that have a task left.
fn selected_classes(classes: Vec<UserClass>, selection: &Selection) -> Vec<UserClass> {
    classes
        .into_iter()
        .filter(|c| selection.classes.is_empty() || selection.classes.contains(&c.name))
        .filter(|c| !c.tasks.is_empty())
        .collect()
}

/// The file's client settings, TLS paths resolved against the file's folder.
fn scenario_client(path: &Path, file: &ScenarioFile) -> ScenarioClient {
    let relative = |file: &Option<String>| {
        file.as_ref().map(|f| {
            path.parent()
                .unwrap_or(Path::new("."))
                .join(f)
                .to_string_lossy()
                .into_owned()
        })
    };
    let tls = file.tls.clone().unwrap_or_default();
    ScenarioClient {
        cookies: file.cookies,
        http2: file.http2,
        tls: TlsFile {
            cacert: relative(&tls.cacert),
            cert: relative(&tls.cert),
            key: relative(&tls.key),
            ..tls
        },
    }
}
