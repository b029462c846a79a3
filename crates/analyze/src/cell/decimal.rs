//! A plain decimal as a history cell writes it (`112.50526598471949`): its digits and where its
//! point is, and its value rounded exactly as polars and the standard library round it.

/// 10^k as floats, exact for every k here.
pub(crate) const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 10^k for k up to 19 (the most fraction digits of a plain decimal).
pub(super) const POWERS_OF_TEN_U64: [u64; 20] = {
    let mut powers = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        powers[k] = powers[k - 1] * 10;
        k += 1;
    }
    powers
};

/// How many numbers of fraction digits a [`Decimal`] may have (0 to 19).
pub(crate) const FRACTION_DIGITS: usize = 20;

/// A decimal of up to 19 digits as written: `mantissa × 10^-fraction`, negative or not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decimal {
    /// The digits, point left out.
    pub(crate) mantissa: u64,
    /// Digits after the point (at most 19).
    pub(crate) fraction: u8,
    /// Whether it was written with a `-`.
    pub(crate) negative: bool,
}

impl Decimal {
    /// The value rounded to the nearest `f64`, ties to even.
    pub(crate) fn value(self) -> f64 {
        let (mantissa, fraction) = (self.mantissa, usize::from(self.fraction));
        let magnitude = if fraction == 0 {
            // `u64 as f64` rounds to nearest, ties to even: correctly.
            Some(mantissa as f64)
        } else if mantissa <= 1 << 53 {
            // Exact: the mantissa and the power of ten are both exact in an f64, so one
            // division rounds correctly (Clinger's fast path).
            Some(mantissa as f64 / POWERS_OF_TEN[fraction])
        } else {
            divided_exactly(mantissa, fraction)
        }
        // The rare rest: the standard library's parser, correctly rounded too (it reads every
        // `DIGITSe-N`; NaN is never the answer).
        .unwrap_or_else(|| {
            format!("{mantissa}e-{fraction}")
                .parse()
                .unwrap_or(f64::NAN)
        });
        if self.negative {
            -magnitude
        } else {
            magnitude
        }
    }
}

/// `mantissa / 10^fraction` (`fraction` 1 to 19) rounded to the nearest `f64`, ties to even, for a
/// mantissa above 2^53 (17 to 19 digits, as Locust's averages have), where one float division
/// may round twice: the quotient of a float division is corrected with exact integer arithmetic.
/// `None` in the rare cases this does not handle (a result below 2^-11 or from 2^53 up, or next
/// to a power of two), which the caller parses another way.
pub(super) fn divided_exactly(mantissa: u64, fraction: usize) -> Option<f64> {
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
