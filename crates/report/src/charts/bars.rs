//! Horizontal bar charts: one row per entry, one bar per group (current, baseline, delta).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{chart_error, color, span, WIDTH};
use crate::ReportError;

/// One set of bars, one value per category.
#[derive(Debug, Clone)]
pub struct BarGroup {
    /// Legend text.
    pub name: String,
    /// One value per category.
    pub values: Vec<f64>,
}

/// A horizontal bar chart.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Title above the chart.
    pub title: String,
    /// Value axis label with unit.
    pub x_label: String,
    /// Category names (entries), drawn at the left.
    pub categories: Vec<String>,
    /// Groups of bars.
    pub groups: Vec<BarGroup>,
}

/// Draws `chart` as an SVG document.
pub fn bar_chart(chart: &BarChart) -> Result<String, ReportError> {
    let mut svg = String::new();
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    let rows = chart.categories.len().max(1);
    let groups = chart.groups.len().max(1);
    let height = (90 + rows * (14 * groups + 12)).clamp(200, 2400) as u32;
    let label_width = chart
        .categories
        .iter()
        .map(|c| c.chars().count().min(48))
        .max()
        .unwrap_or(8) as u32
        * 8
        + 16;
    let values = chart.groups.iter().flat_map(|g| g.values.iter().copied());
    let (mut v0, v1) = span(values, true);
    v0 = v0.min(0.0);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let (labels, plot) = root.split_horizontally(label_width);
        let mut ctx = ChartBuilder::on(&plot)
            .caption(&chart.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(4)
            .build_cartesian_2d(v0..v1, 0f64..rows as f64)
            .map_err(|e| fail(&e))?;
        ctx.configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(chart.x_label.as_str())
            .light_line_style(RGBColor(238, 238, 238))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(|e| fail(&e))?;
        let band = 0.8 / groups as f64;
        for (g, group) in chart.groups.iter().enumerate() {
            let bars = group.values.iter().enumerate().map(|(row, value)| {
                let top = rows as f64 - row as f64 - 0.1 - band * g as f64;
                Rectangle::new([(0.0, top), (*value, top - band * 0.9)], color(g).filled())
            });
            ctx.draw_series(bars)
                .map_err(|e| fail(&e))?
                .label(group.name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 16, y + 5)], color(g).filled())
                });
        }
        if chart.groups.len() > 1 {
            ctx.configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(180, 180, 180))
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(|e| fail(&e))?;
        }
        // Category names, aligned with their rows (same vertical mapping as the plot area).
        let plot_top = 12 + 30;
        let plot_height = height as i32 - plot_top - 12 - 42;
        for (row, name) in chart.categories.iter().enumerate() {
            let centre = plot_top + ((row as f64 + 0.5) / rows as f64 * plot_height as f64) as i32;
            let mut text: String = name.chars().take(48).collect();
            if name.chars().count() > 48 {
                text.push('…');
            }
            labels
                .draw(&Text::new(
                    text,
                    (label_width as i32 - 8, centre),
                    ("sans-serif", 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Right, VPos::Center)),
                ))
                .map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}
