//! A number cell as the fast history reader parses it: rounded exactly as polars and the
//! standard library round it.

use decimal::POWERS_OF_TEN_U64;
pub(crate) use decimal::{Decimal, FRACTION_DIGITS, POWERS_OF_TEN};

mod decimal;

/// Bytes of ASCII `0`.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// The 8 bytes at `text[at..]`, first byte lowest.
#[inline(always)]
fn load8(text: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = text.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The value of 8 ASCII digits (first byte lowest, most significant), `None` if one is not a
/// digit: the SWAR method of simdjson and fast_float (Lemire), three multiplications.
#[inline(always)]
fn eight_digits(word: u64) -> Option<u64> {
    if !all_digits(word) {
        return None;
    }
    let digits = word - ZEROS;
    let pairs = digits.wrapping_mul(10).wrapping_add(digits >> 8);
    let quads = (pairs & 0x0000_00FF_0000_00FF)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((pairs >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)));
    Some(quads >> 32)
}

/// Whether the 8 bytes of `word` are all ASCII digits.
#[inline(always)]
fn all_digits(word: u64) -> bool {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let nibbles =
        (word & HIGH_NIBBLES) | ((word.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) >> 4);
    nibbles == 0x3333_3333_3333_3333
}

/// The first `count` (1 to 8) bytes of `word` moved to its top, led by ASCII zeros: 8 digits
/// with the same value when those bytes are digits.
#[inline(always)]
fn align_digits(word: u64, count: usize) -> u64 {
    (word << (8 * (8 - count))) | ZEROS.checked_shr(8 * count as u32).unwrap_or(0)
}

/// The value of the `count` (at most 19) ASCII digits at `text[at..]`; `None` if one is not a
/// digit or the text ends less than 8 bytes after one of them.
#[inline(always)]
fn digit_run(text: &[u8], mut at: usize, count: usize) -> Option<u64> {
    let head = count % 8;
    let mut value = 0;
    if head > 0 {
        value = eight_digits(align_digits(load8(text, at)?, head))?;
        at += head;
    }
    for _ in 0..count / 8 {
        value = value * 100_000_000 + eight_digits(load8(text, at)?)?;
        at += 8;
    }
    Some(value)
}

/// The `.` bytes of `word`: the high bit of each byte that is a `.` (0x2E) set, the others clear.
#[inline(always)]
fn dot_bytes(word: u64) -> u64 {
    const LOW_SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let diff = word ^ 0x2E2E_2E2E_2E2E_2E2E;
    !(((diff & LOW_SEVEN) + LOW_SEVEN) | diff) & !LOW_SEVEN
}

/// Where the first `.` of `text[start..end]` is, 8 bytes at a time (`Some(end)` if none);
/// `None` if fewer than 8 bytes are left to look at. Bytes past `end` are masked off, so that
/// whether a dot is found does not depend on the next cells (a branch the processor predicts).
#[inline(always)]
fn point(text: &[u8], start: usize, end: usize) -> Option<usize> {
    let mut at = start;
    while at < end {
        let mut is_dot = dot_bytes(load8(text, at)?);
        let left = end - at;
        if left < 8 {
            is_dot &= (1u64 << (8 * left)) - 1;
        }
        if is_dot != 0 {
            return Some(at + is_dot.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    Some(end)
}

/// Parses the number cell `text[start..end]`: `Some(value)`, the value `None` for an empty or
/// `N/A` cell; `None` when the cell is not a number. Plain decimals of up to 19 digits are read
/// 8 digits at a time.
#[inline(always)]
pub(crate) fn parse_cell(text: &[u8], start: usize, end: usize) -> Option<Option<f64>> {
    // Most cells are whole numbers of up to 8 digits (percentiles in ms, counts): one load, no
    // loop, and no branch but whether they are all digits.
    let length = end.wrapping_sub(start);
    if (1..=8).contains(&length) {
        if let Some(value) = load8(text, start).and_then(|w| eight_digits(align_digits(w, length)))
        {
            return Some(Some(value as f64));
        }
    }
    if let Some(decimal) = parse_decimal(text, start, end) {
        return Some(Some(decimal.value()));
    }
    parse_slice(&text[start..end])
}

/// Whether the cell `text[start..end]` is a plain decimal (an optional `-`, then digits with at
/// most one `.`, one digit at least), checked 8 bytes at a time without computing its value: for
/// cells that must hold a number but are not used. A cell that is not plain (`1e5`, `N/A`) says
/// `false`, which sends the file to the general reader to decide. Cells over 16 bytes are parsed.
#[inline(always)]
pub(crate) fn is_plain_number(text: &[u8], start: usize, end: usize) -> bool {
    // Most are 1 to 8 digits and dots (`1.200000`): one load, one check.
    let length = end.wrapping_sub(start);
    if let (1..=8, Some(word)) = (length, load8(text, start)) {
        let word = align_digits(word, length);
        let is_dot = dot_bytes(word);
        // A `.` (0x2E) + 2 is a `0`.
        if all_digits(word + (is_dot >> 7) * 2) {
            // At most one dot, and not a dot alone.
            return is_dot & is_dot.wrapping_sub(1) == 0 && (length > 1 || is_dot == 0);
        }
    }
    is_plain_number_in_words(text, start, end)
}

/// [`is_plain_number`] for a cell that is signed, longer than 8 bytes or not plain.
#[inline(always)]
fn is_plain_number_in_words(text: &[u8], start: usize, end: usize) -> bool {
    // How many `.`s 8 digits-or-dots hold, if every other byte is a digit.
    let dots_of = |word: u64| {
        let is_dot = dot_bytes(word);
        // A `.` (0x2E) + 2 is a `0`.
        all_digits(word + (is_dot >> 7) * 2).then_some(is_dot.count_ones())
    };
    // A count, a time or a rate is never negative: a sign sends the file to the general reader,
    // which names the cell.
    if text.get(start) == Some(&b'-') {
        return false;
    }
    let digits_start = start;
    let length = end.saturating_sub(digits_start);
    let high = length.saturating_sub(8);
    let dots = match (
        length,
        load8(text, digits_start),
        load8(text, digits_start + high),
    ) {
        (1..=8, Some(word), _) => dots_of(align_digits(word, length)),
        (9..=16, Some(first), Some(last)) => dots_of(align_digits(first, high))
            .zip(dots_of(last))
            .map(|(a, b)| a + b),
        _ => return parse_cell(text, start, end).is_some_and(|v| v.is_some()),
    };
    dots.is_some_and(|dots| dots <= 1 && length > dots as usize)
}

/// Reads the cell `text[start..end]` as a plain decimal of up to 19 digits (an optional `-`,
/// digits with at most one `.`), 8 digits at a time; `None` if it is not one, or if `text` ends
/// less than 8 bytes after one of its digits (the caller then parses it another way).
#[inline(always)]
pub(crate) fn parse_decimal(text: &[u8], start: usize, end: usize) -> Option<Decimal> {
    let negative = text.get(start) == Some(&b'-');
    let digits_start = start + usize::from(negative);
    let point = point(text, digits_start, end)?;
    let fraction_start = (point + 1).min(end);
    let (whole, fraction) = (point - digits_start, end - fraction_start);
    if whole + fraction == 0 || whole + fraction > 19 {
        return None;
    }
    let whole_digits = digit_run(text, digits_start, whole)?;
    let fraction_digits = digit_run(text, fraction_start, fraction)?;
    Some(Decimal {
        mantissa: whole_digits * POWERS_OF_TEN_U64[fraction] + fraction_digits,
        fraction: fraction as u8,
        negative,
    })
}

/// A number cell whose text often repeats on the next line (a history's timestamp: the rows of
/// every entry for one second have the same): parsed once per run of the same text.
#[derive(Debug, Default)]
pub(crate) struct RepeatedCell {
    /// The last text parsed, first byte lowest (cells of up to 16 bytes).
    text: u128,
    /// Its length; 0 before the first.
    length: usize,
    /// What [`parse_cell`] made of it.
    value: Option<Option<f64>>,
}

impl RepeatedCell {
    /// [`parse_cell`] of `text[start..end]`, from the last cell when the text is the same.
    #[inline(always)]
    pub(crate) fn parse(&mut self, text: &[u8], start: usize, end: usize) -> Option<Option<f64>> {
        let length = end.wrapping_sub(start);
        let bytes = text.get(start..start.wrapping_add(16));
        let (Some(bytes), 1..=16) = (bytes.and_then(|b| <[u8; 16]>::try_from(b).ok()), length)
        else {
            return parse_cell(text, start, end);
        };
        let cell = u128::from_le_bytes(bytes) & (u128::MAX >> (8 * (16 - length)));
        if length != self.length || cell != self.text {
            *self = RepeatedCell {
                text: cell,
                length,
                value: parse_cell(text, start, end),
            };
        }
        self.value
    }
}

/// Parses a number cell given as a slice, with `fast-float2` (correctly rounded, as polars): the
/// cells [`parse_cell`] does not read 8 digits at a time.
pub(crate) fn parse_slice(cell: &[u8]) -> Option<Option<f64>> {
    if cell.is_empty() || cell == b"N/A" {
        return Some(None);
    }
    match fast_float2::parse_partial::<f64, _>(cell) {
        // NaN and infinities are not figures: the general reader names the cell.
        Ok((value, used)) if used == cell.len() && value.is_finite() => Some(Some(value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
