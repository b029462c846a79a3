//! Compressed bodies: the `/compressed/...` routes and `--compress`.

use std::io::Read;

use http::StatusCode;

use super::*;
use crate::demo_server::compress::sample_text;
use crate::demo_server::DEFAULT_COMPRESSED_SIZE;

/// `body` decoded from `encoding`.
fn decode(encoding: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out)?,
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out)?,
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out)?,
        other => panic!("unexpected encoding {other}"),
    };
    Ok(out)
}

#[tokio::test]
async fn compressed_routes_decode_to_the_original_text() {
    let server = start(|_| {});
    let mut client = Client::plain(&server, false).await;
    for encoding in ["gzip", "deflate", "br"] {
        let response = client
            .get(&format!("/compressed/{encoding}?size=5000"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_of(&response, "content-encoding"), encoding);
        assert!(response.body().len() < 2_500, "{encoding} compresses");
        let decoded = decode(encoding, response.body()).unwrap();
        assert_eq!(decoded, sample_text(5000), "{encoding}");
    }
    let default = client.get("/compressed/gzip", &[]).await;
    let decoded = decode("gzip", default.body()).unwrap();
    assert_eq!(decoded.len(), DEFAULT_COMPRESSED_SIZE);
    assert_eq!(
        client.get("/compressed/zstd", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get("/compressed/br?size=x", &[]).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        server.counters().routes["GET /compressed/{encoding}"].count,
        6
    );
}

#[tokio::test]
async fn corrupt_is_announced_as_gzip_but_does_not_decode() {
    let server = start(|_| {});
    let mut client = Client::plain(&server, false).await;
    let response = client.get("/compressed/corrupt", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, "content-encoding"), "gzip");
    assert!(!response.body().is_empty());
    assert!(decode("gzip", response.body()).is_err());
}

#[tokio::test]
async fn compress_encodes_demo_routes_as_accept_encoding_allows() {
    let server = start(|c| c.compress = true);
    let mut client = Client::plain(&server, false).await;
    let plain = client.get("/item/7", &[]).await;
    assert_eq!(header_of(&plain, "content-encoding"), "");
    assert_eq!(header_of(&plain, "vary"), "accept-encoding");
    let expected = json_of(&plain);
    for (accept, chosen) in [
        ("br, gzip, deflate", "gzip"),
        ("deflate, br", "br"),
        ("deflate", "deflate"),
        ("gzip;q=0.5", "gzip"),
    ] {
        let response = client.get("/item/7", &[("accept-encoding", accept)]).await;
        assert_eq!(header_of(&response, "content-encoding"), chosen, "{accept}");
        assert_eq!(header_of(&response, "vary"), "accept-encoding");
        let decoded = decode(chosen, response.body()).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&decoded).unwrap(),
            expected
        );
    }
    // Already encoded answers are not encoded twice; the counters stay readable JSON.
    let br = client
        .get("/compressed/br?size=100", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(header_of(&br, "content-encoding"), "br");
    let counters = client
        .get("/__counters", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(header_of(&counters, "content-encoding"), "");
    assert_eq!(json_of(&counters)["total"], 6);

    // Without --compress nothing is encoded.
    let server = start(|_| {});
    let mut client = Client::plain(&server, false).await;
    let response = client.get("/item/7", &[("accept-encoding", "gzip")]).await;
    assert_eq!(header_of(&response, "content-encoding"), "");
    assert_eq!(header_of(&response, "vary"), "");
    assert_eq!(json_of(&response), expected);
}
