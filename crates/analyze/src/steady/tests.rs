//! The sums of a steady window: exact averages in any grouping, recipe and honest figures.

use super::*;

/// A window of averages only (every other figure the same), as written or as floats.
fn averages(values: &[(u64, u8)], written: bool) -> WindowSums {
    let mut window = WindowSums::default();
    for (k, &(mantissa, fraction)) in values.iter().enumerate() {
        let decimal = Decimal {
            mantissa,
            fraction,
            negative: false,
        };
        let row = WindowRow {
            timestamp: k as f64,
            total_requests: k as f64,
            total_failures: 0.0,
            total_avg_ms: if written {
                Average::Written(decimal)
            } else {
                Average::Float(decimal.value())
            },
        };
        window.add_row(&row, [None; 3], true);
    }
    window
}

#[test]
fn written_averages_are_summed_exactly_in_any_grouping() {
    // Locust-like averages with 13 to 16 fraction digits, and a run of 0.1s whose float sum
    // drifts.
    let mut values: Vec<(u64, u8)> = (0..3000u64)
        .map(|k| (11_250_526_598_471_949 + k * 7_919_937, 13 + (k % 4) as u8))
        .collect();
    values.extend(std::iter::repeat_n((1, 1), 1000));
    let whole = averages(&values, true);
    for parts in [2, 3, 7, 64] {
        let mut joined = WindowSums::default();
        for chunk in values.chunks(values.len().div_ceil(parts)) {
            joined.join(&averages(chunk, true));
        }
        assert_eq!(joined.figures("e").avg_ms, whole.figures("e").avg_ms);
    }
    // The exact mean, from integers: every mantissa scaled to 16 fraction digits.
    let scaled: u128 = (values.iter())
        .map(|&(m, f)| u128::from(m) * 10u128.pow(16 - u32::from(f)))
        .sum();
    let exact = scaled as f64 / 1e16 / values.len() as f64;
    let got = whole.figures("e").avg_ms;
    assert!(
        (got - exact).abs() <= 4.0 * f64::EPSILON * exact,
        "{got} vs {exact}"
    );
    // Floats agree to rounding.
    let floats = averages(&values, false).figures("e").avg_ms;
    assert!((floats - got).abs() <= 1e-13 * got, "{floats} vs {got}");
    // The window's last average, as written, gives the window's own average.
    let last = values.last().map(|&(m, f)| Decimal {
        mantissa: m,
        fraction: f,
        negative: false,
    });
    assert_eq!(
        whole.last.map(|row| row.total_avg_ms.value()),
        last.map(Decimal::value)
    );
}

fn row(timestamp: f64, total: f64, avg: f64) -> HistoryRow {
    HistoryRow {
        timestamp,
        user_count: if timestamp > 4.0 { 0.0 } else { 10.0 },
        rps: 0.0,
        failures_per_s: 0.0,
        window_percentiles_ms: crate::window_percentiles::WindowPercentiles::new(
            std::array::from_fn(|k| match k {
                0 => Some(10.0),
                5 => Some(20.0),
                _ => None,
            }),
        ),
        total_requests: total,
        total_failures: total / 100.0,
        total_avg_ms: avg,
    }
}

#[test]
fn recipe_and_honest_figures_differ_when_rows_are_missing() {
    // A missing row at t=3: the recipe averages per-row diffs, the honest figure divides by time.
    // The row at t=0 is the warmup's (not strictly after it); the row at t=5, stamped after
    // the users stopped (0 users), is a recipe row but not in the window.
    let rows = [
        row(0.0, 0.0, 0.0),
        row(1.0, 100.0, 10.0),
        row(2.0, 200.0, 10.0),
        row(4.0, 400.0, 20.0),
        row(5.0, 420.0, 20.0),
    ];
    let window = SteadyWindow::of_history(&rows, 0.0, captest_format::Warmup::ZERO);
    let figures = steady_figures(captest_format::AGGREGATED, &rows, &window);
    // Recipe: diffs 100, 200, 20 over the rows after t=0; averages 10, 10, 20, 20.
    assert_eq!(figures.rps_recipe, 320.0 / 3.0);
    assert!((figures.avg_ms - 15.0).abs() < 1e-12);
    // Honest: t=1..4 only.
    assert_eq!(figures.rps, 100.0);
    assert_eq!(figures.requests, 300.0);
    // (400×20 − 100×10) / 300 requests.
    assert!((figures.avg_ms_window.unwrap() - 7000.0 / 300.0).abs() < 1e-12);
    assert!((figures.error_pct - 1.0).abs() < 1e-12);
    assert_eq!(window.rows(&rows).len(), 3);
}
