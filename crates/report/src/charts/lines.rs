//! Line charts: series over time or against each other, with an optional shaded interval (the
//! warmup) and labelled markers (the knee).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    chart_error, color, downsample, draw_legend, span, tick, Area, LegendEntry, Plot, Swatch,
    AXIS_FONT, CAPTION_FONT, FONT, HEIGHT, LEGEND_WIDTH, MAX_POINTS, PLOT_TOP, WIDTH,
};
use crate::ReportError;

/// One line.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points, joined in this order (x order for series over time; long ones are downsampled).
    pub points: Vec<(f64, f64)>,
    /// Dashed (baseline overlays, fitted curves).
    pub dashed: bool,
    /// Draw a dot on every point (few points, e.g. steps).
    pub dots: bool,
    /// Palette index of the colour; `None`: the series' position in the chart.
    pub color: Option<usize>,
    /// Drawn lighter (half-transparent): a baseline overlaid on the run.
    pub light: bool,
}

impl Series {
    /// A solid line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            dashed: false,
            dots: false,
            color: None,
            light: false,
        }
    }

    /// A baseline overlay: dashed and lighter, in the colour (palette index `color`) of the
    /// run's series it is compared with.
    pub fn overlay(name: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            dashed: true,
            light: true,
            color: Some(color),
            ..Series::line(name, points)
        }
    }
}

/// A point to call out.
#[derive(Debug, Clone)]
pub struct Marker {
    /// Where.
    pub at: (f64, f64),
    /// What it is.
    pub label: String,
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// X axis label with unit.
    pub x_label: String,
    /// Y axis label with unit.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// A shaded x interval and its label (e.g. the warmup).
    pub shade: Option<(f64, f64, String)>,
    /// Called-out points.
    pub markers: Vec<Marker>,
}

/// The stroke of series number `index`: its palette colour, lighter for an overlay.
fn line_style(line: &Series, index: usize) -> ShapeStyle {
    let base = color(line.color.unwrap_or(index));
    if line.light {
        base.mix(0.55).stroke_width(2)
    } else {
        base.stroke_width(2)
    }
}

/// The fill of a shaded interval.
fn shade_style() -> ShapeStyle {
    RGBColor(200, 200, 200).mix(0.35).filled()
}

/// Draws `chart` as an SVG document: the plot, its legend in a column at the right.
pub fn line_chart(chart: &LineChart) -> Result<String, ReportError> {
    let mut svg = String::new();
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    let series = downsampled(&chart.series);
    let (x_range, y_range) = axis_ranges(chart, &series);
    let mut legend = Vec::new();
    let mut dashed = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let (plot, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut ctx = axes(chart, &plot, x_range, y_range)?;
        if let Some(shade) = &chart.shade {
            legend.push(draw_shade(chart, &mut ctx, shade, y_range)?);
        }
        for (index, line) in series.iter().enumerate() {
            legend.push(draw_series(chart, &mut ctx, line, index, &mut dashed)?);
        }
        for marker in &chart.markers {
            draw_marker(chart, &mut ctx, marker, x_range)?;
        }
        draw_legend(&legend_area, &legend, PLOT_TOP).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    if let Some(end) = svg.rfind("</svg>") {
        svg.insert_str(end, &dashed.concat());
    }
    Ok(svg)
}

/// The series with long ones downsampled to [`MAX_POINTS`].
fn downsampled(series: &[Series]) -> Vec<Series> {
    series
        .iter()
        .map(|s| Series {
            points: downsample(&s.points, MAX_POINTS),
            ..s.clone()
        })
        .collect()
}

/// The x range (every point and the shaded interval) and the y range (every point and marker,
/// from zero).
fn axis_ranges(chart: &LineChart, series: &[Series]) -> ((f64, f64), (f64, f64)) {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let x_range = span(
        all().map(|p| p.0).chain(chart.shade.iter().map(|s| s.1)),
        false,
    );
    let y_range = span(
        all()
            .map(|p| p.1)
            .chain(chart.markers.iter().map(|m| m.at.1)),
        true,
    );
    (x_range, y_range)
}

/// The plot with its x and y axes, their ticks and descriptions.
fn axes<'a, 'b>(
    chart: &LineChart,
    plot: &'a Area<'b>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<Plot<'a, 'b>, ReportError> {
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    let mut ctx = ChartBuilder::on(plot)
        .caption(&chart.title, CAPTION_FONT)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| fail(&e))?;
    ctx.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(FONT)
        .axis_desc_style(AXIS_FONT)
        .draw()
        .map_err(|e| fail(&e))?;
    Ok(ctx)
}

/// The shaded x interval over the whole y range; returns its legend line.
fn draw_shade(
    chart: &LineChart,
    ctx: &mut Plot<'_, '_>,
    (from, to, label): &(f64, f64, String),
    (y0, y1): (f64, f64),
) -> Result<LegendEntry, ReportError> {
    ctx.draw_series(std::iter::once(Rectangle::new(
        [(*from, y0), (*to, y1)],
        shade_style(),
    )))
    .map_err(|e| chart_error(&chart.title, &e))?;
    Ok(LegendEntry {
        name: label.clone(),
        swatch: Swatch::Fill(RGBColor(200, 200, 200).filled()),
    })
}

/// Series number `index`: a solid line, or a dashed one added to `dashed` (drawn after the
/// plot), with its dots; returns its legend line.
fn draw_series(
    chart: &LineChart,
    ctx: &mut Plot<'_, '_>,
    line: &Series,
    index: usize,
    dashed: &mut Vec<String>,
) -> Result<LegendEntry, ReportError> {
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    let style = line_style(line, index);
    if line.dashed {
        let pixels: Vec<(i32, i32)> = line.points.iter().map(|p| ctx.backend_coord(p)).collect();
        dashed.push(dashed_polyline(&pixels, style));
    } else {
        ctx.draw_series(LineSeries::new(line.points.iter().copied(), style))
            .map_err(|e| fail(&e))?;
    }
    if line.dots {
        let dot = ShapeStyle {
            filled: true,
            ..style
        };
        ctx.draw_series(line.points.iter().map(|p| Circle::new(*p, 3, dot)))
            .map_err(|e| fail(&e))?;
    }
    Ok(LegendEntry {
        name: line.name.clone(),
        swatch: Swatch::Line {
            style,
            dashed: line.dashed,
            dot: line.dots,
        },
    })
}

/// A circle around the marker's point and its label beside it, above the line, towards the
/// middle of the plot.
fn draw_marker(
    chart: &LineChart,
    ctx: &mut Plot<'_, '_>,
    marker: &Marker,
    (x0, x1): (f64, f64),
) -> Result<(), ReportError> {
    let fail = |e: &dyn std::fmt::Display| chart_error(&chart.title, e);
    ctx.draw_series(std::iter::once(Circle::new(
        marker.at,
        7,
        BLACK.stroke_width(2),
    )))
    .map_err(|e| fail(&e))?;
    let (anchor, shift) = if marker.at.0 > (x0 + x1) / 2.0 {
        (HPos::Right, -10)
    } else {
        (HPos::Left, 10)
    };
    ctx.draw_series(std::iter::once(
        EmptyElement::at(marker.at)
            + Text::new(
                marker.label.clone(),
                (shift, -10),
                FONT.into_font()
                    .color(&BLACK)
                    .pos(Pos::new(anchor, VPos::Bottom)),
            ),
    ))
    .map_err(|e| fail(&e))?;
    Ok(())
}

/// A dashed line through `pixels` as one SVG `polyline` with `stroke-dasharray`: plotters draws
/// every dash as its own element, which for an hour of noisy points weighs megabytes.
fn dashed_polyline(pixels: &[(i32, i32)], style: ShapeStyle) -> String {
    let color = style.color.to_backend_color();
    let (r, g, b) = color.rgb;
    let mut points = String::with_capacity(pixels.len() * 8);
    let mut last = None;
    for &(x, y) in pixels {
        if last != Some((x, y)) {
            points.push_str(&format!("{x},{y} "));
            last = Some((x, y));
        }
    }
    format!(
        "<polyline fill=\"none\" opacity=\"{}\" stroke=\"#{r:02X}{g:02X}{b:02X}\" \
         stroke-width=\"{}\" stroke-dasharray=\"6 4\" points=\"{points}\"/>\n",
        color.alpha, style.stroke_width
    )
}
