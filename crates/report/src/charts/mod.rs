//! SVG charts drawn with plotters into strings, inlined in the HTML report.

mod bars;
mod downsample;
mod lines;

pub use bars::{bar_chart, BarChart, BarGroup};
pub use downsample::{downsample, MAX_POINTS};
pub use lines::{line_chart, LineChart, Marker, Series};

use plotters::style::RGBColor;

/// Chart width, px.
pub const WIDTH: u32 = 900;
/// Chart height, px.
pub const HEIGHT: u32 = 340;

/// Colour-blind-safe palette (Okabe–Ito).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
];

/// The colour of series number `index`.
pub fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

fn chart_error(title: &str, error: impl std::fmt::Display) -> crate::ReportError {
    crate::ReportError::Chart {
        chart: title.to_owned(),
        message: error.to_string(),
    }
}

/// A range covering `values` with a little headroom; `(0, 1)` when empty.
fn span(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut low, mut high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        low = low.min(0.0);
    }
    if high <= low {
        high = low + 1.0;
    }
    (low, high + (high - low) * 0.08)
}
