//! HTTP/1.1 over keep-alive connections: one [`Connection`] per virtual user, like Locust's
//! `HttpUser` session. One request in, one [`Exchange`] (or a [`FailureKind`]) out.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use tokio::net::TcpStream;

use crate::error::RunnerError;
use crate::metrics::FailureKind;
use crate::wire::{Wire, WireError, WireResponse};

/// The service under test: where to connect and what to send as `Host`.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` to connect to.
    connect_to: String,
    /// The `Host` header value.
    host_header: HeaderValue,
    /// Path prefix of the base URL (`/api` for `http://h/api`), without a trailing slash.
    base_path: String,
    /// The URL as given, for messages.
    url: String,
}

impl Target {
    /// Parses a base URL such as `http://127.0.0.1:8089` or `http://host/api`.
    pub fn parse(url: &str) -> Result<Target, RunnerError> {
        let invalid = |reason: &str| RunnerError::InvalidHost {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url
            .parse()
            .map_err(|_| invalid("expected a URL like http://127.0.0.1:8080"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => return Err(invalid("https is not supported yet; use http://")),
            _ => return Err(invalid("expected a URL starting with http://")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("the URL has no host"))?;
        if authority.host().is_empty() {
            return Err(invalid("the URL has no host"));
        }
        let port = authority.port_u16().unwrap_or(80);
        let host = authority.host();
        let connect_to = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let host_header = HeaderValue::from_str(authority.as_str())
            .map_err(|_| invalid("the host is not a valid header value"))?;
        let base_path = uri.path().trim_end_matches('/').to_owned();
        Ok(Target {
            connect_to,
            host_header,
            base_path,
            url: url.to_owned(),
        })
    }

    /// The full request target for `path` (which starts with `/`, may carry a query).
    ///
    /// The error says what is wrong but never repeats the path: a rendered path may carry a
    /// secret (an `env(...)` value, a captured token), and failure messages reach the CSV files.
    pub fn request_uri(&self, path: &str) -> Result<Uri, RunnerError> {
        let joined = format!("{}{}", self.base_path, path);
        joined.parse().map_err(|_| {
            RunnerError::InvalidSetting(format!("invalid request path: {}", path_problem(path)))
        })
    }

    /// `host:port` connections go to.
    pub fn connect_address(&self) -> &str {
        &self.connect_to
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> &HeaderValue {
        &self.host_header
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Why `path` is not a valid request target, in words that do not quote it.
pub fn path_problem(path: &str) -> &'static str {
    if path.is_empty() {
        "it is empty"
    } else if path.contains(' ') {
        "it contains a space (write %20)"
    } else if path.chars().any(char::is_control) {
        "it contains a control character"
    } else if !path.is_ascii() {
        "it contains a non-ASCII character (percent-encode it)"
    } else if path.len() > u16::MAX as usize {
        "it is too long"
    } else {
        "it contains a character not allowed in a URL (percent-encode it)"
    }
}

/// What came back for one request.
#[derive(Debug)]
pub struct Exchange {
    /// Response status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body length in bytes.
    pub content_length: u64,
    /// The body, when the caller asked to keep it (for checks and captures).
    pub body: Option<Bytes>,
}

/// One keep-alive connection, opened on first use and reopened when the server closed it.
#[derive(Debug, Default)]
pub struct Connection {
    wire: Option<Wire>,
}

/// Maps an I/O error to the failure Locust would report.
fn io_failure(error: &std::io::Error) -> FailureKind {
    match error.raw_os_error() {
        Some(errno) => FailureKind::Os(errno),
        None => FailureKind::Other(format!("ConnectionError({:?})", error.to_string()).into()),
    }
}

/// Maps a wire error to the failure Locust would report.
fn wire_failure(error: &WireError) -> FailureKind {
    match error {
        WireError::Io(io) => io_failure(io),
        WireError::Closed { .. } => FailureKind::Other(
            "RemoteDisconnected('Remote end closed connection without response')".into(),
        ),
        WireError::Malformed(what) => FailureKind::Other(format!("BadStatusLine({what:?})").into()),
    }
}

/// Whether a failure on a reused keep-alive connection means the server had closed it before
/// our request arrived (so sending again on a new connection is safe).
fn stale(error: &WireError) -> bool {
    match error {
        WireError::Closed { started } => !started,
        WireError::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
        ),
        WireError::Malformed(_) => false,
    }
}

/// One request, borrowed from the step that sends it.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Method.
    pub method: &'a Method,
    /// Path and query (joined with the base path).
    pub uri: &'a Uri,
    /// Headers (Host and Content-Length are set by the connection).
    pub headers: &'a HeaderMap,
    /// Body.
    pub body: &'a [u8],
}

impl Connection {
    /// A connection that is not open yet.
    pub fn new() -> Self {
        Connection::default()
    }

    async fn open(target: &Target) -> Result<Wire, FailureKind> {
        let stream = TcpStream::connect(&target.connect_to)
            .await
            .map_err(|e| io_failure(&e))?;
        let _ = stream.set_nodelay(true);
        Ok(Wire::new(stream))
    }

    /// Sends `request` and reads the whole response body, within `timeout` (connecting included).
    pub async fn exchange(
        &mut self,
        target: &Target,
        request: Outgoing<'_>,
        keep_body: bool,
        timeout: Duration,
    ) -> Result<Exchange, FailureKind> {
        match tokio::time::timeout(timeout, self.exchange_untimed(target, request, keep_body)).await
        {
            Ok(result) => result,
            Err(_) => {
                // The connection may still carry the late response: never reuse it.
                self.wire = None;
                Err(FailureKind::Timeout(timeout.as_millis() as u64))
            }
        }
    }

    async fn round_trip(
        wire: &mut Wire,
        target: &Target,
        request: Outgoing<'_>,
        keep_body: bool,
    ) -> Result<WireResponse, WireError> {
        let path = request.uri.path_and_query().map_or("/", |p| p.as_str());
        wire.send(
            request.method,
            path,
            &target.host_header,
            request.headers,
            request.body,
        )
        .await?;
        wire.receive(request.method, keep_body).await
    }

    async fn exchange_untimed(
        &mut self,
        target: &Target,
        request: Outgoing<'_>,
        keep_body: bool,
    ) -> Result<Exchange, FailureKind> {
        let (mut wire, reused) = match self.wire.take() {
            Some(wire) => (wire, true),
            None => (Self::open(target).await?, false),
        };
        let mut outcome = Self::round_trip(&mut wire, target, request, keep_body).await;
        if reused && outcome.as_ref().is_err_and(stale) {
            wire = Self::open(target).await?;
            outcome = Self::round_trip(&mut wire, target, request, keep_body).await;
        }
        let response = outcome.map_err(|e| wire_failure(&e))?;
        if response.keep_alive {
            self.wire = Some(wire);
        }
        Ok(Exchange {
            status: response.status,
            headers: response.headers,
            content_length: response.content_length,
            body: response.body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_parses_loopback_urls() {
        let target = Target::parse("http://127.0.0.1:8089/api/").expect("valid");
        assert_eq!(target.connect_to, "127.0.0.1:8089");
        assert_eq!(
            target.request_uri("/items?x=1").expect("valid").to_string(),
            "/api/items?x=1"
        );
        let plain = Target::parse("http://localhost").expect("valid");
        assert_eq!(plain.connect_to, "localhost:80");
    }

    #[test]
    fn invalid_paths_are_described_without_quoting_them() {
        let target = Target::parse("http://127.0.0.1:8089").expect("valid");
        for (path, problem) in [
            ("/item?token=top secret", "space"),
            ("/item?token=top\u{1}secret", "control character"),
            ("/item?token=top\"secret", "not allowed"),
        ] {
            let message = target.request_uri(path).expect_err(path).to_string();
            assert!(message.contains(problem), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }

    #[test]
    fn target_rejects_what_it_cannot_serve() {
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("https://x").is_err());
        assert!(Target::parse("not a url").is_err());
        assert!(Target::parse("127.0.0.1:80").is_err());
    }
}
