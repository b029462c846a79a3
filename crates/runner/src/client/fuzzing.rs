//! Entry points for the fuzz targets in `fuzz/` (not part of the API; no behaviour of its own):
//! the HTTP/1.1 response reader fed arbitrary bytes over a loopback connection.

use std::net::SocketAddr;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::stream::Stream;
use super::wire::{RequestHead, Wire, WireError};

/// Most responses read from one input (a keep-alive connection carrying several).
const MAX_RESPONSES: usize = 8;

/// Longer than any input takes: reading past it is a hang.
const HANG: Duration = Duration::from_secs(10);

/// A runtime and a loopback listener kept for every input of a fuzzing process.
struct Loopback {
    runtime: tokio::runtime::Runtime,
    listener: TcpListener,
    address: SocketAddr,
}

thread_local! {
    static LOOPBACK: Loopback = {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback listener");
        let address = listener.local_addr().expect("its address");
        Loopback { runtime, listener, address }
    };
}

/// How one response of the input was read: its status and body length, or the error's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A whole response.
    Response {
        /// Its status.
        status: u16,
        /// Its body length.
        content_length: u64,
        /// Whether the connection may carry another.
        keep_alive: bool,
    },
    /// The socket failed.
    Io,
    /// The server closed the connection before the whole response.
    Closed,
    /// Not HTTP/1.x: a bad status line, header or chunk, or a head too long.
    Malformed,
}

/// Sends a request on a loopback connection whose server answers with `input` (written in
/// pieces whose size the first byte picks, then the connection is closed) and reads responses
/// until one fails or [`MAX_RESPONSES`]; the request is a HEAD or keeps bodies as the second
/// byte says. Panics if reading takes longer than [`HANG`].
pub fn http1_responses(input: &[u8]) -> Vec<Read> {
    let piece = usize::from(input.first().copied().unwrap_or(0)) % 64 + 1;
    let mode = input.get(1).copied().unwrap_or(0);
    let method = if mode & 1 == 1 {
        Method::HEAD
    } else {
        Method::GET
    };
    let keep_body = mode & 2 == 2;
    let decode = mode & 4 == 4;
    let reply = input.get(2..).unwrap_or_default().to_vec();
    LOOPBACK.with(|loopback| {
        loopback.runtime.block_on(async {
            let connect = TcpStream::connect(loopback.address);
            let (accepted, connected) = tokio::join!(loopback.listener.accept(), connect);
            let (mut server, _) = accepted.expect("accept on loopback");
            let client = connected.expect("connect on loopback");
            let writer = tokio::spawn(async move {
                for chunk in reply.chunks(piece) {
                    if server.write_all(chunk).await.is_err() {
                        return;
                    }
                }
                let _ = server.shutdown().await;
            });
            let mut wire = Wire::new(Stream::Plain(client));
            let reads = tokio::time::timeout(HANG, read_all(&mut wire, &method, keep_body, decode))
                .await
                .expect("the response reader hung");
            drop(wire);
            let _ = writer.await;
            reads
        })
    })
}

/// Sends one request and reads responses until one fails.
async fn read_all(wire: &mut Wire, method: &Method, keep_body: bool, decode: bool) -> Vec<Read> {
    let empty = HeaderMap::new();
    let host = HeaderValue::from_static("fuzz");
    let head = RequestHead {
        method,
        request_target: "/",
        host: &host,
        headers: &empty,
        extra: &empty,
        defaults: &empty,
    };
    let mut reads = Vec::new();
    if wire.send(head, b"").await.is_err() {
        reads.push(Read::Io);
        return reads;
    }
    while reads.len() < MAX_RESPONSES {
        match wire.receive(method, keep_body, decode).await {
            Ok(response) => {
                if let Some(body) = &response.body {
                    assert_eq!(
                        body.len() as u64,
                        response.content_length,
                        "a kept body is whole"
                    );
                }
                reads.push(Read::Response {
                    status: response.status.as_u16(),
                    content_length: response.content_length,
                    keep_alive: response.keep_alive,
                });
            }
            Err(error) => {
                reads.push(match error {
                    WireError::Io(..) => Read::Io,
                    WireError::Closed { .. } | WireError::Truncated(_) => Read::Closed,
                    WireError::BadStatusLine(_)
                    | WireError::InvalidHeader(_)
                    | WireError::HeadTooLong(_)
                    | WireError::BadChunk(_) => Read::Malformed,
                });
                break;
            }
        }
    }
    reads
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keep_alive_responses_until_the_close() {
        let mut input = vec![3, 2];
        input.extend_from_slice(
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        );
        let reads = http1_responses(&input);
        assert_eq!(
            reads,
            vec![
                Read::Response {
                    status: 200,
                    content_length: 2,
                    keep_alive: true
                },
                Read::Response {
                    status: 404,
                    content_length: 1,
                    keep_alive: true
                },
                Read::Closed,
            ]
        );
        assert_eq!(
            http1_responses(b"\x00\x00garbage\r\n\r\n"),
            vec![Read::Malformed]
        );
        assert_eq!(http1_responses(b""), vec![Read::Closed]);
    }
}
