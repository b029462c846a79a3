//! Compressed bodies: `--compress` encodes the demo routes' answers as the request's
//! `Accept-Encoding` allows (gzip preferred, then br, then deflate), and
//! `GET /compressed/{gzip|deflate|br}?size=N` always answers N bytes of text encoded that way
//! (`/compressed/corrupt`: `Content-Encoding: gzip` over a body that is not gzip).

use std::io::Write;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};

pub use crate::coding::Encoding;

use super::answer::Answer;
use super::handler::Incoming;
use super::routes::Route;

/// Bytes `/compressed/...` answers when no `size` is given.
pub const DEFAULT_COMPRESSED_SIZE: usize = 10_000;
/// The largest `size` `/compressed/...` accepts.
pub const MAX_COMPRESSED_SIZE: usize = 64 * 1024 * 1024;

/// The coding to answer a request with these headers in: gzip if accepted, else br, else
/// deflate; `None` when none is (q-values are ignored, except that `q=0` refuses a coding).
pub fn negotiate(request: &HeaderMap) -> Option<Encoding> {
    let (mut gzip, mut brotli, mut deflate) = (false, false, false);
    for value in request.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut fields = item.split(';').map(str::trim);
            let coding = fields.next().unwrap_or("").to_ascii_lowercase();
            let refused = fields.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match coding.as_str() {
                "gzip" | "x-gzip" => gzip = true,
                "br" => brotli = true,
                "deflate" => deflate = true,
                "*" => gzip = true,
                _ => {}
            }
        }
    }
    match (gzip, brotli, deflate) {
        (true, _, _) => Some(Encoding::Gzip),
        (false, true, _) => Some(Encoding::Brotli),
        (false, false, true) => Some(Encoding::Deflate),
        _ => None,
    }
}

/// `body` encoded as `request` accepts, with `Content-Encoding` and `Vary` added to `response`;
/// unchanged when the answer is encoded already, nothing is accepted or encoding fails.
pub(crate) fn compress_body(request: &HeaderMap, response: &mut HeaderMap, body: Bytes) -> Bytes {
    if response.contains_key(header::CONTENT_ENCODING) {
        return body;
    }
    response.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(encoding) = negotiate(request) else {
        return body;
    };
    match encoding.encode(&body) {
        Ok(encoded) => {
            response.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.name()),
            );
            Bytes::from(encoded)
        }
        Err(_) => body,
    }
}

/// `size` bytes of repetitive text (numbered lines), the plain body of `/compressed/...`.
pub fn sample_text(size: usize) -> Vec<u8> {
    let mut text = Vec::with_capacity(size + 64);
    let mut line = 0u64;
    while text.len() < size {
        line += 1;
        let _ = writeln!(
            text,
            "captest compressed body, line {line:06}: the quick brown fox"
        );
    }
    text.truncate(size);
    text
}

/// A body announced as gzip that is not: the gzip header, then a deflate block of the reserved
/// type 3, which every decoder must refuse.
pub const CORRUPT_GZIP: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
];

/// The answer of `GET /compressed/...`, or `None` for other routes.
pub(crate) fn answer(request: &Incoming<'_>) -> Option<Answer> {
    if request.route != Route::Compressed {
        return None;
    }
    let kind = request.path().trim_start_matches("/compressed/");
    let encoding = match kind {
        "gzip" => Encoding::Gzip,
        "deflate" => Encoding::Deflate,
        "br" => Encoding::Brotli,
        "corrupt" => {
            return Some(encoded(Bytes::from_static(CORRUPT_GZIP), Encoding::Gzip));
        }
        _ => {
            return Some(Answer::detail(
                StatusCode::NOT_FOUND,
                "expected /compressed/gzip, deflate, br or corrupt",
            ))
        }
    };
    let size = match query_size(request.query()) {
        Some(size) => size,
        None => {
            let message = format!("size must be a number of bytes up to {MAX_COMPRESSED_SIZE}");
            return Some(Answer::detail(StatusCode::BAD_REQUEST, &message));
        }
    };
    Some(match encoding.encode(&sample_text(size)) {
        Ok(body) => encoded(Bytes::from(body), encoding),
        Err(_) => Answer::detail(StatusCode::INTERNAL_SERVER_ERROR, "encoding failed"),
    })
}

fn encoded(body: Bytes, encoding: Encoding) -> Answer {
    Answer::raw(StatusCode::OK, "text/plain; charset=utf-8", body).with_header(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(encoding.name()),
    )
}

/// `size` from a query string (default [`DEFAULT_COMPRESSED_SIZE`]); `None` if unreadable or
/// too large.
fn query_size(query: &str) -> Option<usize> {
    let mut size = DEFAULT_COMPRESSED_SIZE;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if let Some(value) = pair.strip_prefix("size=") {
            size = value.parse().ok()?;
        }
    }
    (size <= MAX_COMPRESSED_SIZE).then_some(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn negotiation_prefers_gzip_then_br_then_deflate() {
        assert_eq!(
            negotiate(&accept("br, gzip, deflate")),
            Some(Encoding::Gzip)
        );
        assert_eq!(negotiate(&accept("deflate, br")), Some(Encoding::Brotli));
        assert_eq!(negotiate(&accept("deflate;q=0.5")), Some(Encoding::Deflate));
        assert_eq!(negotiate(&accept("gzip;q=0, br")), Some(Encoding::Brotli));
        assert_eq!(negotiate(&accept("identity")), None);
        assert_eq!(negotiate(&HeaderMap::new()), None);
    }

    #[test]
    fn sizes_are_read_and_bounded() {
        assert_eq!(query_size(""), Some(DEFAULT_COMPRESSED_SIZE));
        assert_eq!(query_size("size=5"), Some(5));
        assert_eq!(query_size("size=x"), None);
        assert_eq!(query_size("size=999999999999"), None);
        assert_eq!(sample_text(123).len(), 123);
    }
}
