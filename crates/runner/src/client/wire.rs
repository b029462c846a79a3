//! HTTP/1.1 on one keep-alive connection (TCP or TLS), written for a load generator: the request is
//! serialized into a reused buffer and sent with one write, the response is parsed in place with
//! httparse and its body read by Content-Length, chunked encoding or until close — on the user's
//! own task, with no connection task, channel or per-request allocation beyond the response.

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use http::{HeaderMap, Method, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

use super::head::{BodyKind, HeadFacts};
use super::stream::Stream;

/// Most response headers parsed.
const MAX_HEADERS: usize = 64;
/// Largest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

pub use super::wire_error::{Phase, Truncation, WireError};

/// Body bytes kept of one response by default (for checks and captures); the rest is read and
/// dropped.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// A parsed response.
#[derive(Debug)]
pub struct WireResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body length, bytes.
    pub content_length: u64,
    /// The body, when asked for.
    pub body: Option<Bytes>,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
    /// Whether the response has a `Content-Encoding`.
    pub encoded: bool,
    /// Whether the response sets cookies.
    pub set_cookie: bool,
}

/// The head of one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// Method.
    pub method: &'a Method,
    /// What goes on the request line: a path and query, or an absolute URL (to a proxy).
    pub request_target: &'a str,
    /// `Host`.
    pub host: &'a HeaderValue,
    /// The request's own headers.
    pub headers: &'a HeaderMap,
    /// Headers the client adds (cookies, authorization).
    pub extra: &'a HeaderMap,
    /// Headers sent unless the request set its own.
    pub defaults: &'a HeaderMap,
}

impl<'a> RequestHead<'a> {
    /// The headers sent: the request's own, the client's extra ones, then each default the
    /// request did not set.
    pub fn header_lines(&self) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> + 'a {
        self.headers
            .iter()
            .chain(self.extra)
            .chain(self.unset_defaults())
    }

    /// The defaults neither the request nor the client set.
    pub fn unset_defaults(&self) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> + 'a {
        let (own, extra) = (self.headers, self.extra);
        // Most requests set none of their own: then every default goes, with no lookup.
        let alone = own.is_empty() && extra.is_empty();
        self.defaults.iter().filter(move |(name, _)| {
            alone || (!own.contains_key(*name) && !extra.contains_key(*name))
        })
    }
}

/// One HTTP/1.1 connection.
#[derive(Debug)]
pub struct Wire {
    stream: Stream,
    input: BytesMut,
    output: Vec<u8>,
    max_body: usize,
}

impl Wire {
    /// Wraps a connected stream.
    pub fn new(stream: Stream) -> Self {
        Wire {
            stream,
            input: BytesMut::with_capacity(8 * 1024),
            output: Vec::with_capacity(1024),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Keeps at most `max_body` bytes of a body asked for; the rest is read and dropped.
    pub fn keeping_at_most(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// Whether the server closed (or wrote to) this idle connection: a request must not be
    /// sent on it. Looks without waiting, as urllib3 does before reusing a connection. On plain
    /// TCP it reads tokio's readiness (no system call, no waker, unless the socket is marked
    /// readable); on TLS it reads through the TLS layer, which takes in records that carry no
    /// data (session tickets) on the way.
    pub fn dropped(&mut self) -> bool {
        if !self.input.is_empty() {
            return true; // bytes nobody asked for
        }
        let mut probe = [0u8; 1];
        if let Stream::Plain(tcp) = &self.stream {
            return match tcp.try_read(&mut probe) {
                Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
                Ok(_) => true, // end of stream, or unsolicited bytes
            };
        }
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut buf = ReadBuf::new(&mut probe);
        match std::pin::Pin::new(&mut self.stream).poll_read(&mut cx, &mut buf) {
            std::task::Poll::Pending => false,
            std::task::Poll::Ready(Ok(())) => true, // end of stream, or unsolicited bytes
            std::task::Poll::Ready(Err(_)) => true,
        }
    }

    /// Sends one request: `request_target` as it goes on the request line (a path, or an
    /// absolute URL to a proxy), the step's `headers`, then `extra` ones (cookies, auth), then
    /// each of `defaults` the step did not set.
    pub async fn send(&mut self, head: RequestHead<'_>, body: &[u8]) -> Result<(), WireError> {
        let out = &mut self.output;
        out.clear();
        out.extend_from_slice(head.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(head.request_target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(head.host.as_bytes());
        out.extend_from_slice(b"\r\n");
        let mut line = |name: &HeaderName, value: &HeaderValue| {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        };
        for (name, value) in head.headers {
            if name != CONTENT_LENGTH && name != http::header::HOST {
                line(name, value);
            }
        }
        for (name, value) in head.extra.iter().chain(head.unset_defaults()) {
            line(name, value);
        }
        let method = head.method;
        if !body.is_empty() || matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(body.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        let sent = async {
            self.stream.write_all(&self.output).await?;
            // TLS holds written records until flushed; plain TCP's flush does nothing.
            self.stream.flush().await
        };
        sent.await.map_err(|e| WireError::Io(e, Phase::Waiting))
    }

    /// Reads more input in `phase`; `Closed` at end of stream.
    async fn fill(&mut self, phase: Phase) -> Result<(), WireError> {
        if self.input.capacity() - self.input.len() < 4096 {
            self.input.reserve(8 * 1024);
        }
        let read = self
            .stream
            .read_buf(&mut self.input)
            .await
            .map_err(|e| WireError::Io(e, phase))?;
        if read == 0 {
            return Err(WireError::Closed {
                started: phase != Phase::Waiting,
            });
        }
        Ok(())
    }

    /// The status line received so far (at most 80 bytes), for an error message.
    fn status_line(&self) -> String {
        let line = self.input[..].split(|&b| b == b'\r').next().unwrap_or(&[]);
        String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned()
    }

    /// Reads one response to a request made with `method`, keeping its body when `keep_body`,
    /// or when `decode` and the body is content-encoded.
    pub async fn receive(
        &mut self,
        method: &Method,
        keep_body: bool,
        decode: bool,
    ) -> Result<WireResponse, WireError> {
        loop {
            let (status, headers, facts, head_len, version_minor) = loop {
                if self.input.is_empty() {
                    self.fill(Phase::Waiting).await?; // nothing to parse yet
                }
                let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut slots);
                match response.parse(&self.input) {
                    Ok(httparse::Status::Complete(head_len)) => {
                        let status = StatusCode::from_u16(response.code.unwrap_or(0))
                            .map_err(|_| WireError::BadStatusLine(self.status_line()))?;
                        let mut headers = HeaderMap::with_capacity(response.headers.len());
                        let mut facts = HeadFacts::default();
                        for header in response.headers.iter() {
                            let invalid = |what: &str| WireError::InvalidHeader(what.into());
                            let name = HeaderName::from_bytes(header.name.as_bytes())
                                .map_err(|_| invalid("invalid header name"))?;
                            let value = HeaderValue::from_bytes(header.value)
                                .map_err(|_| invalid("invalid header value"))?;
                            facts.note(header.name, header.value);
                            headers.append(name, value);
                        }
                        let minor = response.version.unwrap_or(1);
                        break (status, headers, facts, head_len, minor);
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.input.len() > MAX_HEAD_BYTES {
                            return Err(WireError::HeadTooLong(MAX_HEAD_BYTES));
                        }
                        self.fill(Phase::Head).await?; // part of the head has arrived
                    }
                    Err(httparse::Error::Status | httparse::Error::Version) => {
                        return Err(WireError::BadStatusLine(self.status_line()))
                    }
                    Err(error) => return Err(WireError::InvalidHeader(error.to_string())),
                }
            };
            self.input.advance(head_len);
            if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
                continue; // 100 Continue and friends: the real response follows.
            }
            let (kind, keep_alive) = facts.body_kind(method, status, version_minor)?;
            let keep = keep_body || (decode && facts.encoded);
            let mut kept = keep.then(BytesMut::new);
            let content_length =
                self.read_body(kind, kept.as_mut())
                    .await
                    .map_err(|error| match (error, kind) {
                        (WireError::Closed { .. }, BodyKind::Length(_)) => {
                            WireError::Truncated(Truncation::ShortOfLength)
                        }
                        (WireError::Closed { .. }, BodyKind::Chunked) => {
                            WireError::Truncated(Truncation::Chunked)
                        }
                        (other, _) => other,
                    })?;
            return Ok(WireResponse {
                status,
                headers,
                content_length,
                body: kept.map(BytesMut::freeze),
                keep_alive,
                encoded: facts.encoded,
                set_cookie: facts.set_cookie,
            });
        }
    }

    /// Takes up to `wanted` body bytes already buffered (reading more if none), keeping them if
    /// asked (up to the wire's `max_body`; the rest is dropped).
    async fn take(
        &mut self,
        wanted: u64,
        kept: &mut Option<&mut BytesMut>,
    ) -> Result<u64, WireError> {
        if self.input.is_empty() {
            self.fill(Phase::Body).await?;
        }
        let n = (self.input.len() as u64).min(wanted) as usize;
        if let Some(kept) = kept.as_mut() {
            let room = self.max_body.saturating_sub(kept.len()).min(n);
            kept.extend_from_slice(&self.input[..room]);
        }
        self.input.advance(n);
        Ok(n as u64)
    }

    async fn line(&mut self) -> Result<String, WireError> {
        loop {
            if let Some(end) = self.input.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.input[..end]).into_owned();
                self.input.advance(end + 2);
                return Ok(line);
            }
            if self.input.len() > MAX_HEAD_BYTES {
                return Err(WireError::BadChunk("a chunk line too long".into()));
            }
            self.fill(Phase::Body).await?;
        }
    }

    async fn read_body(
        &mut self,
        kind: BodyKind,
        mut kept: Option<&mut BytesMut>,
    ) -> Result<u64, WireError> {
        match kind {
            BodyKind::Length(length) => {
                let mut read = 0;
                while read < length {
                    read += self.take(length - read, &mut kept).await?;
                }
                Ok(length)
            }
            BodyKind::Chunked => {
                let mut total = 0;
                loop {
                    let line = self.line().await?;
                    let size_text = line.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(size_text, 16)
                        .map_err(|_| WireError::BadChunk(crate::locust::py_str_repr(size_text)))?;
                    if size == 0 {
                        // Trailers, up to the empty line.
                        while !self.line().await?.is_empty() {}
                        return Ok(total);
                    }
                    let mut read = 0;
                    while read < size {
                        read += self.take(size - read, &mut kept).await?;
                    }
                    total += size;
                    if !self.line().await?.is_empty() {
                        return Err(WireError::BadChunk("a chunk without CRLF".into()));
                    }
                }
            }
            BodyKind::UntilClose => {
                let mut total = 0;
                loop {
                    match self.take(u64::MAX, &mut kept).await {
                        Ok(n) => total += n,
                        Err(WireError::Closed { .. }) => return Ok(total),
                        Err(other) => return Err(other),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
