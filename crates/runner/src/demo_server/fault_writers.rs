//! What the demo server writes for each per-request fault, after reading the request. Every
//! writer ends the connection (a reset, a clean close, or the client giving up); none keeps more
//! than one small buffer, whatever it sends.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::fault::FaultKind;
use super::faulty::{reset, Socket};

/// The bytes of a response nobody asked for, sent after a proper one (`unsolicited`).
pub const UNSOLICITED: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nunsolicited\n";

/// The body size `huge-body` announces: 10 GiB.
pub const HUGE_BODY: u64 = 10 * 1024 * 1024 * 1024;

/// How much header `huge-headers` sends: 1 MiB.
pub const HUGE_HEADERS: usize = 1024 * 1024;

/// How long a part-sent response lingers before its reset, so the client reads what was sent.
const BEFORE_RESET: Duration = Duration::from_millis(200);

/// One block of filler (body bytes or header value).
const BLOCK: [u8; 16 * 1024] = [b'x'; 16 * 1024];

/// Writes `bytes`; false if the client went away.
async fn send<S: Socket>(io: &mut S, bytes: &[u8]) -> bool {
    io.write_all(bytes).await.is_ok() && io.flush().await.is_ok()
}

/// Writes the answer of fault `kind` on `io`, then ends the connection.
pub async fn write<S: Socket>(kind: FaultKind, mut io: S) {
    match kind {
        FaultKind::ResetBeforeResponse => return reset(io),
        FaultKind::ResetMidBody => {
            let head =
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 4096\r\n\r\n";
            if send(&mut io, head).await && send(&mut io, &BLOCK[..1024]).await {
                tokio::time::sleep(BEFORE_RESET).await;
            }
            return reset(io);
        }
        FaultKind::CloseWithoutResponse => {}
        FaultKind::MalformedStatus => {
            send(&mut io, b"HTTP/1.1 OK 200\r\ncontent-length: 0\r\n\r\n").await;
        }
        FaultKind::InvalidHeader => {
            send(
                &mut io,
                b"HTTP/1.1 200 OK\r\nbad header: x\r\ncontent-length: 2\r\n\r\n{}",
            )
            .await;
        }
        FaultKind::HugeHeaders => huge_headers(&mut io).await,
        FaultKind::TruncatedChunked => {
            let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n400\r\n";
            if send(&mut io, head).await {
                send(&mut io, &BLOCK[..512]).await;
            }
        }
        FaultKind::ShortBody => {
            if send(&mut io, b"HTTP/1.1 200 OK\r\ncontent-length: 4096\r\n\r\n").await {
                send(&mut io, &BLOCK[..1024]).await;
            }
        }
        FaultKind::EndlessBody => endless(&mut io).await,
        FaultKind::Slowloris => slowloris(&mut io).await,
        FaultKind::HugeBody => huge_body(&mut io).await,
        // Not per request: the listener and the handshake do these.
        FaultKind::Refused | FaultKind::TlsGarbage | FaultKind::Unsolicited => {}
    }
    let _ = io.shutdown().await;
}

/// 1 MiB of headers, one 16 KiB header line at a time, then an empty body.
async fn huge_headers<S: Socket>(io: &mut S) {
    if !send(io, b"HTTP/1.1 200 OK\r\n").await {
        return;
    }
    for i in 0..HUGE_HEADERS / BLOCK.len() {
        let name = format!("x-filler-{i}: ");
        if !(send(io, name.as_bytes()).await && send(io, &BLOCK).await && send(io, b"\r\n").await) {
            return;
        }
    }
    send(io, b"content-length: 0\r\n\r\n").await;
}

/// A chunked body of 16 KiB chunks, one every 10 ms, until the client goes away.
async fn endless<S: Socket>(io: &mut S) {
    if !send(io, b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await {
        return;
    }
    let size = format!("{:x}\r\n", BLOCK.len());
    while send(io, size.as_bytes()).await && send(io, &BLOCK).await && send(io, b"\r\n").await {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A small response, one byte per second.
async fn slowloris<S: Socket>(io: &mut S) {
    let response = b"HTTP/1.1 200 OK\r\ncontent-length: 32\r\n\r\n................................";
    for byte in response.chunks(1) {
        if !send(io, byte).await {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A 10 GiB body in 16 KiB blocks, about 100 MB/s (a pause of 16 ms every 100 blocks), until it
/// is all sent or the client goes away.
async fn huge_body<S: Socket>(io: &mut S) {
    let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {HUGE_BODY}\r\n\r\n");
    if !send(io, head.as_bytes()).await {
        return;
    }
    let mut left = HUGE_BODY;
    let mut blocks = 0u64;
    while left > 0 {
        let n = left.min(BLOCK.len() as u64) as usize;
        if io.write_all(&BLOCK[..n]).await.is_err() {
            return;
        }
        left -= n as u64;
        blocks += 1;
        if blocks.is_multiple_of(100) {
            tokio::time::sleep(Duration::from_millis(16)).await;
        }
    }
    let _ = io.flush().await;
}
