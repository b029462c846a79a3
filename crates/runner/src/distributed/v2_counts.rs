//! HdrHistogram's V2 encoding read as the (index, count) pairs it holds, without building a
//! histogram: a merge adds each shard's per-second histograms (in the layout every captest run
//! records in: microseconds, lowest 1, 3 significant digits) count by count into its own, where
//! building one would allocate and zero its whole counts array (tens of KiB) for the few dozen
//! values one second of one entry holds.

use hdrhistogram::Histogram;

/// The cookie of an uncompressed V2 histogram.
const V2_COOKIE: u32 = 0x1c84_9313;
/// Cookie, payload length, normalizing offset, digits, lowest, highest, conversion ratio.
const HEADER_BYTES: usize = 40;
/// The lowest discernible value of the layout runs record in.
const LOWEST: u64 = 1;
/// Its significant digits.
const DIGITS: u32 = 3;
/// log2 of half the sub-bucket count of that layout (2048 sub-buckets at 3 digits).
const HALF_MAGNITUDE: u32 = 10;

/// Reusable state for reading V2 encodings sparsely.
#[derive(Debug, Default)]
pub(crate) struct SparseCounts {
    pairs: Vec<(usize, u64)>,
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// One LEB128 varint as HdrHistogram writes it (at most 9 bytes, the 9th whole): the value and
/// the bytes it took; `None` when `bytes` ends inside it.
fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        if i == 8 {
            return Some((value | u64::from(b) << 56, 9));
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The lowest value of counts-array slot `index` in the layout.
fn value_at(index: usize) -> u64 {
    let half = 1usize << HALF_MAGNITUDE;
    let bucket = (index >> HALF_MAGNITUDE) as i64 - 1;
    let sub = (index & (half - 1)) + half;
    if bucket < 0 {
        (sub - half) as u64
    } else {
        (sub as u64) << bucket
    }
}

impl SparseCounts {
    /// Reads `v2` (a V2 encoding, cookie first) of a histogram in the runs' layout into its
    /// nonzero counts and returns their total. `None` for anything else — another layout, or
    /// an encoding that is not sound: HdrHistogram's own reader then reads it, or says what is
    /// wrong with it.
    pub(crate) fn read(&mut self, v2: &[u8]) -> Option<u64> {
        self.pairs.clear();
        let header_fits = u32_at(v2, 0)? == V2_COOKIE
            && u32_at(v2, 8)? == 0
            && u32_at(v2, 12)? == DIGITS
            && u64_at(v2, 16)? == LOWEST
            && f64::from_bits(u64_at(v2, 32)?) == 1.0;
        if !header_fits {
            return None;
        }
        let length = counts_length(u64_at(v2, 24)?)?;
        let payload_bytes = u32_at(v2, 4)? as usize;
        let payload = v2.get(HEADER_BYTES..HEADER_BYTES.checked_add(payload_bytes)?)?;
        let (mut at, mut index, mut total) = (0, 0usize, 0u64);
        while at < payload.len() {
            let (encoded, used) = varint(&payload[at..])?;
            at += used;
            // Zig-zag: negative is a run of empty slots, positive a count.
            let number = ((encoded >> 1) as i64) ^ -((encoded & 1) as i64);
            if number < 0 {
                index = index.checked_add(usize::try_from(number.unsigned_abs()).ok()?)?;
                continue;
            }
            if number > 0 {
                if index >= length {
                    return None;
                }
                self.pairs.push((index, number as u64));
                total = total.checked_add(number as u64)?;
            }
            index = index.checked_add(1)?;
        }
        Some(total)
    }

    /// Adds the counts last [`SparseCounts::read`] to `into` (a histogram in the runs'
    /// layout, resizing itself).
    pub(crate) fn add_to(&self, into: &mut Histogram<u64>) -> Result<(), String> {
        for &(index, count) in &self.pairs {
            into.record_n(value_at(index), count)
                .map_err(|e| format!("hdr does not add: {e:?}"))?;
        }
        Ok(())
    }
}

/// The counts-array length HdrHistogram gives the runs' layout (lowest 1, 3 digits) with
/// highest trackable value `highest`, worked out as the crate does (`buckets_to_cover`, then
/// `num_bins`) instead of building such a histogram, which allocates and zeroes the array; a
/// merge meets a new `highest` for almost every shard-second. `None` when the crate refuses
/// those bounds (`highest` < 2 × lowest).
fn counts_length(highest: u64) -> Option<usize> {
    if highest < 2 * LOWEST {
        return None;
    }
    let sub_bucket_count = 1u64 << (HALF_MAGNITUDE + 1);
    let mut smallest_untrackable = sub_bucket_count;
    let mut buckets = 1usize;
    while smallest_untrackable <= highest {
        if smallest_untrackable > u64::MAX / 2 {
            buckets += 1;
            break;
        }
        smallest_untrackable <<= 1;
        buckets += 1;
    }
    Some((buckets + 1) << HALF_MAGNITUDE)
}

#[cfg(test)]
mod tests {
    use hdrhistogram::serialization::{Serializer, V2Serializer};

    use super::*;
    use crate::metrics::new_latency_histogram;

    /// The V2 encoding of a histogram holding `values` (µs).
    fn encoded(values: &[u64]) -> (Histogram<u64>, Vec<u8>) {
        let mut histogram = new_latency_histogram();
        for &v in values {
            histogram.record(v).expect("recorded");
        }
        let mut bytes = Vec::new();
        V2Serializer::new()
            .serialize(&histogram, &mut bytes)
            .expect("encoded");
        (histogram, bytes)
    }

    #[test]
    fn sparse_counts_add_up_to_what_the_crate_reads_and_adds() {
        let mut sparse = SparseCounts::default();
        let mut added = new_latency_histogram();
        added.record(7).expect("recorded");
        let mut want = added.clone();
        // Values in the first buckets, across bucket edges, and far out (a resize).
        let sets: [&[u64]; 4] = [
            &[0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096],
            &[250, 250, 250, 31_999, 32_768, 65_535],
            &[1_000_000, 2_000_000_000, 17],
            &[u64::MAX / 4, 3],
        ];
        for values in sets {
            let (histogram, bytes) = encoded(values);
            let total = sparse.read(&bytes).expect("the runs' layout");
            assert_eq!(total, histogram.len());
            sparse.add_to(&mut added).expect("adds");
            want.add(&histogram).expect("adds");
            assert_eq!(added, want, "{values:?}");
            assert_eq!((added.min(), added.max()), (want.min(), want.max()));
        }
    }

    #[test]
    fn counts_lengths_are_those_of_the_crates_histograms() {
        let mut highest_values = vec![2, 3, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 1_000_000];
        for shift in 11..64 {
            let edge = 1u64 << shift;
            highest_values.extend([edge - 1, edge, edge + 1, edge + edge / 3]);
        }
        highest_values.extend([u64::MAX / 2, u64::MAX / 2 + 1, u64::MAX - 1, u64::MAX]);
        for highest in highest_values {
            let crate_length = Histogram::<u64>::new_with_bounds(LOWEST, highest, DIGITS as u8)
                .ok()
                .map(|h| h.distinct_values());
            assert_eq!(counts_length(highest), crate_length, "highest {highest}");
        }
        assert_eq!(counts_length(1), None);
        assert_eq!(counts_length(0), None);
    }

    #[test]
    fn anything_but_a_sound_encoding_of_the_runs_layout_is_left_to_the_crate() {
        let mut sparse = SparseCounts::default();
        let (_, good) = encoded(&[5, 500, 50_000]);
        assert!(sparse.read(&good).is_some());
        let mut two_digits = Histogram::<u64>::new(2).expect("a layout");
        two_digits.record(5).expect("recorded");
        let mut bytes = Vec::new();
        V2Serializer::new()
            .serialize(&two_digits, &mut bytes)
            .expect("encoded");
        assert!(sparse.read(&bytes).is_none(), "2 digits");
        assert!(sparse.read(&good[..good.len() - 1]).is_none(), "cut short");
        assert!(sparse.read(&good[..20]).is_none(), "a header cut short");
        let mut past_the_end = good.clone();
        // A run of empty slots that jumps past the array, then a count there.
        let payload_end = past_the_end.len();
        past_the_end.extend_from_slice(&[0xff, 0xff, 0x03, 0x02]);
        let payload = (payload_end - HEADER_BYTES + 4) as u32;
        past_the_end[4..8].copy_from_slice(&payload.to_be_bytes());
        assert!(
            sparse.read(&past_the_end).is_none(),
            "a count past the array"
        );
    }
}
