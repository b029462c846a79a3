//! Helpers shared by the `captest report` end-to-end tests.

use super::run_captest;

/// `captest report ARGS`, asserted to exit 0; the HTML of the file it wrote.
pub fn report(args: &[&str]) -> String {
    let output = run_captest(&[&["report"][..], args].concat());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout.trim().strip_prefix("wrote ").expect("wrote PATH");
    std::fs::read_to_string(path).expect("the report file")
}

/// How many SVG charts `html` holds.
pub fn svg_count(html: &str) -> usize {
    html.matches("<svg").count()
}

/// Whether an SVG holds data: a line through 3 points or more (axes and grid lines have 2), or
/// a bar in a series colour (the background and the warmup shade are white and grey).
pub fn has_data(svg: &str) -> bool {
    let line = svg.split("points=\"").skip(1).any(|rest| {
        rest.split('"')
            .next()
            .map_or(0, |p| p.split_whitespace().count())
            >= 3
    });
    let bar = svg.split("<rect").skip(1).any(|rest| {
        let tag = rest.split('>').next().unwrap_or_default().to_uppercase();
        ["#0072B2", "#D55E00", "#009E73"]
            .iter()
            .any(|c| tag.contains(&format!("FILL=\"{c}\"")))
    });
    line || bar
}
