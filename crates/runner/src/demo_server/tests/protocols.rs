//! HTTPS, ALPN, HTTP/2 by prior knowledge and the per-protocol, per-connection counters.

use http::{StatusCode, Version};

use super::*;
use crate::demo_server::TlsHandshakes;

#[tokio::test]
async fn tls_serves_https_and_the_written_certificate_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let cert_file = dir.path().join("demo.pem");
    let server = start(|c| {
        c.tls = true;
        c.tls_cert_out = Some(cert_file.clone());
    });
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(&cert_file).unwrap();
    assert_eq!(pem, server.certificate_pem().unwrap().as_bytes());
    // Without --http2 only http/1.1 is offered, whatever the client asks for.
    let config = client_config(&pem, &[b"h2", b"http/1.1"]);
    for name in ["localhost", "127.0.0.1"] {
        let (stream, alpn) = connect_tls(&server, config.clone(), name).await.unwrap();
        assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
        let mut client = Client::open(stream, false, &server.url()).await;
        let response = client.get("/health", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json_of(&response)["status"], "ok");
    }
    // A client that does not trust the certificate fails its handshake.
    let other = start(|c| c.tls = true);
    let stranger = client_config(other.certificate_pem().unwrap().as_bytes(), &[]);
    assert!(connect_tls(&server, stranger, "localhost").await.is_err());
    // A plain server says http://.
    assert!(start(|_| {}).url().starts_with("http://"));
}

#[tokio::test]
async fn alpn_h2_serves_http2_over_tls() {
    let server = start(|c| {
        c.tls = true;
        c.http2 = true;
    });
    let pem = server.certificate_pem().unwrap().as_bytes().to_vec();
    let (stream, alpn) = connect_tls(
        &server,
        client_config(&pem, &[b"h2", b"http/1.1"]),
        "localhost",
    )
    .await
    .unwrap();
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    let mut client = Client::open(stream, true, &server.url()).await;
    for _ in 0..3 {
        let response = client.get("/item/42", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.version(), Version::HTTP_2);
    }
    // HTTP/1.1 clients are still served on the same port.
    let (stream, alpn) = connect_tls(&server, client_config(&pem, &[b"http/1.1"]), "localhost")
        .await
        .unwrap();
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    let mut client = Client::open(stream, false, &server.url()).await;
    assert_eq!(client.get("/health", &[]).await.version(), Version::HTTP_11);
    let counters = server.counters();
    assert_eq!(counters.protocols["HTTP/2.0"], 3);
    assert_eq!(counters.protocols["HTTP/1.1"], 1);
    assert_eq!(counters.connections, 2);
    assert_eq!(counters.total, 4);
}

#[tokio::test]
async fn h2c_prior_knowledge_is_served_with_http2_only() {
    let server = start(|c| c.http2 = true);
    let mut h2 = Client::plain(&server, true).await;
    let response = h2.get("/items?limit=2", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2);
    let mut h1 = Client::plain(&server, false).await;
    assert_eq!(h1.get("/health", &[]).await.status(), StatusCode::OK);
    let counters = server.counters();
    assert_eq!(counters.protocols["HTTP/2.0"], 1);
    assert_eq!(counters.protocols["HTTP/1.1"], 1);
    assert_eq!(counters.connections, 2);
    assert_eq!(counters.tls_handshakes, TlsHandshakes::default());

    // Without --http2 the HTTP/2 preface is refused (the server speaks HTTP/1.1 only).
    let plain = start(|_| {});
    let tcp = TcpStream::connect(plain.local_addr()).await.unwrap();
    let (mut sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::get(format!("{}/health", plain.url()))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert!(sender.send_request(request).await.is_err());
    assert_eq!(plain.counters().total, 0);
}

#[tokio::test]
async fn a_second_connection_resumes_and_counters_are_not_counted() {
    let server = start(|c| c.tls = true);
    let pem = server.certificate_pem().unwrap().as_bytes().to_vec();
    let config = client_config(&pem, &[b"http/1.1"]);
    for expected in [rustls::HandshakeKind::Full, rustls::HandshakeKind::Resumed] {
        let (stream, _) = connect_tls(&server, config.clone(), "localhost")
            .await
            .unwrap();
        assert_eq!(stream.get_ref().1.handshake_kind(), Some(expected));
        let mut client = Client::open(stream, false, &server.url()).await;
        assert_eq!(client.get("/health", &[]).await.status(), StatusCode::OK);
        assert_eq!(client.get("/headers", &[]).await.status(), StatusCode::OK);
    }
    // Reading the counters over HTTP (a third, resumed connection) counts nowhere.
    let (stream, _) = connect_tls(&server, config, "localhost").await.unwrap();
    let mut client = Client::open(stream, false, &server.url()).await;
    let served = json_of(&client.get("/__counters", &[]).await);
    assert_eq!(served["total"], 4);
    assert_eq!(served["connections"], 2);
    assert_eq!(served["protocols"], serde_json::json!({"HTTP/1.1": 4}));
    assert_eq!(
        served["tls_handshakes"],
        serde_json::json!({"full": 1, "resumed": 1})
    );
    let counters = server.counters();
    assert_eq!(counters.total, 4);
    assert_eq!(
        counters.tls_handshakes,
        TlsHandshakes {
            full: 1,
            resumed: 1
        }
    );
    assert_eq!(counters.routes["GET /headers"].count, 2);
}
