//! `--fault`: the hand-written HTTP/1.1 path answers as hyper would, counts every request it
//! read, never faults `/__counters`, and writes the fault drawn.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;
use crate::demo_server::{Fault, FaultKind, UNSOLICITED};

fn faulty(kind: FaultKind) -> DemoServer {
    start(|config| config.faults = vec![Fault { kind, rate: 1.0 }])
}

#[tokio::test]
async fn a_faulted_request_is_counted_under_its_fault_and_counters_are_never_faulted() {
    let server = faulty(FaultKind::CloseWithoutResponse);
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let (mut sender, connection) = http1::handshake(TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(connection);
    let host = server.local_addr().to_string();
    let request = |path: &str| {
        Request::get(path)
            .header(header::HOST, &host)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    // Twice on the same connection: the counters route keeps it alive.
    for _ in 0..2 {
        let counters = sender.send_request(request("/__counters")).await.unwrap();
        assert_eq!(counters.status(), 200);
        let body = counters.into_body().collect().await.unwrap().to_bytes();
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
    }
    assert!(
        sender.send_request(request("/items")).await.is_err(),
        "closed"
    );
    let counted = server.counters();
    assert_eq!(counted.total, 1);
    assert_eq!(counted.faults["close-without-response"], 1);
    assert_eq!(
        counted.routes["GET /items"].status["close-without-response"],
        1
    );
}

#[tokio::test]
async fn a_proper_answer_with_its_body_then_the_unsolicited_bytes() {
    let server = faulty(FaultKind::Unsolicited);
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let body = br#"{"name": "widget", "price": 3}"#;
    let request = format!(
        "POST /items HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    tcp.write_all(body).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !received.ends_with(UNSOLICITED) {
        let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buffer))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        assert!(
            n > 0,
            "closed early: {}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&received);
    let answer = &text[..text.len() - UNSOLICITED.len()];
    assert!(answer.starts_with("HTTP/1.1 201 Created\r\n"), "{text}");
    let (head, json) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.contains(&format!("content-length: {}", json.len())),
        "{text}"
    );
    assert_eq!(json_of_text(json)["name"], "widget");
    let counted = server.counters();
    assert_eq!((counted.total, counted.faults["unsolicited"]), (1, 1));
    assert_eq!(counted.routes["POST /items"].status["201"], 1);
}

fn json_of_text(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}
