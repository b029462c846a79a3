//! HTTP/2 on one connection with hyper's client (h2 framing is not written by hand): ALPN `h2`
//! on TLS, prior knowledge on `http://`. Requests of a user share the connection's streams.

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_ENCODING;
use http::{Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::stream::Stream;
use super::wire::{RequestHead, WireResponse};
use crate::metrics::FailureKind;

/// One HTTP/2 connection.
#[derive(Debug)]
pub struct H2 {
    sender: SendRequest<Full<Bytes>>,
    max_body: usize,
}

fn failure(error: &hyper::Error) -> FailureKind {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    FailureKind::Other(format!("ConnectionError({text:?})").into())
}

impl H2 {
    /// The HTTP/2 handshake on `stream`; the connection's task runs on the runtime. At most
    /// `max_body` bytes of a body asked for are kept.
    pub async fn handshake(stream: Stream, max_body: usize) -> Result<H2, FailureKind> {
        let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failure(&e))?;
        tokio::spawn(async move {
            // The connection ends when the server closes it or the sender is dropped; the
            // requests in flight see the error.
            let _ = connection.await;
        });
        Ok(H2 { sender, max_body })
    }

    /// Whether the connection can take another request.
    pub fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Sends one request to `scheme_authority` (`https://host:port`) and reads the whole body.
    pub async fn exchange(
        &mut self,
        scheme_authority: &str,
        head: RequestHead<'_>,
        body: Bytes,
        keep_body: bool,
        decode: bool,
    ) -> Result<WireResponse, FailureKind> {
        let uri: Uri = format!("{scheme_authority}{}", head.request_target)
            .parse()
            .map_err(|_| FailureKind::Other("InvalidURL('the request URL is not valid')".into()))?;
        let mut request = Request::builder()
            .method(head.method.clone())
            .uri(uri)
            .body(Full::new(body))
            .map_err(|e| FailureKind::Other(format!("InvalidURL({:?})", e.to_string()).into()))?;
        let headers = request.headers_mut();
        for (name, value) in head.header_lines() {
            // Connection-specific headers are not allowed in HTTP/2; Host becomes :authority.
            if !is_connection_header(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        self.sender.ready().await.map_err(|e| failure(&e))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| failure(&e))?;
        let (parts, mut incoming) = response.into_parts();
        let keep = keep_body || (decode && parts.headers.contains_key(CONTENT_ENCODING));
        let mut kept = keep.then(BytesMut::new);
        let mut length = 0u64;
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| failure(&e))?;
            if let Some(data) = frame.data_ref() {
                length += data.len() as u64;
                if let Some(kept) = kept.as_mut() {
                    let room = self.max_body.saturating_sub(kept.len()).min(data.len());
                    kept.extend_from_slice(&data[..room]);
                }
            }
        }
        Ok(WireResponse {
            status: parts.status,
            encoded: parts.headers.contains_key(CONTENT_ENCODING),
            set_cookie: parts.headers.contains_key(http::header::SET_COOKIE),
            headers: parts.headers,
            content_length: length,
            body: kept.map(BytesMut::freeze),
            keep_alive: true,
        })
    }
}

fn is_connection_header(name: &http::HeaderName) -> bool {
    use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TE, TRANSFER_ENCODING, UPGRADE};
    [
        CONNECTION,
        HOST,
        TRANSFER_ENCODING,
        UPGRADE,
        TE,
        CONTENT_LENGTH,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}
