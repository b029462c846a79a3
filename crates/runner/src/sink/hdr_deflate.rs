//! HdrHistogram's V2 deflate encoding with one compressor kept from histogram to histogram. The
//! crate's `V2DeflateSerializer` makes a fresh zlib compressor (hundreds of KiB, zeroed) for each
//! histogram, which a merge writing an hour of per-second histograms paid thousands of times;
//! this one resets its own and writes the same bytes.

use std::io::Write;

use flate2::{Compress, Compression, FlushCompress, Status};
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::{Counter, Histogram};

/// The cookie of a V2 deflate-compressed histogram (HdrHistogram's encoding).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;

/// A V2 deflate serializer that reuses its buffers and compressor.
pub(crate) struct ReusedDeflateSerializer {
    v2: V2Serializer,
    plain: Vec<u8>,
    packed: Vec<u8>,
    compress: Compress,
}

impl Default for ReusedDeflateSerializer {
    fn default() -> Self {
        ReusedDeflateSerializer {
            v2: V2Serializer::new(),
            plain: Vec::new(),
            packed: Vec::new(),
            // As the crate's serializer: zlib framing, the default level.
            compress: Compress::new(Compression::default(), true),
        }
    }
}

impl Serializer for ReusedDeflateSerializer {
    type SerializeError = std::io::Error;

    fn serialize<T: Counter, W: Write>(
        &mut self,
        h: &Histogram<T>,
        writer: &mut W,
    ) -> Result<usize, std::io::Error> {
        self.plain.clear();
        self.v2
            .serialize(h, &mut self.plain)
            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        self.packed.clear();
        self.packed
            .extend_from_slice(&V2_COMPRESSED_COOKIE.to_be_bytes());
        self.packed.extend_from_slice(&[0; 4]);
        self.compress.reset();
        self.deflate()?;
        let length = u32::try_from(self.packed.len() - 8).map_err(std::io::Error::other)?;
        self.packed[4..8].copy_from_slice(&length.to_be_bytes());
        writer.write_all(&self.packed)?;
        Ok(self.packed.len())
    }
}

impl ReusedDeflateSerializer {
    /// Compresses `plain` onto `packed` as a zlib writer would: the input, then the finish.
    fn deflate(&mut self) -> Result<(), std::io::Error> {
        let mut input = self.plain.as_slice();
        let mut flush = FlushCompress::None;
        loop {
            if self.packed.capacity() - self.packed.len() < 64 {
                self.packed.reserve(input.len().max(256));
            }
            let before = self.compress.total_in();
            let status = self
                .compress
                .compress_vec(input, &mut self.packed, flush)
                .map_err(std::io::Error::other)?;
            input = &input[(self.compress.total_in() - before) as usize..];
            match (status, flush) {
                (Status::StreamEnd, _) => return Ok(()),
                (_, FlushCompress::None) if input.is_empty() => flush = FlushCompress::Finish,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hdrhistogram::serialization::V2DeflateSerializer;

    use super::*;

    #[test]
    fn writes_the_bytes_of_the_crates_serializer_histogram_after_histogram() {
        let mut reused = ReusedDeflateSerializer::default();
        let mut fresh = V2DeflateSerializer::new();
        let mut histogram = crate::metrics::new_latency_histogram();
        for step in [1_u64, 7, 300, 40_000, 2_000_000] {
            for value in (1..2_000).map(|i| i * step % 9_000_000 + 1) {
                histogram.record(value).expect("auto-resizing");
            }
            let (mut want, mut got) = (Vec::new(), Vec::new());
            fresh.serialize(&histogram, &mut want).expect("encodes");
            reused.serialize(&histogram, &mut got).expect("encodes");
            assert_eq!(got, want, "after values up to {step}");
        }
        let empty = crate::metrics::new_latency_histogram();
        let (mut want, mut got) = (Vec::new(), Vec::new());
        fresh.serialize(&empty, &mut want).expect("encodes");
        reused.serialize(&empty, &mut got).expect("encodes");
        assert_eq!(got, want, "an empty histogram");
    }
}
