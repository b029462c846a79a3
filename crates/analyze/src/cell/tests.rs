use super::decimal::divided_exactly;
use super::*;

#[test]
fn cells_that_are_not_plain_decimals() {
    let line = b"N/A,,-,.,1.2.3,1e-05,-0.5,12x4,+3,99999999999999999999,12345678901234567890.5,0.1234567890123456789,-.5,7.,pad,pad,pad";
    let cells: Vec<(usize, usize)> = {
        let mut start = 0;
        line.split(|&b| b == b',')
            .map(|c| {
                let cell = (start, start + c.len());
                start += c.len() + 1;
                cell
            })
            .collect()
    };
    for &(start, end) in &cells[..14] {
        let text = std::str::from_utf8(&line[start..end]).expect("ASCII");
        let expected = match text {
            "N/A" | "" => Some(None),
            _ => fast_float2::parse::<f64, _>(text).ok().map(Some),
        };
        assert_eq!(parse_cell(line, start, end), expected, "{text}");
        assert_eq!(parse_slice(&line[start..end]), expected, "{text}");
    }
}

#[test]
fn long_decimals_round_to_nearest_and_ties_to_even() {
    // Halfway between two doubles (spacing 1 just below 2^53, 0.5 below 2^52, 2 above):
    // ties go to the even significand; just off halfway goes to the nearer one.
    for text in [
        "4503599627370496.5",
        "4503599627370497.5",
        "2251799813685248.25",
        "2251799813685248.75",
        "4503599627370496.50000000001",
        "4503599627370496.4999999999",
        "9007199254740991.5",
        "9007199254740992.5",
        "28.940247888891058",
        "0.0009765625000000001",
        "0.1234567890123456789",
        "1234567890123456.789",
    ] {
        let expected: f64 = text.parse().expect("decimal");
        let line = format!("{text},0\n");
        let got = parse_cell(line.as_bytes(), 0, text.len());
        assert_eq!(got, Some(Some(expected)), "{text}");
    }
    // Every 17- and 18-digit mantissa shape against the standard parser, point anywhere.
    let mut state: u64 = 0x0123_4567_89AB_CDEF;
    for _ in 0..200_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let digits = 17 + (state % 3) as usize;
        let mantissa =
            format!("{:019}", state % 10_000_000_000_000_000_000)[19 - digits..].to_owned();
        let point = 1 + (state >> 40) as usize % (digits - 1);
        let text = format!("{}.{}", &mantissa[..point], &mantissa[point..]);
        let expected: f64 = text.parse().expect("decimal");
        let mantissa: u64 = mantissa.parse().expect("digits");
        if mantissa > 1 << 53 {
            if let Some(value) = divided_exactly(mantissa, digits - point) {
                assert_eq!(value, expected, "{text}");
            }
        }
        let line = format!("{text},0\n");
        assert_eq!(
            parse_cell(line.as_bytes(), 0, text.len()),
            Some(Some(expected)),
            "{text}"
        );
    }
}

#[test]
fn long_decimals_next_to_a_power_of_two_round_like_the_standard_parser() {
    // Every 2^e written with f fraction digits, give or take a few units of its last digit:
    // where the spacing of doubles halves, one float division is most likely to be off.
    for e in -12..54 {
        for fraction in 1..=19usize {
            let exact = 2f64.powi(e) * 10f64.powi(fraction as i32);
            if !(1e15..1e19).contains(&exact) {
                continue;
            }
            let center = format!("{exact:.0}").parse::<u64>().expect("digits");
            for delta in -3i64..=3 {
                let mantissa = center.saturating_add_signed(delta);
                let digits = mantissa.to_string();
                if digits.len() <= fraction {
                    continue;
                }
                let point = digits.len() - fraction;
                let text = format!("{}.{}", &digits[..point], &digits[point..]);
                let expected: f64 = text.parse().expect("decimal");
                let line = format!("{text},0\n");
                let got = parse_cell(line.as_bytes(), 0, text.len());
                assert_eq!(got, Some(Some(expected)), "{text}");
            }
        }
    }
    for text in [
        "127.99999999999999",
        "1.9999999999999998",
        "0.015624999999999999",
    ] {
        let line = format!("{text},0\n");
        let expected: f64 = text.parse().expect("decimal");
        assert_eq!(
            parse_cell(line.as_bytes(), 0, text.len()),
            Some(Some(expected))
        );
    }
}

#[test]
fn a_plain_number_is_one_the_parser_reads_and_others_are_not_plain() {
    let plain = [
        "0",
        "200",
        "1.200000",
        "0.000000",
        "12345678",
        "123456789.1234567",
        "5.",
        ".5",
        "1234567890123456",
    ];
    let not_plain = [
        "",
        "-",
        ".",
        "N/A",
        "1e5",
        "+3",
        "1.2.3",
        "12x",
        "abc",
        "1,2",
        "--1",
        "-3.5",
        " 1",
        "1 ",
        "12345678901234567",
    ];
    for (cells, expected) in [(&plain[..], true), (&not_plain[..], false)] {
        for cell in cells {
            let line = format!("{cell},0,0,0\n");
            let got = is_plain_number(line.as_bytes(), 0, cell.len());
            // A long cell is parsed instead: plain when the parser reads it.
            let expected = expected || (cell.len() > 16 && cell.parse::<f64>().is_ok());
            assert_eq!(got, expected, "{cell:?}");
            if got {
                assert!(matches!(
                    parse_cell(line.as_bytes(), 0, cell.len()),
                    Some(Some(_))
                ));
            }
        }
    }
}

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
        assert_eq!(parse_slice(text.as_bytes()), Some(Some(expected)), "{text}");
        // In a line (8 digits at a time), and at its very end (byte by byte).
        for tail in [",12345678,N/A,0.5\n", ""] {
            let line = format!("7,{text}{tail}");
            let value = parse_cell(line.as_bytes(), 2, 2 + text.len());
            assert_eq!(value, Some(Some(expected)), "{text}{tail:?}");
        }
    }
}

#[test]
fn a_repeated_cell_reads_as_parse_cell_whatever_came_before() {
    // Same texts in a row, same length with other bytes, up to 16 bytes and past, words, the
    // text's end (fewer than 16 bytes after the cell).
    let cells = [
        "1795370485",
        "1795370485",
        "1795370486",
        "1795370486",
        "179537048",
        "1795370486.25",
        "12345678901234567",
        "12345678901234567",
        "1234567890123456",
        "N/A",
        "N/A",
        "",
        "abc",
        "7",
        "7",
    ];
    let text = cells.join(",");
    let mut repeated = RepeatedCell::default();
    let mut start = 0;
    for cell in cells {
        let end = start + cell.len();
        assert_eq!(
            repeated.parse(text.as_bytes(), start, end),
            parse_cell(text.as_bytes(), start, end),
            "{cell:?} at {start}"
        );
        start = end + 1;
    }
}

#[test]
fn a_decimal_keeps_its_digits_and_point_and_its_value_is_parse_cells() {
    for (text, mantissa, fraction, negative) in [
        ("112.50526598471949", 11250526598471949, 14, false),
        ("-0.5", 5, 1, true),
        ("7", 7, 0, false),
        ("7.", 7, 0, false),
        (".25", 25, 2, false),
        ("1234567890123456789", 1234567890123456789, 0, false),
    ] {
        let padded = format!("{text},0000000000000000");
        let decimal = parse_decimal(padded.as_bytes(), 0, text.len()).expect(text);
        assert_eq!(
            (decimal.mantissa, decimal.fraction, decimal.negative),
            (mantissa, fraction, negative),
            "{text}"
        );
        assert_eq!(Some(Some(decimal.value())), parse_slice(text.as_bytes()));
    }
    for not_plain in ["", "-", ".", "1.2.3", "1e5", "N/A", "12345678901234567890"] {
        let padded = format!("{not_plain},0000000000000000");
        assert_eq!(
            parse_decimal(padded.as_bytes(), 0, not_plain.len()),
            None,
            "{not_plain}"
        );
    }
}
