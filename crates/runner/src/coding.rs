//! Content codings (`Content-Encoding`): gzip, deflate and br, decoded by the client and encoded
//! by the demo server, with flate2 and brotli.

use std::io::{Read, Write};

/// A content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// gzip (RFC 1952).
    Gzip,
    /// zlib-wrapped deflate (RFC 1950), or raw deflate as some servers send it.
    Deflate,
    /// Brotli (RFC 7932).
    Brotli,
}

impl Encoding {
    /// The coding named `name` in `Content-Encoding` (any case), if captest knows it.
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            "deflate" => Some(Encoding::Deflate),
            "br" => Some(Encoding::Brotli),
            _ => None,
        }
    }

    /// The coding's name as in the header.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
            Encoding::Brotli => "br",
        }
    }

    /// A reader of `body` decoded.
    pub(crate) fn reader<'a>(self, body: &'a [u8]) -> Box<dyn Read + 'a> {
        match self {
            Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(body)),
            // zlib-wrapped as the RFC says, or raw deflate as some servers send it.
            Encoding::Deflate if is_zlib_header(body) => {
                Box::new(flate2::read::ZlibDecoder::new(body))
            }
            Encoding::Deflate => Box::new(flate2::read::DeflateDecoder::new(body)),
            Encoding::Brotli => Box::new(brotli::Decompressor::new(body, 8192)),
        }
    }

    /// `data` encoded this way.
    pub fn encode(self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        let out = Vec::with_capacity(data.len() / 4 + 64);
        match self {
            Encoding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
                encoder.write_all(data)?;
                encoder.finish()
            }
            Encoding::Deflate => {
                let mut encoder = flate2::write::ZlibEncoder::new(out, flate2::Compression::fast());
                encoder.write_all(data)?;
                encoder.finish()
            }
            Encoding::Brotli => {
                let mut encoder = brotli::CompressorWriter::new(out, 4096, 5, 22);
                encoder.write_all(data)?;
                // Finishes the stream (writing to a Vec cannot fail).
                Ok(encoder.into_inner())
            }
        }
    }
}

/// Whether `body` starts with a zlib header (deflate method, check bits).
fn is_zlib_header(body: &[u8]) -> bool {
    match body {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}
