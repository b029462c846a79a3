//! The session against small scripted servers: a request is sent at most once, and what
//! reaches the wire is what the caller is told about.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, Method, Uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{ClientSettings, HttpClient, Outgoing, RequestOptions, Session, Target};

/// Reads one request head (these tests send no bodies); false at end of stream.
async fn read_request(socket: &mut TcpStream, seen: &AtomicU64) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    seen.fetch_add(1, Ordering::SeqCst);
    true
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

async fn send(session: &mut Session, target: &Target) -> Result<u16, String> {
    let uri: Uri = "/".parse().expect("uri");
    let headers = HeaderMap::new();
    let request = Outgoing {
        method: &Method::GET,
        uri: &uri,
        headers: &headers,
        body: b"",
    };
    let options = RequestOptions {
        keep_body: false,
        follow_redirects: true,
        decompress: true,
        timeout: Duration::from_secs(5),
    };
    session
        .send(target, request, options)
        .await
        .map(|exchange| exchange.status.as_u16())
        .map_err(|failure| failure.describe("/"))
}

fn session() -> Session {
    Session::new(&HttpClient::new(&ClientSettings::default()).expect("client"))
}

#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_replaced_before_sending() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let target =
        Target::parse(&format!("http://{}", listener.local_addr().expect("addr"))).expect("target");
    let seen = Arc::new(AtomicU64::new(0));
    let server_seen = seen.clone();
    tokio::spawn(async move {
        // Each connection: one response, then the server closes it (an idle timeout).
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            if read_request(&mut socket, &server_seen).await {
                let _ = socket.write_all(OK).await;
            }
        }
    });
    let mut session = session();
    for _ in 0..3 {
        assert_eq!(send(&mut session, &target).await, Ok(200));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "each request reached the server once"
    );
}

#[tokio::test]
async fn a_reset_after_the_request_is_a_failure_and_never_sent_again() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let target =
        Target::parse(&format!("http://{}", listener.local_addr().expect("addr"))).expect("target");
    let seen = Arc::new(AtomicU64::new(0));
    let server_seen = seen.clone();
    tokio::spawn(async move {
        // First request answered on a kept-alive connection; the second is read, then the
        // connection is reset (SO_LINGER 0) without an answer. Later connections answer.
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        if read_request(&mut socket, &server_seen).await {
            let _ = socket.write_all(OK).await;
        }
        if read_request(&mut socket, &server_seen).await {
            let _ = socket.set_zero_linger();
            drop(socket);
        }
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            while read_request(&mut socket, &server_seen).await {
                let _ = socket.write_all(OK).await;
            }
        }
    });
    let mut session = session();
    assert_eq!(send(&mut session, &target).await, Ok(200));
    let reset = send(&mut session, &target).await;
    assert_eq!(
        reset,
        Err("ConnectionResetError(104, 'Connection reset by peer')".to_owned())
    );
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "the reset request was not sent again"
    );
    // The connection was replaced: the next request goes out on a new one.
    assert_eq!(send(&mut session, &target).await, Ok(200));
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}
