//! What makes a request differ between users and iterations: templates rendered per request
//! (compiled once, when the scenario is loaded), per-user variables, response checks and captures.

mod capture;
mod functions;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::header::HeaderName;
use http::{HeaderMap, HeaderValue, Uri};
use minijinja::{Environment, Value};

pub use capture::{inspect, Capture, CaptureSource, ResponseCheck};
pub use functions::{register_functions, FUNCTION_NAMES};

/// What went wrong in a template, without anything it rendered: the kind of error and its line,
/// and the detail only when one of captest's own functions wrote it.
fn template_problem(error: &minijinja::Error) -> String {
    let mut problem = error.kind().to_string();
    if let Some(detail) = error.detail().filter(|d| functions::is_own_detail(d)) {
        problem = format!("{problem}: {detail}");
    }
    if let Some(line) = error.line() {
        problem.push_str(&format!(" (template line {line})"));
    }
    problem
}

use crate::client::Target;

/// A user's variables (the class's `vars`, then what captures stored).
#[derive(Debug, Default)]
pub struct UserState {
    /// Variable name → value, visible to every template the user renders.
    pub vars: BTreeMap<String, Value>,
    /// The template context built from `vars`, rebuilt only after they change.
    context: Option<Value>,
    /// The body last rendered, for an events template that reads it.
    last_body: Option<String>,
}

impl UserState {
    /// A fresh state holding `initial` variables.
    pub fn new(initial: &BTreeMap<String, Value>) -> Self {
        UserState {
            vars: initial.clone(),
            context: None,
            last_body: None,
        }
    }

    /// Sets a variable (a capture).
    pub fn set(&mut self, name: &str, value: Value) {
        self.vars.insert(name.to_owned(), value);
        self.context = None;
    }

    /// The context templates render with (shared until a variable changes).
    pub fn context(&mut self) -> &Value {
        let vars = &self.vars;
        self.context
            .get_or_insert_with(|| Value::from(vars.clone()))
    }
}

/// The templated parts of a request: names of templates compiled into a shared environment.
#[derive(Debug)]
pub struct DynamicRequest {
    /// The request as the scenario names it (`GET /item/[id]`): failure messages say this, never
    /// a rendered value (which may carry a secret).
    pub label: String,
    /// The environment holding every template of the scenario.
    pub env: Arc<Environment<'static>>,
    /// Template of the path and query, if templated.
    pub path: Option<String>,
    /// Template of the body, if templated.
    pub body: Option<String>,
    /// Templated headers.
    pub headers: Vec<(HeaderName, String)>,
    /// Template of the business events a request carries (e.g. over its body), if templated.
    pub events: Option<String>,
    /// The body as last rendered, visible to the events template as `body`.
    pub body_in_events: bool,
}

/// Why a request could not be rendered; the text is in the Locust style and names the request,
/// never what it rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// A template failed (an error of the scenario's own logic): nothing to send, counted as an
    /// exception, not a request.
    Template(String),
    /// It rendered into an invalid URL or header value: a failed request, as Locust counts the
    /// `InvalidURL` that `requests` raises.
    Invalid(String),
}

impl RenderError {
    /// The error text.
    pub fn message(&self) -> &str {
        match self {
            RenderError::Template(text) | RenderError::Invalid(text) => text,
        }
    }
}

/// A request ready to send.
#[derive(Debug)]
pub struct RenderedRequest {
    /// Path and query joined with the base path.
    pub uri: Option<Uri>,
    /// Body.
    pub body: Option<Bytes>,
    /// Headers to add.
    pub headers: HeaderMap,
}

impl DynamicRequest {
    fn render_one(&self, name: &str, context: &Value) -> Result<String, RenderError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map_err(|e| {
                RenderError::Template(format!(
                    "TemplateError({:?})",
                    format!("{}: {}", self.label, template_problem(&e))
                ))
            })
    }

    /// The business events of the request just sent, from the events template (rendered with the
    /// user's variables and `body`, the rendered body); `None` without one or if it is not a number.
    pub fn events(&self, state: &mut UserState) -> Option<f64> {
        let name = self.events.as_ref()?;
        let mut vars = state.vars.clone();
        if let Some(body) = state.last_body.take() {
            vars.insert("body".to_owned(), Value::from(body));
        }
        self.render_one(name, &Value::from(vars))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Renders the templated parts with `state`'s variables.
    pub fn render(
        &self,
        state: &mut UserState,
        target: &Target,
    ) -> Result<RenderedRequest, RenderError> {
        let context = state.context().clone();
        let uri = match &self.path {
            Some(name) => {
                let path = self.render_one(name, &context)?;
                // The error names the request and the problem; the rendered path stays out.
                Some(target.request_uri(&path).map_err(|_| {
                    RenderError::Invalid(format!(
                        "InvalidURL({:?})",
                        format!(
                            "{}: the rendered path is not a valid URL: {}",
                            self.label,
                            crate::client::path_problem(&path)
                        )
                    ))
                })?)
            }
            None => None,
        };
        let body = match &self.body {
            Some(name) => {
                let text = self.render_one(name, &context)?;
                if self.body_in_events {
                    state.last_body = Some(text.clone());
                }
                Some(Bytes::from(text))
            }
            None => None,
        };
        let mut headers = HeaderMap::new();
        for (header, name) in &self.headers {
            let value = self.render_one(name, &context)?;
            let value = HeaderValue::from_str(&value).map_err(|_| {
                RenderError::Invalid(format!(
                    "InvalidHeader({:?})",
                    format!(
                        "{}: rendered header {} is not a valid header value",
                        self.label,
                        header.as_str()
                    )
                ))
            })?;
            headers.insert(header.clone(), value);
        }
        Ok(RenderedRequest { uri, body, headers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> DynamicRequest {
        let mut env = Environment::new();
        register_functions(&mut env, Vec::new());
        env.add_template_owned("path", path.to_owned())
            .expect("template");
        DynamicRequest {
            label: "GET /item/[id]".to_owned(),
            env: Arc::new(env),
            path: Some("path".to_owned()),
            body: None,
            headers: Vec::new(),
            events: None,
            body_in_events: false,
        }
    }

    fn failure(path: &str) -> String {
        let target = Target::parse("http://127.0.0.1:1").expect("target");
        let mut vars = BTreeMap::new();
        vars.insert("secret".to_owned(), Value::from(12345));
        vars.insert("words".to_owned(), Value::from("top secret"));
        let mut state = UserState::new(&vars);
        request(path)
            .render(&mut state, &target)
            .expect_err("fails")
            .message()
            .to_owned()
    }

    #[test]
    fn failures_name_the_request_never_what_it_rendered() {
        // minijinja's own message would quote the operands ("unable to calculate 12345 // 0").
        let division = failure("/item/{{ secret // 0 }}");
        assert!(
            division.starts_with("TemplateError(") && division.contains("GET /item/[id]"),
            "{division}"
        );
        assert!(!division.contains("12345"), "{division}");
        let url = failure("/item/{{ words }}");
        assert!(
            url.starts_with("InvalidURL(") && url.contains("GET /item/[id]"),
            "{url}"
        );
        assert!(url.contains("space") && !url.contains("secret"), "{url}");
        // captest's own functions explain themselves.
        let empty = failure("/item/{{ random_choice([]) }}");
        assert!(
            empty.contains("random_choice: the list is empty"),
            "{empty}"
        );
    }
}
