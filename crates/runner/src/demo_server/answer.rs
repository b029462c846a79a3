//! What a handler answers (status, JSON or raw body, headers, business events) and how an
//! answer becomes a response (compressed with `--compress`).

use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::json;

/// The body type of every answer.
pub type DemoBody = Full<Bytes>;

/// What an answer carries: JSON, or bytes as they go on the wire.
pub(crate) enum Payload {
    /// A JSON value (`Content-Type: application/json`).
    Json(serde_json::Value),
    /// Bytes of the given content type, sent as they are.
    Raw {
        /// The `Content-Type`.
        content_type: &'static str,
        /// The body.
        bytes: Bytes,
    },
}

/// An answer: status, body, extra headers and the business events accepted.
pub(crate) struct Answer {
    /// The status.
    pub(crate) status: StatusCode,
    /// The body.
    pub(crate) payload: Payload,
    /// Business events the request delivered.
    pub(crate) events: u64,
    /// Seconds for `Retry-After`, if any.
    pub(crate) retry_after: Option<u64>,
    /// Headers beyond `Content-Type` and `Retry-After`.
    pub(crate) headers: HeaderMap,
}

impl Answer {
    /// A JSON answer.
    pub(crate) fn json(status: StatusCode, body: serde_json::Value) -> Self {
        Answer {
            status,
            payload: Payload::Json(body),
            events: 0,
            retry_after: None,
            headers: HeaderMap::new(),
        }
    }

    /// `{"detail": detail}`.
    pub(crate) fn detail(status: StatusCode, detail: &str) -> Self {
        Answer::json(status, json!({ "detail": detail }))
    }

    /// Raw bytes of `content_type`.
    pub(crate) fn raw(status: StatusCode, content_type: &'static str, bytes: Bytes) -> Self {
        Answer {
            payload: Payload::Raw {
                content_type,
                bytes,
            },
            ..Answer::json(status, serde_json::Value::Null)
        }
    }

    /// Adds a header (appended: several `Set-Cookie` headers stay several).
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }
}

/// The response for `answer`; its body compressed as `compress_for` (the request's headers)
/// accepts, when given and the answer is not encoded already.
pub(crate) fn respond(answer: Answer, compress_for: Option<&HeaderMap>) -> Response<DemoBody> {
    let (content_type, body) = match answer.payload {
        Payload::Json(value) => (
            "application/json",
            Bytes::from(serde_json::to_vec(&value).unwrap_or_default()),
        ),
        Payload::Raw {
            content_type,
            bytes,
        } => (content_type, bytes),
    };
    let mut headers = answer.headers;
    let body = match compress_for {
        Some(request) => super::compress::compress_body(request, &mut headers, body),
        None => body,
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(seconds) = answer.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = answer.status;
    *response.headers_mut() = headers;
    response
}
