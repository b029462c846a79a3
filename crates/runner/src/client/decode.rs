//! Response bodies in `Content-Encoding: gzip`, `deflate` or `br`, decoded as requests decodes
//! them (so captures, checks and Content Size see what the application sent).

use std::io::Read;

pub use crate::coding::Encoding;

use http::header::CONTENT_ENCODING;
use http::HeaderMap;

/// What `Accept-Encoding` says by default.
pub const ACCEPTED: &str = "gzip, deflate, br";

/// The encodings applied to a body, in the order they were applied (`None` when it is plain or
/// uses one captest cannot decode, which then stays as sent).
pub fn encodings(headers: &HeaderMap) -> Option<Vec<Encoding>> {
    let value = headers.get(CONTENT_ENCODING)?.to_str().ok()?;
    let list: Option<Vec<Encoding>> = value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
        .map(Encoding::parse)
        .collect();
    list.filter(|l| !l.is_empty())
}

fn failure(encoding: Encoding, error: &std::io::Error) -> String {
    format!(
        "ContentDecodingError('Received response with content-encoding: {}, but failed to decode it.', {:?})",
        encoding.name(),
        error.to_string()
    )
}

/// Decodes `body`, undoing the last-applied coding first; the failure text is requests'.
pub fn decode(encodings: &[Encoding], body: &[u8]) -> Result<Vec<u8>, String> {
    let mut current = std::borrow::Cow::Borrowed(body);
    for encoding in encodings.iter().rev() {
        let mut out = Vec::with_capacity(current.len() * 4);
        encoding
            .reader(&current)
            .read_to_end(&mut out)
            .map_err(|e| failure(*encoding, &e))?;
        current = std::borrow::Cow::Owned(out);
    }
    Ok(current.into_owned())
}

/// The decoded length of `body`, without keeping the decoded bytes when one coding was applied.
pub fn decoded_len(encodings: &[Encoding], body: &[u8]) -> Result<u64, String> {
    match encodings {
        [encoding] => std::io::copy(&mut encoding.reader(body), &mut std::io::sink())
            .map_err(|e| failure(*encoding, &e)),
        _ => decode(encodings, body).map(|decoded| decoded.len() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decodes_each_coding_and_refuses_corrupt_bodies() {
        let text = b"hello hello hello hello".repeat(50);
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(&text).expect("gzip");
        let gzip = gzip.finish().expect("gzip");
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&text).expect("zlib");
        let zlib = zlib.finish().expect("zlib");
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&text).expect("deflate");
        let raw = raw.finish().expect("deflate");
        let mut br = Vec::new();
        brotli::CompressorWriter::new(&mut br, 4096, 5, 22)
            .write_all(&text)
            .expect("br");
        for (encoding, body) in [
            (Encoding::Gzip, &gzip),
            (Encoding::Deflate, &zlib),
            (Encoding::Deflate, &raw),
            (Encoding::Brotli, &br),
        ] {
            assert_eq!(
                decode(&[encoding], body).expect("decodes"),
                text,
                "{encoding:?}"
            );
        }
        let error = decode(&[Encoding::Gzip], b"not gzip at all").expect_err("corrupt");
        assert!(error.starts_with("ContentDecodingError("), "{error}");
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_ENCODING, "gzip, br".parse().expect("value"));
        assert_eq!(
            encodings(&headers),
            Some(vec![Encoding::Gzip, Encoding::Brotli])
        );
        headers.insert(CONTENT_ENCODING, "zstd".parse().expect("value"));
        assert_eq!(encodings(&headers), None);
    }
}
