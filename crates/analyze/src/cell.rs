//! A number cell as the fast history reader parses it: rounded exactly as polars and the
//! standard library round it.

const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 10^k for k up to 19 (the most fraction digits of a plain decimal).
const POWERS_OF_TEN_U64: [u64; 20] = {
    let mut powers = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        powers[k] = powers[k - 1] * 10;
        k += 1;
    }
    powers
};

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
#[inline]
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
    let negative = text.get(start) == Some(&b'-');
    let digits_start = start + usize::from(negative);
    if let Some(point) = point(text, digits_start, end) {
        let fraction_start = (point + 1).min(end);
        let (whole, fraction) = (point - digits_start, end - fraction_start);
        if whole + fraction > 0 && whole + fraction <= 19 {
            let plain = digit_run(text, digits_start, whole).and_then(|w| {
                let f = digit_run(text, fraction_start, fraction)?;
                Some(w * POWERS_OF_TEN_U64[fraction] + f)
            });
            let magnitude = plain.and_then(|mantissa| {
                if fraction == 0 {
                    // `u64 as f64` rounds to nearest, ties to even: correctly.
                    Some(mantissa as f64)
                } else if mantissa <= 1 << 53 {
                    // Exact: the mantissa and the power of ten are both exact in an f64, so one
                    // division rounds correctly (Clinger's fast path).
                    Some(mantissa as f64 / POWERS_OF_TEN[fraction])
                } else {
                    divided_exactly(mantissa, fraction)
                }
            });
            if let Some(magnitude) = magnitude {
                return Some(Some(if negative { -magnitude } else { magnitude }));
            }
        }
    }
    parse_slice(&text[start..end])
}

/// `mantissa / 10^fraction` (`fraction` 1 to 19) rounded to the nearest `f64`, ties to even, for a
/// mantissa above 2^53 (17 to 19 digits, as Locust's averages have), where one float division
/// may round twice: the quotient of a float division is corrected with exact integer arithmetic.
/// `None` in the rare cases this does not handle (a result below 2^-11 or from 2^53 up, or next
/// to a power of two), which the caller parses another way.
fn divided_exactly(mantissa: u64, fraction: usize) -> Option<f64> {
    const SIGNIFICAND_BITS: u32 = 52;
    const FRACTION_MASK: u64 = (1 << SIGNIFICAND_BITS) - 1;
    let power = u128::from(*POWERS_OF_TEN_U64.get(fraction)?);
    let estimate = mantissa as f64 / *POWERS_OF_TEN.get(fraction)?;
    let bits = estimate.to_bits();
    let exponent_field = (bits >> SIGNIFICAND_BITS) & 0x7FF;
    // estimate = significand × 2^-shift, the significand in [2^52, 2^53).
    let shift = 1075_u64.checked_sub(exponent_field).filter(|s| *s <= 63)?;
    let mut significand = (bits & FRACTION_MASK) | (1 << SIGNIFICAND_BITS);
    // The value is scaled / power × 2^-shift: its significand is scaled / power, rounded.
    let scaled = u128::from(mantissa) << shift;
    let mut product = u128::from(significand) * power;
    // The estimate is within two units of the last place: step to floor(scaled / power).
    for _ in 0..4 {
        if product > scaled {
            significand -= 1;
            product -= power;
        } else if scaled - product >= power {
            significand += 1;
            product += power;
        } else {
            break;
        }
    }
    let remainder = scaled.checked_sub(product).filter(|r| *r < power)?;
    if significand < 1 << SIGNIFICAND_BITS {
        // Below the estimate's power of two, where the spacing is finer: not handled here.
        return None;
    }
    let twice = remainder * 2;
    if twice > power || (twice == power && significand & 1 == 1) {
        significand += 1;
    }
    // Rounded up to the next power of two: not handled here either.
    (significand < 1 << (SIGNIFICAND_BITS + 1)).then(|| {
        f64::from_bits((exponent_field << SIGNIFICAND_BITS) | (significand & FRACTION_MASK))
    })
}

/// Whether the cell `text[start..end]` is a plain decimal (an optional `-`, then digits with at
/// most one `.`, one digit at least), checked 8 bytes at a time without computing its value: for
/// cells that must hold a number but are not used. A cell that is not plain (`1e5`, `N/A`) says
/// `false`, which sends the file to the general reader to decide. Cells over 16 bytes are parsed.
#[inline(always)]
pub(crate) fn is_plain_number(text: &[u8], start: usize, end: usize) -> bool {
    // How many `.`s 8 digits-or-dots hold, if every other byte is a digit.
    let dots_of = |word: u64| {
        let is_dot = dot_bytes(word);
        // A `.` (0x2E) + 2 is a `0`.
        all_digits(word + (is_dot >> 7) * 2).then_some(is_dot.count_ones())
    };
    let digits_start = start + usize::from(text.get(start) == Some(&b'-'));
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

/// Parses a number cell given as a slice, with `fast-float2` (correctly rounded, as polars): the
/// cells [`parse_cell`] does not read 8 digits at a time.
pub(crate) fn parse_slice(cell: &[u8]) -> Option<Option<f64>> {
    if cell.is_empty() || cell == b"N/A" {
        return Some(None);
    }
    match fast_float2::parse_partial::<f64, _>(cell) {
        Ok((value, used)) if used == cell.len() => Some(Some(value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
