//! Where the cells of a block of CSV text end: the offsets of its commas and line ends, found 64
//! bytes at a time with 16-byte SIMD compares (the `wide` crate: SSE2 on x86-64, NEON on ARM,
//! plain code elsewhere), so that a line's cells are located without looking at its bytes one by
//! one.

use wide::u8x16;

/// Bytes looked at per step.
const CHUNK: usize = 64;

/// Separators of one block, reused from block to block.
#[derive(Default)]
pub(super) struct Separators {
    /// Offsets of the commas and `\n`s, in order; only the first `count` are meaningful.
    offsets: Vec<u32>,
    count: usize,
}

/// The masks of one 64-byte chunk: bit `i` is set when byte `i` is a separator (a comma or a line
/// end), a line end, a `"`.
#[inline(always)]
fn chunk_masks(chunk: &[u8; CHUNK]) -> [u64; 3] {
    let (comma, line_end, quote) = (u8x16::splat(b','), u8x16::splat(b'\n'), u8x16::splat(b'"'));
    let mut masks = [0; 3];
    for (k, lane) in chunk.as_chunks::<16>().0.iter().enumerate() {
        let bytes = u8x16::new(*lane);
        let is_line_end = bytes.simd_eq(line_end);
        let lanes = [
            bytes.simd_eq(comma) | is_line_end,
            is_line_end,
            bytes.simd_eq(quote),
        ];
        for (mask, lane) in masks.iter_mut().zip(lanes) {
            *mask |= u64::from(lane.to_bitmask()) << (16 * k);
        }
    }
    masks
}

/// What [`Separators::find`] saw besides the separators.
pub(super) struct Found {
    /// `\n`s in the text.
    pub line_ends: usize,
    /// Whether the text holds a `"` (a quoted cell may hold commas and line ends).
    pub has_quote: bool,
}

impl Separators {
    /// Finds the separators of `text` (at most `u32::MAX` bytes long), counting its line ends and
    /// looking for a `"` in the same pass.
    #[inline(always)]
    pub(super) fn find(&mut self, text: &[u8]) -> Found {
        // Room for every byte being a separator, plus a chunk's worth for the unrolled writes.
        let room = text.len() + CHUNK;
        if self.offsets.len() < room {
            self.offsets.resize(room, 0);
        }
        // Locals only in the loop (no writes through `self` the compiler must keep in order).
        let offsets = self.offsets.as_mut_slice();
        let mut count = 0;
        let (chunks, rest) = text.as_chunks::<CHUNK>();
        let mut last = [0u8; CHUNK];
        last[..rest.len()].copy_from_slice(rest);
        let tail = (!rest.is_empty()).then_some(&last);
        let (mut line_ends, mut quotes) = (0, 0);
        for (k, chunk) in chunks.iter().chain(tail).enumerate() {
            let base = (k * CHUNK) as u32;
            let [mut bits, line_end_bits, quote_bits] = chunk_masks(chunk);
            line_ends += line_end_bits.count_ones() as usize;
            quotes |= quote_bits;
            let found = bits.count_ones() as usize;
            // Eight offsets per turn, written whether or not they exist (the extra ones are
            // overwritten or beyond `count`): fewer mispredicted branches than one per bit.
            for eight in offsets[count..count + CHUNK].as_chunks_mut::<8>().0 {
                if bits == 0 {
                    break;
                }
                for offset in eight {
                    *offset = base.wrapping_add(bits.trailing_zeros());
                    bits &= bits.wrapping_sub(1);
                }
            }
            count += found;
        }
        self.count = count;
        Found {
            line_ends,
            has_quote: quotes != 0,
        }
    }

    /// The offsets found by the last [`Separators::find`].
    pub(super) fn offsets(&self) -> &[u32] {
        &self.offsets[..self.count]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_comma_and_line_end_at_any_length_and_alignment() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut separators = Separators::default();
        for length in (0..300).chain([1000, 4099]) {
            let text: Vec<u8> = (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    b",\n0123456789.ab\r"[(state % 16) as usize]
                })
                .collect();
            let found = separators.find(&text);
            let expected: Vec<u32> = (0..text.len() as u32)
                .filter(|&i| matches!(text[i as usize], b',' | b'\n'))
                .collect();
            assert_eq!(separators.offsets(), expected, "length {length}");
            assert_eq!(
                found.line_ends,
                text.iter().filter(|&&b| b == b'\n').count()
            );
            assert!(!found.has_quote);
        }
        assert!(separators.find(b"1,\"a,b\",3\n").has_quote);
        // Every byte a separator.
        separators.find(&[b','; 130]);
        assert_eq!(separators.offsets().len(), 130);
    }
}
