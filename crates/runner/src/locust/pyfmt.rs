//! Number and string formatting exactly as CPython prints them, so our CSV cells read like Locust's.

/// Formats a float the way Python's `repr(float)` / `str(float)` does: the shortest decimal that
/// round-trips, always with a fractional part (`1.0`), and scientific notation below 1e-4 or from
/// 1e16 on (`5.5e-05`, `1e+16`).
pub fn py_float(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_owned();
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // position of the decimal point after the first digit
        let mut out = String::from(sign);
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
            out.push_str(".0");
        } else {
            let (int_part, frac_part) = digits.split_at(point as usize);
            out.push_str(int_part);
            out.push('.');
            out.push_str(frac_part);
        }
        out
    } else {
        let mut out = String::from(sign);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        out.push_str(&format!("e{exp_sign}{:02}", exponent.abs()));
        out
    }
}

/// Formats a float as Python's `f"{value:2f}"` (Locust's history rates): six decimals.
pub fn py_fixed6(value: f64) -> String {
    format!("{value:.6}")
}

/// Python's `repr(str)`: single quotes unless the text holds a single quote and no double quote.
/// Used to build Locust's failure key, which hashes the repr of the error text.
pub fn py_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        assert_eq!(py_float(22.050775755356742), "22.050775755356742");
        assert_eq!(py_float(15.2875), "15.2875");
        assert_eq!(py_float(0.0), "0.0");
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(1360.0), "1360.0");
        assert_eq!(py_float(5.5e-5), "5.5e-05");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(123456789012345.6), "123456789012345.6");
        assert_eq!(py_float(-2.5), "-2.5");
        assert_eq!(py_float(0.25760298439126433), "0.25760298439126433");
    }

    #[test]
    fn rates_print_with_six_decimals() {
        assert_eq!(py_fixed6(0.0), "0.000000");
        assert_eq!(py_fixed6(38.333333333333336), "38.333333");
        assert_eq!(py_fixed6(123.8), "123.800000");
    }

    #[test]
    fn string_repr_picks_quotes_like_python() {
        assert_eq!(py_str_repr("abc"), "'abc'");
        assert_eq!(
            py_str_repr("HTTPError('404 Client Error')"),
            "\"HTTPError('404 Client Error')\""
        );
        assert_eq!(py_str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_str_repr("line\nnext"), "'line\\nnext'");
    }
}
