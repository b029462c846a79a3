//! What the client needs to know of an HTTP/1.x response head — how its body is delimited,
//! whether the connection stays open, whether the body is content-encoded and whether it sets
//! cookies — gathered in the one pass that builds its [`HeaderMap`], so no header is looked up
//! again per request.

use http::{Method, StatusCode};

use super::wire::WireError;

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyKind {
    /// `Content-Length` bytes (0 for HEAD, 204 and 304).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// Facts of one response head, from its headers as they are parsed.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct HeadFacts {
    /// `Connection` lists `close`.
    close: bool,
    /// `Connection` lists `keep-alive`.
    keep_alive: bool,
    /// `Transfer-Encoding` lists `chunked`.
    chunked: bool,
    /// The first `Content-Length`: `Some(None)` when it is not a number.
    content_length: Option<Option<u64>>,
    /// A `Content-Encoding` header is present.
    pub encoded: bool,
    /// A `Set-Cookie` header is present.
    pub set_cookie: bool,
}

/// Whether the comma-separated `value` lists `token` (lower case; the value in any case).
fn lists(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// Whether `name` is `canonical` in any case; the canonical spelling, which servers send, is
/// tried first as one comparison.
fn is(name: &[u8], canonical: &[u8]) -> bool {
    name == canonical || name.eq_ignore_ascii_case(canonical)
}

/// A `Content-Length` value: digits, optionally surrounded by blanks.
fn length(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |total, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        total.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

impl HeadFacts {
    /// Takes note of one header of the response, by its name and value as received (the name
    /// in any case). Compares bytes, not [`http::HeaderName`]s: this runs for every header of
    /// every response.
    pub fn note(&mut self, name: &str, value: &[u8]) {
        let name = name.as_bytes();
        match name.len() {
            10 if is(name, b"Connection") => match value {
                b"keep-alive" | b"Keep-Alive" => self.keep_alive = true,
                b"close" | b"Close" => self.close = true,
                _ => {
                    self.close |= lists(value, b"close");
                    self.keep_alive |= lists(value, b"keep-alive");
                }
            },
            10 if is(name, b"Set-Cookie") => self.set_cookie = true,
            14 if self.content_length.is_none() && is(name, b"Content-Length") => {
                self.content_length = Some(length(value));
            }
            16 if is(name, b"Content-Encoding") => self.encoded = true,
            17 if is(name, b"Transfer-Encoding") => {
                self.chunked |= value == b"chunked" || lists(value, b"chunked");
            }
            _ => {}
        }
    }

    /// How the body of a response to `method` with `status` is delimited, and whether the
    /// connection may carry another request after it (HTTP/1.0 only with `keep-alive`).
    pub fn body_kind(
        &self,
        method: &Method,
        status: StatusCode,
        version_minor: u8,
    ) -> Result<(BodyKind, bool), WireError> {
        let keep_alive = if version_minor == 0 {
            self.keep_alive
        } else {
            !self.close
        };
        let no_body = *method == Method::HEAD
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        if no_body {
            return Ok((BodyKind::Length(0), keep_alive));
        }
        if self.chunked {
            return Ok((BodyKind::Chunked, keep_alive));
        }
        match self.content_length {
            Some(Some(length)) => Ok((BodyKind::Length(length), keep_alive)),
            Some(None) => Err(WireError::InvalidHeader("invalid content-length".into())),
            None => Ok((BodyKind::UntilClose, false)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(headers: &[(&'static str, &'static str)]) -> HeadFacts {
        let mut facts = HeadFacts::default();
        for (name, value) in headers {
            facts.note(name, value.as_bytes());
        }
        facts
    }

    #[test]
    fn delimits_bodies_and_keeps_connections_as_http_says() {
        let get = &Method::GET;
        let ok = StatusCode::OK;
        let kind = |f: HeadFacts, minor| f.body_kind(get, ok, minor).unwrap();
        assert_eq!(
            kind(facts(&[("content-length", " 13 ")]), 1),
            (BodyKind::Length(13), true)
        );
        assert_eq!(
            kind(
                facts(&[("connection", "Keep-Alive, Close"), ("content-length", "1")]),
                1
            ),
            (BodyKind::Length(1), false)
        );
        assert_eq!(
            kind(facts(&[("transfer-encoding", "gzip, Chunked")]), 1),
            (BodyKind::Chunked, true)
        );
        assert_eq!(kind(facts(&[]), 1), (BodyKind::UntilClose, false));
        assert_eq!(
            kind(facts(&[("content-length", "0")]), 0),
            (BodyKind::Length(0), false)
        );
        assert_eq!(
            kind(
                facts(&[("connection", "keep-alive"), ("content-length", "0")]),
                0
            ),
            (BodyKind::Length(0), true)
        );
        let head = facts(&[("content-length", "9")]);
        assert_eq!(
            head.body_kind(&Method::HEAD, ok, 1).unwrap(),
            (BodyKind::Length(0), true)
        );
        assert!(facts(&[("content-length", "x")])
            .body_kind(get, ok, 1)
            .is_err());
        // The first Content-Length counts.
        assert_eq!(
            kind(
                facts(&[("content-length", "2"), ("content-length", "5")]),
                1
            ),
            (BodyKind::Length(2), true)
        );
        assert!(facts(&[("content-length", "+1")])
            .body_kind(get, ok, 1)
            .is_err());
        assert!(facts(&[("content-length", "99999999999999999999")])
            .body_kind(get, ok, 1)
            .is_err());
        assert_eq!(
            kind(
                facts(&[("Connection", "close"), ("Content-Length", "0")]),
                1
            ),
            (BodyKind::Length(0), false)
        );
        let noted = facts(&[("Content-Encoding", "gzip"), ("SET-COOKIE", "a=1")]);
        assert!(noted.encoded && noted.set_cookie);
        assert!(!facts(&[("content-length", "1")]).encoded);
    }
}
