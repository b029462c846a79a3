//! The HTTP client of a virtual user, like Locust's `HttpUser` session (requests.Session): its
//! own keep-alive connections (HTTP/1.1, or HTTP/2 with `--http2`; plain or TLS; direct or
//! through a proxy), its cookie jar, redirects followed and bodies decoded. One request in, one
//! [`Exchange`] (or a [`FailureKind`]) out; a redirect chain is one exchange.

mod connection;
mod cookies;
mod decode;
mod h2;
mod head;
mod proxy;
mod redirect;
mod session;
mod settings;
mod stream;
mod target;
#[cfg(test)]
mod tests;
mod tls;
mod wire;
mod wire_error;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};

pub use redirect::MAX_REDIRECTS;
pub use session::Session;
pub use settings::{ClientError, ClientSettings, HttpClient, ProtocolCounts};
pub use target::{basic_auth, mask_credentials, path_problem, Origin, Scheme, Target};
pub use tls::TlsSettings;
pub use wire::DEFAULT_MAX_BODY;

/// What came back for one request (the last response of a redirect chain).
#[derive(Debug)]
pub struct Exchange {
    /// Response status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body length in bytes, decoded (what requests' `len(response.content)` counts).
    pub content_length: u64,
    /// The body, decoded, when the caller asked to keep it (for checks and captures).
    pub body: Option<Bytes>,
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

/// What the caller wants of one request beyond sending it.
#[derive(Debug, Clone, Copy)]
pub struct RequestOptions {
    /// Keep the body (for checks and captures).
    pub keep_body: bool,
    /// Follow redirects (requests' `allow_redirects`).
    pub follow_redirects: bool,
    /// Decode gzip/deflate/br bodies (off keeps the raw body and its length).
    pub decompress: bool,
    /// The whole exchange, redirects included, must end within this.
    pub timeout: Duration,
}
