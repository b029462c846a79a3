//! Cells of a CSV line as the fast history reader sees them: where a cell ends, and its number,
//! rounded exactly as polars and the standard library round it.

/// Index of the comma (or line end) ending the cell that starts at `at`.
#[inline]
pub(crate) fn cell_end(line: &[u8], mut at: usize) -> usize {
    while at < line.len() && line[at] != b',' {
        at += 1;
    }
    at
}

const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses the number cell starting at `at`: `Some((value, end of cell))`, the value `None` for an
/// empty or `N/A` cell; `None` when the cell is not a number.
#[inline]
pub(crate) fn parse_number(line: &[u8], at: usize) -> Option<(Option<f64>, usize)> {
    let mut i = at;
    let negative = line.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut fraction_digits = 0;
    let mut seen_point = false;
    while let Some(&byte) = line.get(i) {
        if byte.is_ascii_digit() {
            mantissa = mantissa
                .wrapping_mul(10)
                .wrapping_add(u64::from(byte - b'0'));
            digits += 1;
            fraction_digits += usize::from(seen_point);
        } else if byte == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        i += 1;
    }
    let ends_cell = i == line.len() || line[i] == b',';
    // Exact: the mantissa and the power of ten are both exact in an f64, so one division
    // rounds correctly (Clinger's fast path).
    if ends_cell && digits > 0 && digits <= 19 && mantissa <= 1 << 53 {
        let magnitude = if fraction_digits == 0 {
            mantissa as f64
        } else {
            mantissa as f64 / POWERS_OF_TEN[fraction_digits]
        };
        return Some((Some(if negative { -magnitude } else { magnitude }), i));
    }
    let cell = &line[at..cell_end(line, at)];
    if cell.is_empty() || cell == b"N/A" {
        return Some((None, at + cell.len()));
    }
    match fast_float2::parse_partial::<f64, _>(cell) {
        Ok((value, used)) if used == cell.len() => Some((Some(value), at + used)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_exactly_like_the_standard_parser() {
        // A deterministic spread of integers and decimals, short and long.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let digits = 1 + (next() % 20) as usize;
            let mut text: String = (0..digits)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            let point = (next() % (digits as u64 + 2)) as usize;
            if point < digits {
                text.insert(point, '.');
            }
            if next() % 4 == 0 {
                text.insert(0, '-');
            }
            let expected: f64 = text.parse().expect("valid decimal");
            let line = format!("{text},next");
            let (value, end) = parse_number(line.as_bytes(), 0).expect("a number");
            assert_eq!(value, Some(expected), "{text}");
            assert_eq!(end, text.len(), "{text}");
        }
    }
}
