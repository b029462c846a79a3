//! The current-window percentiles of a history row: 50 %, 66 %, 75 %, 80 %, 90 %, 95 %, 98 %,
//! 99 %, 99.9 %, 99.99 % and 100 % (the window's slowest response). Stored as `f32`s with `N/A` as
//! NaN: 4 bytes a cell instead of 16 for an `Option<f64>`, which matters for a million-row full
//! history (44 bytes a row in all, and fewer pages to fault in while it is read). Locust and
//! captest write these columns as whole milliseconds, which an `f32` holds exactly up to
//! 16 777 216 ms (4.6 hours); a fractional cell keeps 7 significant digits.

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The percentiles held, in percent, in storage order (the order of Locust's columns).
pub const WINDOW_PERCENTILES: [f64; 11] = [
    50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0,
];

/// Indexes in [`WINDOW_PERCENTILES`] of the three percentiles the analysis and the report use.
pub const P50: usize = 0;
/// See [`P50`].
pub const P95: usize = 5;
/// See [`P50`].
pub const P99: usize = 7;

/// Current-window response-time percentiles of one history row, ms (`None` for `N/A`).
#[derive(Debug, Clone, Copy)]
pub struct WindowPercentiles {
    values: [f32; 11],
}

impl WindowPercentiles {
    /// From the cells in [`WINDOW_PERCENTILES`] order (`None` for `N/A` or not read).
    pub fn new(cells: [Option<f64>; 11]) -> WindowPercentiles {
        WindowPercentiles {
            values: cells.map(|c| c.map_or(f32::NAN, |v| v as f32)),
        }
    }

    /// None of them known (every cell `N/A`).
    pub fn unknown() -> WindowPercentiles {
        WindowPercentiles::new([None; 11])
    }

    /// The cell at `index` in [`WINDOW_PERCENTILES`] order, ms, if known.
    #[inline]
    pub fn at(&self, index: usize) -> Option<f64> {
        let value = *self.values.get(index)?;
        (!value.is_nan()).then_some(f64::from(value))
    }

    /// The `p`th percentile, ms, if held and known (`p` in percent: 50, 66, …, 99.99, 100).
    pub fn get(&self, p: f64) -> Option<f64> {
        self.at(WINDOW_PERCENTILES.iter().position(|&q| q == p)?)
    }
}

impl PartialEq for WindowPercentiles {
    /// Equal cell by cell, `N/A` equal to `N/A`.
    fn eq(&self, other: &WindowPercentiles) -> bool {
        self.values
            .iter()
            .zip(&other.values)
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

impl Serialize for WindowPercentiles {
    /// As a map from the percentile's column name (`"66%"`) to ms or `null`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(WINDOW_PERCENTILES.len()))?;
        for p in WINDOW_PERCENTILES {
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
            Some(20.0),
            None,
            Some(31.0),
        ];
        let held = WindowPercentiles::new(cells);
        for (p, cell) in WINDOW_PERCENTILES.iter().zip(cells) {
            assert_eq!(held.get(*p), cell, "{p}");
        }
        assert_eq!(held.get(42.0), None, "not a column");
        assert_eq!(held, WindowPercentiles::new(cells));
        assert_ne!(held, WindowPercentiles::unknown());
        let json = serde_json::to_value(held).expect("serializes");
        assert_eq!(json["99%"], 16_777_216.0);
        // A fractional cell keeps 7 significant digits.
        let fraction = WindowPercentiles::new([Some(28.940247888891058); 11]);
        assert!((fraction.get(66.0).unwrap() - 28.940247888891058).abs() < 1e-5);
        assert!(json["66%"].is_null());
    }
}
