//! Scenario files: weighted user flows in TOML, like a locustfile but declarative. Templates are
//! compiled once here, and every error (unknown key, wrong type, bad template, undefined variable,
//! missing environment variable, unreadable data file, unknown data pool, JSON pointer
//! without its `/`, a status `expect` can never see) is reported with file:line:column before
//! any request is sent.

mod build;
mod checks;
mod error;
mod loader;
mod model;
mod request;
mod text;

use std::collections::BTreeSet;

pub use build::{load_scenario, LoadedScenario, ScenarioClient};
pub use error::ScenarioError;
pub use model::TlsFile;

/// Which classes and tasks of a scenario to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Class names to run (empty: all).
    pub classes: Vec<String>,
    /// Run only tasks with one of these tags (empty: all).
    pub tags: BTreeSet<String>,
    /// Leave out tasks with one of these tags.
    pub exclude_tags: BTreeSet<String>,
}
