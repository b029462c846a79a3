//! SVG charts drawn with plotters into strings, inlined in the HTML report.

mod bars;
mod downsample;
mod legend;
mod lines;

pub use bars::{bar_chart, BarChart, BarGroup};
pub use downsample::{downsample, MAX_POINTS};
pub use legend::{draw_legend, LegendEntry, Swatch, LEGEND_WIDTH};
pub use lines::{line_chart, LineChart, Marker, Series};

use plotters::chart::ChartContext;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::SVGBackend;
use plotters::style::RGBColor;

/// Chart width, px (the legend column included); the page scales it to its width.
pub const WIDTH: u32 = 1040;
/// Line chart height, px.
pub const HEIGHT: u32 = 380;
/// Tick labels and legend text (plotters draws text at about 0.8 of the size asked).
pub const FONT: (&str, u32) = ("sans-serif", 16);
/// Values written on bars.
pub const SMALL_FONT: (&str, u32) = ("sans-serif", 14);
/// Axis descriptions (with their units).
pub const AXIS_FONT: (&str, u32) = ("sans-serif", 17);
/// Chart titles.
pub const CAPTION_FONT: (&str, u32) = ("sans-serif", 21);
/// Where the plot starts below the top (margin and title), px: the legend's first line.
pub const PLOT_TOP: i32 = 46;

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

/// A tick label in its shortest form: `40`, `2.5`, `0.005`, `1200` (rounded to 6 decimals).
pub fn tick(value: &f64) -> String {
    let rounded = (value * 1e6).round() / 1e6;
    if rounded == 0.0 {
        "0".to_owned()
    } else {
        format!("{rounded}")
    }
}

/// A part of an SVG chart being drawn (the plot, the labels, the legend column).
type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;

/// A plot with numeric x and y axes, drawn into an SVG chart.
type Plot<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

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

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn tick_labels_have_no_trailing_zeros() {
        assert_eq!(tick(&40.0), "40");
        assert_eq!(tick(&2.5), "2.5");
        assert_eq!(tick(&0.1_f64.mul_add(3.0, 0.0)), "0.3");
        assert_eq!(tick(&0.005), "0.005");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&1200.0), "1200");
    }
}
