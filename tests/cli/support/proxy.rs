//! A forward proxy for the proxy tests (threads and std sockets, loopback only): absolute-form
//! `http://` requests are forwarded one per connection, `CONNECT host:port` opens a tunnel. It
//! counts both, and refuses any destination off loopback.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What went through the proxy.
#[derive(Debug, Default)]
pub struct ProxyCounts {
    /// Absolute-form requests forwarded.
    pub forwarded: AtomicU64,
    /// CONNECT tunnels opened.
    pub tunnels: AtomicU64,
    /// Requests that carried the expected `Proxy-Authorization`.
    pub authorized: AtomicU64,
}

impl ProxyCounts {
    /// Absolute-form requests forwarded so far.
    pub fn forwarded(&self) -> u64 {
        self.forwarded.load(Ordering::Relaxed)
    }

    /// CONNECT tunnels opened so far.
    pub fn tunnels(&self) -> u64 {
        self.tunnels.load(Ordering::Relaxed)
    }

    /// Requests so far that carried the expected `Proxy-Authorization`.
    pub fn authorized(&self) -> u64 {
        self.authorized.load(Ordering::Relaxed)
    }
}

/// A running proxy (its thread ends with the test process).
pub struct TestProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its counts.
    pub counts: Arc<ProxyCounts>,
}

fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

fn loopback(authority: &str) -> bool {
    authority.starts_with("127.")
        || authority.starts_with("[::1]")
        || authority.starts_with("localhost")
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 || to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn tunnel(mut client: TcpStream, authority: &str, counts: &ProxyCounts) {
    let Ok(upstream) = TcpStream::connect(authority) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    counts.tunnels.fetch_add(1, Ordering::Relaxed);
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (c2, u2) = (
        client.try_clone().expect("clone"),
        upstream.try_clone().expect("clone"),
    );
    let back = std::thread::spawn(move || pipe(u2, c2));
    pipe(client, upstream);
    let _ = back.join();
}

fn forward(mut client: TcpStream, head: &str, counts: &ProxyCounts) {
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, url) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let rest = url.strip_prefix("http://").unwrap_or("");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if !loopback(authority) {
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    let mut length = 0usize;
    let mut headers = String::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("proxy-") || lower.starts_with("connection:") {
            continue;
        }
        headers.push_str(line);
        headers.push_str("\r\n");
    }
    let mut body = vec![0u8; length];
    if client.read_exact(&mut body).is_err() {
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(authority) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    counts.forwarded.fetch_add(1, Ordering::Relaxed);
    let path = if path.is_empty() { "/" } else { path };
    let request = format!("{method} {path} HTTP/1.1\r\n{headers}connection: close\r\n\r\n");
    if upstream
        .write_all(request.as_bytes())
        .and_then(|_| upstream.write_all(&body))
        .is_err()
    {
        return;
    }
    // The origin closes after its response (connection: close), so does the proxy.
    pipe(upstream, client);
}

impl TestProxy {
    /// Starts a proxy on a free loopback port; `credentials` (`user:pass`) are checked when given.
    pub fn start(credentials: Option<&str>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let counts = Arc::new(ProxyCounts::default());
        let expected = credentials.map(|c| {
            use base64::Engine;
            format!(
                "proxy-authorization: basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(c)
                    .to_ascii_lowercase()
            )
        });
        let shared = counts.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let counts = shared.clone();
                let expected = expected.clone();
                std::thread::spawn(move || {
                    let mut client = client;
                    let Some(head) = read_head(&mut client) else {
                        return;
                    };
                    let head = String::from_utf8_lossy(&head).into_owned();
                    if expected
                        .as_ref()
                        .is_some_and(|e| head.to_ascii_lowercase().contains(e.as_str()))
                    {
                        counts.authorized.fetch_add(1, Ordering::Relaxed);
                    }
                    let first = head.split("\r\n").next().unwrap_or_default().to_owned();
                    match first.strip_prefix("CONNECT ") {
                        Some(rest) => {
                            let authority = rest.split(' ').next().unwrap_or_default();
                            if loopback(authority) {
                                tunnel(client, authority, &counts);
                            }
                        }
                        None => forward(client, &head, &counts),
                    }
                });
            }
        });
        TestProxy { url, counts }
    }
}
