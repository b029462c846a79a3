//! One request of a scenario file turned into a request step: its target and path, entry,
//! events, headers, body, authorization, checks, captures and timeout; the templated parts
//! compiled into the loader's environment.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Uri};
use minijinja::Environment;

use super::checks::{check_expect, check_pointer};
use super::error::ScenarioError;
use super::loader::Loader;
use super::model::{AuthFile, CaptureFile, EventsFile, RequestFile};
use super::text::{is_template, json_body_text, split_origin};
use crate::client::Target;
use crate::dynamic::{Capture, CaptureSource, DynamicRequest, ResponseCheck};
use crate::metrics::{EntryId, RequestKey};
use crate::task::{Acceptance, RequestStep};

impl Loader<'_> {
    /// Builds the step of `request`, compiling its templated parts.
    pub fn request(&mut self, request: &RequestFile) -> Result<RequestStep, ScenarioError> {
        let offset = request.path.span().start;
        let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| self.error(offset, format!("unknown method {:?}", request.method)))?;
        let (origin, path_text) = self.request_path(request, offset)?;
        let target = origin
            .clone()
            .unwrap_or_else(|| Arc::new(self.target.clone()));
        let name = request
            .name
            .clone()
            .unwrap_or_else(|| request.path.get_ref().clone());
        let entry = self.request_entry(&method, &name, request);
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
        let fixed_events = self.request_events(request, offset, &mut dynamic)?;
        let uri = self.request_uri(&target, &path_text, offset, &mut dynamic)?;
        self.request_headers(request, &mut headers, &mut dynamic)?;
        let (body_text, body_offset) = self.body_text(request, &mut headers)?;
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
        let body = self.request_body(body_text, body_offset, &mut dynamic)?;
        let accept = self.acceptance(request)?;
        let mut step = RequestStep::fixed(method, uri, headers, body, entry, accept);
        step.origin = origin;
        step.events = fixed_events;
        step.follow_redirects = request.follow_redirects.unwrap_or(step.follow_redirects);
        step.decompress = request.decompress.unwrap_or(true);
        step.checks.extend(self.response_checks(request)?);
        step.captures.extend(self.captures(request, offset)?);
        step.timeout = self.request_timeout(request, offset)?;
        if has_templates(&dynamic) {
            step.dynamic = Some(Arc::new(dynamic));
        }
        Ok(step)
    }

    /// The request's own origin (for a full URL; `None`: the target's) and its path with the
    /// query appended.
    fn request_path(
        &self,
        request: &RequestFile,
        offset: usize,
    ) -> Result<(Option<Arc<Target>>, String), ScenarioError> {
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
        if !request.query.is_empty() {
            let pairs: Vec<String> = request
                .query
                .iter()
                .map(|(k, v)| format!("{k}={}", v.get_ref()))
                .collect();
            path_text.push(if path_text.contains('?') { '&' } else { '?' });
            path_text.push_str(&pairs.join("&"));
        }
        Ok((origin, path_text))
    }

    /// The entry the request is counted under, marked as carrying events when it declares them.
    fn request_entry(&mut self, method: &Method, name: &str, request: &RequestFile) -> EntryId {
        let entry = self
            .registry
            .intern(&RequestKey::new(method.as_str(), name.to_owned()));
        if request.events.is_some() {
            // Marks the entry as carrying events; the counts come from the requests themselves.
            let index = entry.0 as usize;
            if self.weights.len() <= index {
                self.weights.resize(index + 1, 0.0);
            }
            self.weights[index] = 1.0;
        }
        entry
    }

    /// The fixed number of business events per request (0 when none or templated); an events
    /// template goes into `dynamic`.
    fn request_events(
        &mut self,
        request: &RequestFile,
        offset: usize,
        dynamic: &mut DynamicRequest,
    ) -> Result<f64, ScenarioError> {
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
        Ok(fixed_events)
    }

    /// The request URI on `target`; a templated path goes into `dynamic` (the URI is then `/`).
    fn request_uri(
        &mut self,
        target: &Target,
        path_text: &str,
        offset: usize,
        dynamic: &mut DynamicRequest,
    ) -> Result<Uri, ScenarioError> {
        Ok(if is_template(path_text) {
            dynamic.path = Some(self.template(path_text, offset)?);
            target
                .request_uri("/")
                .map_err(|e| self.error(offset, e.to_string()))?
        } else {
            target
                .request_uri(path_text)
                .map_err(|e| self.error(offset, e.to_string()))?
        })
    }

    /// The request's headers: fixed ones into `headers`, templated ones into `dynamic`.
    fn request_headers(
        &mut self,
        request: &RequestFile,
        headers: &mut HeaderMap,
        dynamic: &mut DynamicRequest,
    ) -> Result<(), ScenarioError> {
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
        Ok(())
    }

    /// The body's text and offset, from `json` (then `Content-Type: application/json` unless
    /// set) or `body`.
    fn body_text(
        &self,
        request: &RequestFile,
        headers: &mut HeaderMap,
    ) -> Result<(Option<String>, usize), ScenarioError> {
        Ok(match (&request.json, &request.body) {
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
        })
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

    /// The fixed body; a templated one (or one an events template reads) goes into `dynamic`.
    fn request_body(
        &mut self,
        body_text: Option<String>,
        body_offset: usize,
        dynamic: &mut DynamicRequest,
    ) -> Result<Bytes, ScenarioError> {
        let mut body = Bytes::new();
        if let Some(text) = body_text {
            if is_template(&text) || dynamic.body_in_events {
                dynamic.body = Some(self.template(&text, body_offset)?);
            } else {
                body = Bytes::from(text);
            }
        }
        Ok(body)
    }

    /// The values the request's `capture` stores, in order.
    fn captures(
        &self,
        request: &RequestFile,
        offset: usize,
    ) -> Result<Vec<Capture>, ScenarioError> {
        let mut captures = Vec::new();
        for (var, source) in &request.capture {
            let source = match source.get_ref() {
                CaptureFile::Json(pointer) => {
                    check_pointer(&format!("capture {var}"), pointer)
                        .map_err(|m| self.error(source.span().start, m))?;
                    CaptureSource::Json(pointer.clone())
                }
                CaptureFile::Header(name) => CaptureSource::Header(name.to_ascii_lowercase()),
                CaptureFile::Regex(pattern) => {
                    CaptureSource::Regex(regex::Regex::new(pattern).map_err(|e| {
                        self.error(offset, format!("capture {var}: bad regex: {e}"))
                    })?)
                }
            };
            captures.push(Capture {
                var: var.clone(),
                source,
            });
        }
        Ok(captures)
    }

    /// The request's own timeout, if it gives one.
    fn request_timeout(
        &self,
        request: &RequestFile,
        offset: usize,
    ) -> Result<Option<Duration>, ScenarioError> {
        request
            .timeout
            .as_ref()
            .map(|timeout| {
                humantime::parse_duration(timeout).map_err(|_| {
                    self.error(
                        offset,
                        format!("timeout {timeout:?}: expected a duration like 5s"),
                    )
                })
            })
            .transpose()
    }
}

impl Loader<'_> {
    /// The statuses the request accepts: its `expect` list (each a status a server can send),
    /// or any below 400.
    fn acceptance(&self, request: &RequestFile) -> Result<Acceptance, ScenarioError> {
        match &request.expect {
            Some(expect) if !expect.get_ref().is_empty() => {
                check_expect(expect.get_ref()).map_err(|m| self.error(expect.span().start, m))?;
                Ok(Acceptance::Statuses(expect.get_ref().clone()))
            }
            _ => Ok(Acceptance::Below400),
        }
    }

    /// The request's `contains` and `json_exists` checks (the pointer checked).
    fn response_checks(&self, request: &RequestFile) -> Result<Vec<ResponseCheck>, ScenarioError> {
        let mut checks = Vec::new();
        if let Some(text) = &request.contains {
            checks.push(ResponseCheck::Contains(text.clone()));
        }
        if let Some(pointer) = &request.json_exists {
            check_pointer("json_exists", pointer.get_ref())
                .map_err(|m| self.error(pointer.span().start, m))?;
            checks.push(ResponseCheck::JsonExists(pointer.get_ref().clone()));
        }
        Ok(checks)
    }
}

/// Whether anything of the request is rendered per request.
fn has_templates(dynamic: &DynamicRequest) -> bool {
    dynamic.path.is_some()
        || dynamic.body.is_some()
        || !dynamic.headers.is_empty()
        || dynamic.events.is_some()
}
