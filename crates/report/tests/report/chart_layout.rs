//! Charts people can read: the legend sits in its own column (never over the data), tick labels
//! carry no `.0`, change bars are coloured by sign and a missing value reads `n/a`, not 0.

use captest_report::charts::{
    bar_chart, line_chart, BarChart, BarGroup, LineChart, Series, LEGEND_WIDTH, WIDTH,
};

/// The numbers after `name="` in every tag of `svg` that has it.
fn attribute(svg: &str, name: &str) -> Vec<f64> {
    svg.split(&format!(" {name}=\""))
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|rest| Some(rest.split_once('>')?.1.split("</text>").next()?.trim()))
        .collect()
}

#[test]
fn the_legend_is_beside_the_plot_not_over_the_data() {
    let rising: Vec<(f64, f64)> = (0..=60).map(|t| (t as f64, t as f64 * 1.5)).collect();
    let svg = line_chart(&LineChart {
        title: "Requests per second".into(),
        x_label: "time since start (s)".into(),
        y_label: "per second".into(),
        series: vec![
            Series::line("requests/s", rising.clone()),
            Series::overlay("baseline requests/s", rising, 0),
        ],
        shade: Some((0.0, 10.0, "warmup (10s)".into())),
        markers: Vec::new(),
    })
    .expect("drawn");
    let plot_right = f64::from(WIDTH - LEGEND_WIDTH);
    // Data: every polyline point of the plot lies left of the legend column.
    let data_x: Vec<f64> = svg
        .split("points=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .flat_map(|points| points.split_whitespace())
        .filter_map(|p| p.split(',').next()?.parse().ok())
        .collect();
    assert!(!data_x.is_empty());
    let legend_x: Vec<f64> = svg
        .split("<text x=\"")
        .skip(1)
        .zip(texts(&svg))
        .filter(|(_, text)| ["warmup (10s)", "requests/s", "baseline requests/s"].contains(text))
        .filter_map(|(rest, _)| rest.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(legend_x.len(), 3, "{legend_x:?}");
    assert!(legend_x.iter().all(|x| *x > plot_right), "{legend_x:?}");
    let plot_points = data_x.iter().filter(|x| **x < plot_right).count();
    assert!(plot_points > 60, "the lines are in the plot: {plot_points}");
    // Ticks in their shortest form: 0, 10, 20 ..., no 10.0.
    let labels = texts(&svg);
    assert!(
        labels.contains(&"10") && !labels.iter().any(|t| t.ends_with(".0")),
        "{labels:?}"
    );
    // Axis descriptions with units.
    assert!(labels.contains(&"time since start (s)") && labels.contains(&"per second"));
}

#[test]
fn change_bars_are_coloured_by_sign_and_missing_values_read_n_a() {
    let svg = bar_chart(&BarChart {
        title: "Change of p95".into(),
        x_label: "change of p95 (%)".into(),
        categories: vec!["GET /a".into(), "GET /b".into(), "GET /new".into()],
        groups: vec![BarGroup {
            name: "Δ p95".into(),
            values: vec![Some(12.5), Some(-4.0), None],
        }],
        value_label: |v| format!("{v:+.1} %"),
        diverging: true,
    })
    .expect("drawn");
    let labels = texts(&svg);
    for expected in ["+12.5 %", "-4.0 %", "n/a", "GET /new", "change of p95 (%)"] {
        assert!(labels.contains(&expected), "{expected}: {labels:?}");
    }
    let fills = |colour: &str| svg.matches(&format!("fill=\"{colour}\"")).count();
    assert_eq!(fills("#D55E00"), 1, "one slower bar");
    assert_eq!(fills("#009E73"), 1, "one faster bar");
    // Three rows, two bars: the missing value draws no bar of width 0 at 0.
    let widths = attribute(&svg, "width");
    assert!(widths.iter().all(|w| *w > 0.0), "{widths:?}");
}
