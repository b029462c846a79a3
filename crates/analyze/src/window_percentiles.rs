//! The current-window percentiles of a history row besides p50/p95/p99 (which [`HistoryRow`] keeps
//! as named fields): 66 %, 75 %, 80 %, 90 %, 98 %, 99.9 %, 99.99 % and 100 % (the window's slowest
//! response). Stored as `f32`s with `N/A` as NaN: 4 bytes a cell instead of 16 for an
//! `Option<f64>`, which matters for a million-row full history (32 bytes a row in all). Locust and
//! captest write these columns as whole milliseconds, which an `f32` holds exactly up to
//! 16 777 216 ms (4.6 hours); a fractional cell keeps 7 significant digits.
//!
//! [`HistoryRow`]: crate::history::HistoryRow

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The percentiles held, in percent, in storage order.
pub const OTHER_PERCENTILES: [f64; 8] = [66.0, 75.0, 80.0, 90.0, 98.0, 99.9, 99.99, 100.0];

/// Current-window response-time percentiles of one history row, ms (`None` for `N/A`).
#[derive(Debug, Clone, Copy)]
pub struct OtherPercentiles {
    values: [f32; 8],
}

impl OtherPercentiles {
    /// From the cells in [`OTHER_PERCENTILES`] order (`None` for `N/A`).
    pub fn new(cells: [Option<f64>; 8]) -> OtherPercentiles {
        OtherPercentiles {
            values: cells.map(|c| c.map_or(f32::NAN, |v| v as f32)),
        }
    }

    /// None of them known (every cell `N/A`).
    pub fn unknown() -> OtherPercentiles {
        OtherPercentiles::new([None; 8])
    }

    /// The `p`th percentile, ms, if held and known (`p` in percent: 66, 75, …, 99.99, 100).
    pub fn get(&self, p: f64) -> Option<f64> {
        let index = OTHER_PERCENTILES.iter().position(|&q| q == p)?;
        let value = self.values[index];
        (!value.is_nan()).then_some(f64::from(value))
    }
}

impl PartialEq for OtherPercentiles {
    /// Equal cell by cell, `N/A` equal to `N/A`.
    fn eq(&self, other: &OtherPercentiles) -> bool {
        self.values
            .iter()
            .zip(&other.values)
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

impl Serialize for OtherPercentiles {
    /// As a map from the percentile's column name (`"66%"`) to ms or `null`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(OTHER_PERCENTILES.len()))?;
        for p in OTHER_PERCENTILES {
            map.serialize_entry(&format!("{p}%"), &self.get(p))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_values_and_na_apart() {
        let cells = [
            Some(1.0),
            None,
            Some(3.5),
            Some(0.0),
            Some(9.0),
            None,
            Some(12.25),
            Some(16_777_216.0),
        ];
        let held = OtherPercentiles::new(cells);
        for (p, cell) in OTHER_PERCENTILES.iter().zip(cells) {
            assert_eq!(held.get(*p), cell, "{p}");
        }
        assert_eq!(held.get(50.0), None, "p50 is a field of the row");
        assert_eq!(held, OtherPercentiles::new(cells));
        assert_ne!(held, OtherPercentiles::unknown());
        let json = serde_json::to_value(held).expect("serializes");
        assert_eq!(json["100%"], 16_777_216.0);
        // A fractional cell keeps 7 significant digits.
        let fraction = OtherPercentiles::new([Some(28.940247888891058); 8]);
        assert!((fraction.get(66.0).unwrap() - 28.940247888891058).abs() < 1e-5);
        assert!(json["75%"].is_null());
    }
}
