//! A legend drawn in its own column beside the plot, so it never hides data.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::FONT;

/// Width of the legend column, px.
pub const LEGEND_WIDTH: u32 = 250;
/// Longest legend text before it is cut with `…`, characters.
const MAX_CHARS: usize = 32;
/// Height of one legend line, px.
const LINE: i32 = 22;

/// What a legend line shows before its text.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A filled box (bars, shaded intervals).
    Fill(ShapeStyle),
    /// A line, dashed or solid, with a dot when the series has dots.
    Line {
        /// The series' stroke.
        style: ShapeStyle,
        /// Dashed.
        dashed: bool,
        /// A dot on the line.
        dot: bool,
    },
}

/// One legend line.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    /// The series' name.
    pub name: String,
    /// Its sample.
    pub swatch: Swatch,
}

/// Draws `entries` one per line into `area`, the first line `top` px from its top.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    top: i32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (index, entry) in entries.iter().enumerate() {
        let y = top + LINE * index as i32 + LINE / 2;
        let (x0, x1) = (8, 36);
        match entry.swatch {
            Swatch::Fill(style) => {
                area.draw(&Rectangle::new([(x0, y - 6), (x1, y + 6)], style))?;
            }
            Swatch::Line { style, dashed, dot } => {
                if dashed {
                    area.draw(&DashedPathElement::new([(x0, y), (x1, y)], 6, 4, style))?;
                } else {
                    area.draw(&PathElement::new([(x0, y), (x1, y)], style))?;
                }
                if dot {
                    let fill = ShapeStyle {
                        filled: true,
                        ..style
                    };
                    area.draw(&Circle::new(((x0 + x1) / 2, y), 3, fill))?;
                }
            }
        }
        let mut text: String = entry.name.chars().take(MAX_CHARS).collect();
        if entry.name.chars().count() > MAX_CHARS {
            text.push('…');
        }
        area.draw(&Text::new(
            text,
            (x1 + 8, y),
            FONT.into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}
