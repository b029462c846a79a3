//! The HTTP/1.1 wire against byte-scripted servers: bodies split across reads, chunked
//! encoding, bodies until close, early closes.

use super::*;
use tokio::net::TcpListener;

async fn serve_once(reply: &'static [u8]) -> (Wire, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let n = socket.read(&mut request).await.unwrap();
        request.truncate(n);
        for piece in reply.chunks(7) {
            socket.write_all(piece).await.unwrap();
            socket.flush().await.unwrap();
        }
        request
    });
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    (Wire::new(Stream::Plain(stream)), server)
}

fn get_root() -> RequestHead<'static> {
    static EMPTY: std::sync::OnceLock<HeaderMap> = std::sync::OnceLock::new();
    static HOST: HeaderValue = HeaderValue::from_static("h");
    let empty = EMPTY.get_or_init(HeaderMap::new);
    RequestHead {
        method: &Method::GET,
        request_target: "/",
        host: &HOST,
        headers: empty,
        extra: empty,
        defaults: empty,
    }
}

#[tokio::test]
async fn reads_chunked_and_length_bodies_split_across_reads() {
    let (mut wire, server) = serve_once(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nabc",
    )
    .await;
    let host = HeaderValue::from_static("127.0.0.1");
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_static("k"));
    let mut defaults = HeaderMap::new();
    defaults.insert("x-api-key", HeaderValue::from_static("default"));
    defaults.insert("user-agent", HeaderValue::from_static("captest"));
    let head = RequestHead {
        method: &Method::POST,
        request_target: "/e?x=1",
        host: &host,
        headers: &headers,
        extra: &HeaderMap::new(),
        defaults: &defaults,
    };
    wire.send(head, b"{}").await.unwrap();
    let first = wire.receive(&Method::POST, true, false).await.unwrap();
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body.as_deref(), Some(&b"hello world"[..]));
    assert_eq!(first.content_length, 11);
    assert!(first.keep_alive);
    let second = wire.receive(&Method::GET, false, false).await.unwrap();
    assert_eq!((second.status.as_u16(), second.content_length), (404, 3));
    let request = String::from_utf8(server.await.unwrap()).unwrap();
    assert!(
        request.starts_with("POST /e?x=1 HTTP/1.1\r\nhost: 127.0.0.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains("x-api-key: k\r\nuser-agent: captest\r\ncontent-length: 2\r\n\r\n{}"),
        "{request}"
    );
}

#[tokio::test]
async fn body_until_close_and_early_close() {
    let (mut wire, _server) = serve_once(b"HTTP/1.0 200 OK\r\n\r\nall of it").await;
    wire.send(get_root(), b"").await.unwrap();
    let response = wire.receive(&Method::GET, true, false).await.unwrap();
    assert_eq!(response.body.as_deref(), Some(&b"all of it"[..]));
    assert!(!response.keep_alive);
    let (mut wire, _server) =
        serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort").await;
    wire.send(get_root(), b"").await.unwrap();
    assert!(matches!(
        wire.receive(&Method::GET, false, false).await,
        Err(WireError::Truncated(Truncation::ShortOfLength))
    ));
}

#[tokio::test]
async fn a_kept_body_stops_at_max_body_but_is_read_and_counted_whole() {
    let (wire, _server) = serve_once(
        b"HTTP/1.1 200 OK\r\ncontent-length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyzHTTP/1.1 204 No Content\r\n\r\n",
    )
    .await;
    let mut wire = wire.keeping_at_most(10);
    wire.send(get_root(), b"").await.unwrap();
    let response = wire.receive(&Method::GET, true, false).await.unwrap();
    assert_eq!(response.body.as_deref(), Some(&b"abcdefghij"[..]));
    assert_eq!(response.content_length, 26);
    // The rest of the body was read: the next response parses.
    let next = wire.receive(&Method::GET, true, false).await.unwrap();
    assert_eq!(next.status, StatusCode::NO_CONTENT);
}
