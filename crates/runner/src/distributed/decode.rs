//! Decodes a bundle's entry records into a merge's intervals with buffers kept from one record
//! to the next: a merge of 16 one-hour shards reads millions of histograms, and the HDR crate's
//! own reader allocates a fresh inflate state (tens of KiB, zeroed) for each one.

use base64::Engine as _;
use flate2::{Decompress, FlushDecompress, Status};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use super::record::EntryRecord;
use super::v2_counts::SparseCounts;
use crate::locust::LocustBuckets;
use crate::metrics::IntervalStats;

/// The cookie of a V2 deflate-compressed histogram (HdrHistogram's encoding).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// The most a histogram may inflate to: an auto-resized µs histogram up to an hour at 3 digits
/// is well under 1 MiB; more is a corrupt or hostile record.
const MAX_INFLATED: usize = 64 << 20;

/// A record's response times: read sparsely (their total), or as a histogram.
enum Counts {
    Sparse(u64),
    Full(Histogram<u64>),
}

/// Reusable buffers for reading entry records.
pub(crate) struct EntryDecoder {
    encoded: Vec<u8>,
    inflated: Vec<u8>,
    inflate: Decompress,
    reader: Deserializer,
    sparse: SparseCounts,
}

impl std::fmt::Debug for EntryDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryDecoder").finish_non_exhaustive()
    }
}

impl Default for EntryDecoder {
    fn default() -> Self {
        EntryDecoder {
            encoded: Vec::new(),
            inflated: Vec::new(),
            inflate: Decompress::new(true),
            reader: Deserializer::new(),
            sparse: SparseCounts::default(),
        }
    }
}

impl EntryDecoder {
    /// Adds `entry` to `into` (as `into += entry.interval()` would), or says what is wrong with
    /// the record.
    pub(crate) fn add_into(
        &mut self,
        entry: &EntryRecord,
        into: &mut IntervalStats,
    ) -> Result<(), String> {
        let counts = self.counts(&entry.hdr)?;
        let held = match &counts {
            Counts::Sparse(total) => *total,
            Counts::Full(hdr) => hdr.len(),
        };
        let in_buckets = LocustBuckets::index_counts_total(&entry.buckets)
            .ok_or_else(|| "a Locust bucket index or count is out of range".to_owned())?;
        if held != entry.requests || in_buckets != entry.requests {
            return Err(format!(
                "{} requests, but the histograms hold {} and {}",
                entry.requests, held, in_buckets
            ));
        }
        if entry.requests == 0 {
            return Ok(());
        }
        into.requests += entry.requests;
        into.failures += entry.failures;
        into.sum_ns += entry.sum_ns;
        into.min_ns = into.min_ns.min(entry.min_ns);
        into.max_ns = into.max_ns.max(entry.max_ns);
        into.content_bytes += entry.content_bytes;
        into.events += entry.events.0;
        into.buckets.add_index_counts(&entry.buckets);
        match counts {
            Counts::Sparse(_) => self.sparse.add_to(&mut into.hdr),
            Counts::Full(hdr) => into
                .hdr
                .add(&hdr)
                .map_err(|e| format!("hdr does not add: {e:?}")),
        }
    }

    /// The counts `text` encodes (base64 of HdrHistogram's V2 encoding, deflated or not): read
    /// sparsely in the runs' layout, else by the crate's reader.
    fn counts(&mut self, text: &str) -> Result<Counts, String> {
        self.encoded.clear();
        base64::engine::general_purpose::STANDARD
            .decode_vec(text, &mut self.encoded)
            .map_err(|e| format!("hdr is not base64: {e}"))?;
        let not_v2 = |e: &dyn std::fmt::Debug| format!("hdr is not a V2 histogram: {e:?}");
        let cookie = self.encoded.get(..4).map(|b| [b[0], b[1], b[2], b[3]]);
        let v2 = if cookie.map(u32::from_be_bytes) == Some(V2_COMPRESSED_COOKIE) {
            self.inflate_payload().map_err(|e| not_v2(&e))?;
            &self.inflated
        } else {
            // Plain V2, or not a histogram: the crate's reader says which.
            &self.encoded
        };
        if let Some(total) = self.sparse.read(v2) {
            return Ok(Counts::Sparse(total));
        }
        self.reader
            .deserialize(&mut v2.as_slice())
            .map(Counts::Full)
            .map_err(|e| not_v2(&e))
    }

    /// Inflates the zlib payload after the 8-byte header (cookie, length) of `self.encoded`
    /// into `self.inflated`.
    fn inflate_payload(&mut self) -> Result<(), String> {
        let length = self.encoded.get(4..8).map(|b| [b[0], b[1], b[2], b[3]]);
        let length = length.map_or(0, u32::from_be_bytes) as usize;
        // As the crate's reader: at most `length` bytes (a shorter payload is read to its end).
        let payload = self.encoded.get(8..).unwrap_or_default();
        let payload = &payload[..length.min(payload.len())];
        self.inflate.reset(true);
        self.inflated.clear();
        loop {
            let read = self.inflate.total_in() as usize;
            if self.inflated.len() == self.inflated.capacity() {
                self.inflated.reserve(payload.len().max(256) * 4);
            }
            let status = self
                .inflate
                .decompress_vec(
                    &payload[read..],
                    &mut self.inflated,
                    FlushDecompress::Finish,
                )
                .map_err(|e| e.to_string())?;
            match status {
                Status::StreamEnd => return Ok(()),
                _ if self.inflated.len() > MAX_INFLATED => {
                    return Err("the payload inflates past 64 MiB".to_owned())
                }
                _ if self.inflate.total_in() as usize == read
                    && self.inflated.len() < self.inflated.capacity() =>
                {
                    return Err("the compressed payload ends early".to_owned())
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer, V2Serializer};

    use super::*;
    use crate::metrics::RequestKey;

    fn record(times_ns: &[u64]) -> EntryRecord {
        let mut interval = IntervalStats::default();
        for &ns in times_ns {
            interval.record(ns, 10, ns > 50_000_000);
        }
        let key = RequestKey::new("GET", "/a");
        EntryRecord::of(&key, &interval, &mut V2Serializer::new()).expect("encodes")
    }

    #[test]
    fn one_decoder_adds_records_as_the_intervals_they_encode() {
        let mut decoder = EntryDecoder::default();
        let mut merged = IntervalStats::default();
        let (a, mut b) = (record(&[1_000_000, 2_500_000]), record(&[90_000_000]));
        // Earlier bundles deflated their histograms: those still read.
        let mut deflated = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&b.interval().expect("b").hdr, &mut deflated)
            .expect("encodes");
        b.hdr = base64::engine::general_purpose::STANDARD.encode(deflated);
        for entry in [&a, &b] {
            decoder.add_into(entry, &mut merged).expect("a good record");
        }
        let mut want = a.interval().expect("a");
        want += &b.interval().expect("b");
        assert_eq!((merged.requests, merged.failures), (3, 1));
        assert_eq!(merged.hdr, want.hdr);
        assert_eq!(merged.buckets.index_counts(), want.buckets.index_counts());
        assert_eq!((merged.min_ns, merged.max_ns), (1_000_000, 90_000_000));
    }

    #[test]
    fn a_bad_histogram_is_refused_with_what_is_wrong() {
        let mut decoder = EntryDecoder::default();
        let mut into = IntervalStats::default();
        let mut entry = record(&[1_000_000]);
        let good = entry.hdr.clone();
        entry.hdr = "%%".to_owned();
        let error = decoder.add_into(&entry, &mut into).unwrap_err();
        assert!(error.starts_with("hdr is not base64"), "{error}");
        // Cut inside the payload, and a cookie that is no histogram's.
        let engine = base64::engine::general_purpose::STANDARD;
        let bytes = engine.decode(&good).expect("base64");
        for broken in [&bytes[..bytes.len() - 6], &[0u8; 12][..]] {
            entry.hdr = engine.encode(broken);
            let error = decoder.add_into(&entry, &mut into).unwrap_err();
            assert!(error.starts_with("hdr is not a V2 histogram"), "{error}");
        }
        entry.hdr = good;
        entry.requests = 2;
        let error = decoder.add_into(&entry, &mut into).unwrap_err();
        assert!(
            error.contains("2 requests, but the histograms hold 1"),
            "{error}"
        );
        assert!(into.is_empty(), "nothing bad was added");
    }
}
