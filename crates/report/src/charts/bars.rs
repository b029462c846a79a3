//! Horizontal bar charts: one row per entry, one bar per group (current, baseline, delta).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    chart_error, color, draw_legend, tick, Area, LegendEntry, Plot, Swatch, AXIS_FONT,
    CAPTION_FONT, FONT, LEGEND_WIDTH, PLOT_TOP, SMALL_FONT, WIDTH,
};
use crate::ReportError;

/// One set of bars, one value per category.
#[derive(Debug, Clone)]
pub struct BarGroup {
    /// Legend text.
    pub name: String,
    /// One value per category; `None` where the category has no value (drawn as `n/a`).
    pub values: Vec<Option<f64>>,
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
    /// The text written at the end of each bar (its value, with the axis' unit or not).
    pub value_label: fn(f64) -> String,
    /// Bars above zero in the "worse" colour, below zero in the "better" one (a change chart).
    pub diverging: bool,
}

/// Colour of a bar above zero in a diverging chart (slower, more errors).
const WORSE: RGBColor = RGBColor(213, 94, 0);
/// Colour of a bar below zero in a diverging chart.
const BETTER: RGBColor = RGBColor(0, 158, 115);

/// The value axis: zero and every value, with room at both ends for the value labels.
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let high = if high <= low { low + 1.0 } else { high };
    let room = (high - low) * 0.16;
    (
        if low < 0.0 { low - room } else { low },
        if high > 0.0 || low >= 0.0 {
            high + room
        } else {
            high
        },
    )
}

/// Draws `chart` as an SVG document: entry names at the left, the bars, and (with more than one
/// group) the legend in a column at the right.
pub fn bar_chart(chart: &BarChart) -> Result<String, ReportError> {
    let mut svg = String::new();
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    let rows = chart.categories.len().max(1);
    let groups = chart.groups.len().max(1);
    let height = (100 + rows * (16 * groups + 12)).clamp(220, 2400) as u32;
    let label_width = label_width(chart);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let (labels, rest) = root.split_horizontally(label_width);
        let legend_width = if chart.groups.len() > 1 {
            LEGEND_WIDTH
        } else {
            0
        };
        let (plot, legend_area) = rest.split_horizontally(WIDTH - label_width - legend_width);
        let mut ctx = value_axis(chart, &plot, rows)?;
        draw_bars(chart, &mut ctx, rows, groups)?;
        if chart.groups.len() > 1 {
            draw_group_legend(chart, &legend_area)?;
        }
        draw_category_names(chart, &labels, height, label_width, rows)?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// Width of the category-name column, px: room for the longest name (up to 48 characters).
fn label_width(chart: &BarChart) -> u32 {
    chart
        .categories
        .iter()
        .map(|c| c.chars().count().min(48))
        .max()
        .unwrap_or(8) as u32
        * 9
        + 16
}

/// The plot with its value axis (x) and one row per category (y, not drawn).
fn value_axis<'a, 'b>(
    chart: &BarChart,
    plot: &'a Area<'b>,
    rows: usize,
) -> Result<Plot<'a, 'b>, ReportError> {
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    let (v0, v1) = value_range(
        chart
            .groups
            .iter()
            .flat_map(|g| g.values.iter().flatten().copied()),
    );
    let mut ctx = ChartBuilder::on(plot)
        .caption(&chart.title, CAPTION_FONT)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(4)
        .build_cartesian_2d(v0..v1, 0f64..rows as f64)
        .map_err(|e| fail(&e))?;
    ctx.configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc(chart.x_label.as_str())
        .x_label_formatter(&tick)
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(FONT)
        .axis_desc_style(AXIS_FONT)
        .draw()
        .map_err(|e| fail(&e))?;
    Ok(ctx)
}

/// The bars, one band per group in each category's row, each with its value written at its end.
fn draw_bars(
    chart: &BarChart,
    ctx: &mut Plot<'_, '_>,
    rows: usize,
    groups: usize,
) -> Result<(), ReportError> {
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    let band = 0.8 / groups as f64;
    for (g, group) in chart.groups.iter().enumerate() {
        for (row, value) in group.values.iter().enumerate() {
            let top = rows as f64 - row as f64 - 0.1 - band * g as f64;
            let middle = top - band * 0.45;
            if let Some(value) = value {
                ctx.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, top), (*value, top - band * 0.9)],
                    bar_color(chart, g, *value).filled(),
                )))
                .map_err(|e| fail(&e))?;
            }
            let (text, anchor, shift) = match value {
                Some(v) if *v < 0.0 => ((chart.value_label)(*v), HPos::Right, -5),
                Some(v) => ((chart.value_label)(*v), HPos::Left, 5),
                None => ("n/a".to_owned(), HPos::Left, 5),
            };
            ctx.draw_series(std::iter::once(
                EmptyElement::at((value.unwrap_or(0.0), middle))
                    + Text::new(
                        text,
                        (shift, 0),
                        SMALL_FONT
                            .into_font()
                            .color(&RGBColor(60, 60, 60))
                            .pos(Pos::new(anchor, VPos::Center)),
                    ),
            ))
            .map_err(|e| fail(&e))?;
        }
    }
    Ok(())
}

/// The colour of group `g`'s bar for `value`: the group's, or worse/better in a change chart.
fn bar_color(chart: &BarChart, g: usize, value: f64) -> RGBColor {
    match (chart.diverging, value > 0.0) {
        (false, _) => color(g),
        (true, true) => WORSE,
        (true, false) => BETTER,
    }
}

/// The legend of the groups, in the column at the right.
fn draw_group_legend(chart: &BarChart, legend_area: &Area<'_>) -> Result<(), ReportError> {
    let legend: Vec<LegendEntry> = chart
        .groups
        .iter()
        .enumerate()
        .map(|(g, group)| LegendEntry {
            name: group.name.clone(),
            swatch: Swatch::Fill(color(g).filled()),
        })
        .collect();
    draw_legend(legend_area, &legend, PLOT_TOP).map_err(|e| chart_error(&chart.title, &e))
}

/// Category names, aligned with their rows (same vertical mapping as the plot area), cut at 48
/// characters.
fn draw_category_names(
    chart: &BarChart,
    labels: &Area<'_>,
    height: u32,
    label_width: u32,
    rows: usize,
) -> Result<(), ReportError> {
    let plot_top = PLOT_TOP;
    let plot_height = height as i32 - plot_top - 12 - 48;
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
                FONT.into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(|e| chart_error(&chart.title, &e))?;
    }
    Ok(())
}
