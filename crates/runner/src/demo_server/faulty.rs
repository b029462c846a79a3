//! HTTP/1.1 served by hand when faults are planned (`--fault`): hyper cannot be made to reset a
//! connection mid-body or to send a malformed status line, so each request is read here, counted,
//! and answered either by the demo handler (the response written as hyper would) or by the fault
//! drawn for it.

use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use http::{header, Request, Version};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::counters::ConnectionTally;
use super::fault::FaultKind;
use super::fault_writers;
use super::handler::{self, DemoState};
use super::routes::Route;

/// Largest request head read.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body read.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Most request headers read.
const MAX_HEADERS: usize = 64;

/// A served connection: a byte stream over a TCP socket that can be reset.
pub trait Socket: AsyncRead + AsyncWrite + Unpin + Send {
    /// The TCP socket under the stream.
    fn tcp(&self) -> &TcpStream;
}

impl Socket for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Socket for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

/// Resets `io`'s connection: the close sends RST instead of FIN.
pub fn reset<S: Socket>(io: S) {
    let _ = io.tcp().set_zero_linger();
    drop(io);
}

/// Reads one whole request (head and `Content-Length` body) from `io`, after whatever `input`
/// holds; `None` when the client closed or sent something unreadable.
async fn read_request<S: Socket>(io: &mut S, input: &mut BytesMut) -> Option<Request<Bytes>> {
    let (mut request, length, head_len) = loop {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut slots);
        match parsed.parse(input).ok()? {
            httparse::Status::Complete(head_len) => {
                let mut builder = Request::builder()
                    .method(parsed.method?)
                    .uri(parsed.path?)
                    .version(Version::HTTP_11);
                let mut length = 0usize;
                for h in parsed.headers.iter() {
                    if h.name.eq_ignore_ascii_case("content-length") {
                        length = std::str::from_utf8(h.value).ok()?.trim().parse().ok()?;
                    }
                    builder = builder.header(h.name, h.value);
                }
                break (builder.body(Bytes::new()).ok()?, length, head_len);
            }
            httparse::Status::Partial if input.len() > MAX_HEAD => return None,
            httparse::Status::Partial => {
                if io.read_buf(input).await.ok()? == 0 {
                    return None;
                }
            }
        }
    };
    if length > MAX_BODY {
        return None;
    }
    input.advance(head_len);
    while input.len() < length {
        if io.read_buf(input).await.ok()? == 0 {
            return None;
        }
    }
    *request.body_mut() = input.split_to(length).freeze();
    Some(request)
}

/// The demo handler's answer to `request`, as bytes on the wire (`Content-Length` framing;
/// `Connection: close` when `close`).
async fn answer(
    state: &Arc<DemoState>,
    tally: &Arc<ConnectionTally>,
    request: Request<Bytes>,
    close: bool,
) -> Vec<u8> {
    let request = request.map(Full::new);
    let response = match handler::handle(state.clone(), tally.clone(), request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let mut out = Vec::with_capacity(256 + body.len());
    let reason = parts.status.canonical_reason().unwrap_or("Unknown");
    out.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", parts.status.as_u16()).as_bytes());
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::CONNECTION {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(&body);
    out
}

/// Serves requests on `io` until the client closes or a fault ends the connection. With
/// `refused` planned, every response closes its connection (each request then dials anew and
/// meets the closed listener).
pub async fn serve<S: Socket>(mut io: S, state: Arc<DemoState>, tally: Arc<ConnectionTally>) {
    let mut input = BytesMut::with_capacity(8 * 1024);
    let close_each = state.faults.rate(FaultKind::Refused).is_some();
    while let Some(request) = read_request(&mut io, &mut input).await {
        let route = Route::resolve(request.method(), request.uri().path());
        let close = close_each
            || request
                .headers()
                .get(header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        // Only counted routes misbehave (never `/__counters`): every fault is in the counts.
        let pattern = route.pattern();
        let fault = pattern.and_then(|_| state.faults.for_request(rand::random()));
        if let (Some(kind), Some(pattern)) = (fault, pattern) {
            if kind != FaultKind::Unsolicited {
                state
                    .counters
                    .record_fault(pattern, kind.name(), Version::HTTP_11, &tally);
                return fault_writers::write(kind, io).await;
            }
        }
        let mut out = answer(&state, &tally, request, close).await;
        if fault == Some(FaultKind::Unsolicited) {
            state.counters.note_fault(FaultKind::Unsolicited.name());
            out.extend_from_slice(fault_writers::UNSOLICITED);
        }
        if io.write_all(&out).await.is_err() || io.flush().await.is_err() || close {
            let _ = io.shutdown().await;
            return;
        }
    }
}
