//! HdrHistogram's V2 deflate encoding with one compressor kept from histogram to histogram. The
//! crate's `V2DeflateSerializer` makes a fresh zlib compressor (hundreds of KiB, zeroed) for each
//! histogram, which a merge writing an hour of per-second histograms paid thousands of times;
//! this one resets its own.
//!
//! One header field is made canonical: the highest trackable value is the histogram's largest
//! value (at least 2, the least the format allows for the lowest value 1), not whatever an
//! auto-resizing histogram's counts array happened to grow to. The same counts therefore give the
//! same bytes whatever histogram held them — a second of a live run and the same second merged
//! from shards — and the bytes are those the crate's serializer writes for a histogram made with
//! exactly those bounds. Readers size their histogram from the field; the counts encoded end at
//! the largest value's slot either way.

use std::io::Write;

use flate2::{Compress, Compression, FlushCompress, Status};
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::{Counter, Histogram};

/// The cookie of a V2 deflate-compressed histogram (HdrHistogram's encoding).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// Where the V2 header holds the highest trackable value (a big-endian u64).
const HIGHEST_AT: std::ops::Range<usize> = 24..32;
/// The least highest trackable value the format allows for the lowest value 1.
const LEAST_HIGHEST: u64 = 2;

/// The highest trackable value a histogram whose largest value is `max` is written with.
fn canonical_highest(max: u64) -> u64 {
    max.max(LEAST_HIGHEST)
}

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
        let highest = canonical_highest(h.max()).to_be_bytes();
        self.plain
            .get_mut(HIGHEST_AT)
            .ok_or_else(|| std::io::Error::other("a V2 encoding shorter than its header"))?
            .copy_from_slice(&highest);
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

    /// What the crate's serializer writes for `histogram`'s counts in a histogram made with
    /// exactly the canonical bounds.
    fn crates_bytes(histogram: &Histogram<u64>) -> Vec<u8> {
        let highest = canonical_highest(histogram.max());
        let mut bounded = Histogram::<u64>::new_with_bounds(1, highest, 3).expect("bounds");
        bounded.add(histogram).expect("fits");
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&bounded, &mut bytes)
            .expect("encodes");
        bytes
    }

    #[test]
    fn writes_the_crates_bytes_for_the_canonical_bounds_histogram_after_histogram() {
        let mut reused = ReusedDeflateSerializer::default();
        let mut histogram = crate::metrics::new_latency_histogram();
        for step in [1_u64, 7, 300, 40_000, 2_000_000] {
            for value in (1..2_000).map(|i| i * step % 9_000_000 + 1) {
                histogram.record(value).expect("auto-resizing");
            }
            let mut got = Vec::new();
            reused.serialize(&histogram, &mut got).expect("encodes");
            assert_eq!(got, crates_bytes(&histogram), "after values up to {step}");
        }
        let empty = crate::metrics::new_latency_histogram();
        let mut got = Vec::new();
        reused.serialize(&empty, &mut got).expect("encodes");
        assert_eq!(got, crates_bytes(&empty), "an empty histogram");
    }

    #[test]
    fn the_same_counts_give_the_same_bytes_however_far_a_histogram_grew() {
        let mut small = crate::metrics::new_latency_histogram();
        let mut grown = crate::metrics::new_latency_histogram();
        grown.record(50_000_000).expect("auto-resizing");
        grown.reset();
        for histogram in [&mut small, &mut grown] {
            histogram.record_n(1_234, 5).expect("auto-resizing");
            histogram.record(98_765).expect("auto-resizing");
        }
        assert_ne!(small.high(), grown.high());
        let mut reused = ReusedDeflateSerializer::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        reused.serialize(&small, &mut a).expect("encodes");
        reused.serialize(&grown, &mut b).expect("encodes");
        assert_eq!(a, b);
    }
}
