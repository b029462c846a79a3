//! Turning the parts of a scenario file into request steps: templates compiled into one shared
//! environment, names interned, checks, captures and event weights collected.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method};
use minijinja::Environment;

use super::error::ScenarioError;
use super::model::{AuthFile, CaptureFile, EventsFile, RequestFile, WaitFile};
use super::text::{env_names, is_template, json_body_text, split_origin};
use crate::client::Target;
use crate::dynamic::{Capture, CaptureSource, DynamicRequest, ResponseCheck, FUNCTION_NAMES};
use crate::metrics::{EntryRegistry, RequestKey};
use crate::task::{Acceptance, RequestStep, WaitTime};

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

    /// `Authorization: Basic …` from `auth`: a fixed header, or a template when the user or
    /// password is one (an `env(...)` secret, a captured value).
    fn authorization(
        &mut self,
        auth: &AuthFile,
        offset: usize,
        headers: &mut HeaderMap,
        templated: &mut Vec<(HeaderName, String)>,
    ) -> Result<(), ScenarioError> {
        let [user, password] = &auth.basic;
        if !is_template(user) && !is_template(password) {
            headers.insert(AUTHORIZATION, crate::client::basic_auth(user, password));
            return Ok(());
        }
        let text = format!(
            "{{% set user %}}{user}{{% endset %}}{{% set password %}}{password}{{% endset %}}Basic {{{{ (user ~ ':' ~ password) | b64encode }}}}"
        );
        let template = self.template(&text, offset)?;
        templated.push((AUTHORIZATION, template));
        Ok(())
    }

    pub fn request(&mut self, request: &RequestFile) -> Result<RequestStep, ScenarioError> {
        let offset = request.path.span().start;
        let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| self.error(offset, format!("unknown method {:?}", request.method)))?;
        // A full URL sends this request to another service than --host (literal origin; the
        // path after it may be a template).
        let (origin, mut path_text) = match split_origin(request.path.get_ref()) {
            Some((origin, path)) => {
                if is_template(origin) {
                    return Err(self.error(
                        offset,
                        "the scheme, host and port of a URL cannot be templated",
                    ));
                }
                let origin =
                    Target::parse(origin).map_err(|e| self.error(offset, e.to_string()))?;
                (Some(Arc::new(origin)), path.to_owned())
            }
            None => (None, request.path.get_ref().clone()),
        };
        if !path_text.starts_with('/') {
            return Err(self.error(
                offset,
                "path must start with '/' (or be a full http:// URL)",
            ));
        }
        let target = origin
            .clone()
            .unwrap_or_else(|| Arc::new(self.target.clone()));
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
        let entry = self
            .registry
            .intern(&RequestKey::new(method.as_str(), name.clone()));
        if request.events.is_some() {
            // Marks the entry as carrying events; the counts come from the requests themselves.
            let index = entry.0 as usize;
            if self.weights.len() <= index {
                self.weights.resize(index + 1, 0.0);
            }
            self.weights[index] = 1.0;
        }
        let mut headers = HeaderMap::new();
        let mut dynamic = DynamicRequest {
            label: format!("{} {}", method.as_str(), name),
            env: Arc::new(Environment::new()),
            path: None,
            body: None,
            headers: Vec::new(),
            events: None,
            body_in_events: false,
        };
        let mut fixed_events = 0.0;
        match &request.events {
            Some(EventsFile::Count(count)) if *count >= 0.0 && count.is_finite() => {
                fixed_events = *count
            }
            Some(EventsFile::Count(count)) => {
                return Err(self.error(offset, format!("events must be 0 or more, got {count}")))
            }
            Some(EventsFile::Template(text)) => {
                dynamic.events = Some(self.template(text, offset)?);
                dynamic.body_in_events = text.contains("body");
            }
            None => {}
        }
        let uri = if is_template(&path_text) {
            dynamic.path = Some(self.template(&path_text, offset)?);
            target
                .request_uri("/")
                .map_err(|e| self.error(offset, e.to_string()))?
        } else {
            target
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
        if let Some(auth) = request.auth.clone().or_else(|| self.auth.clone()) {
            if !headers.contains_key(AUTHORIZATION)
                && !dynamic
                    .headers
                    .iter()
                    .any(|(name, _)| name == AUTHORIZATION)
            {
                self.authorization(&auth, offset, &mut headers, &mut dynamic.headers)?;
            }
        }
        let mut body = Bytes::new();
        if let Some(text) = body_text {
            if is_template(&text) || dynamic.body_in_events {
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
        step.origin = origin;
        step.events = fixed_events;
        step.follow_redirects = request.follow_redirects.unwrap_or(step.follow_redirects);
        step.decompress = request.decompress.unwrap_or(true);
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
        if dynamic.path.is_some()
            || dynamic.body.is_some()
            || !dynamic.headers.is_empty()
            || dynamic.events.is_some()
        {
            step.dynamic = Some(Arc::new(dynamic));
        }
        Ok(step)
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
