//! Kneedle (Satopää, Albrecht, Irwin, Raghavan, 2011): the point of maximum curvature of a
//! discrete curve, found as the maximum of the difference between the normalized curve and the
//! diagonal, declared a knee once the difference falls below a threshold after it.

use serde::Serialize;

/// The shape of the curve searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveShape {
    /// Rises fast then flattens (throughput vs users).
    ConcaveIncreasing,
    /// Rises slowly then steeply (latency vs throughput).
    ConvexIncreasing,
}

/// Kneedle's sensitivity S: how many mean x-gaps below the maximum the difference must fall.
/// The paper suggests S = 1 for dense data; step runs have few points (5–10), where S = 0.5 still
/// rejects straight lines but confirms a knee one step before the end of the data.
pub const DEFAULT_SENSITIVITY: f64 = 0.5;

/// The index of the knee of `(x, y)` (x strictly increasing), or `None` when there is none.
/// No smoothing is applied (steps are few and already averaged).
pub fn kneedle(x: &[f64], y: &[f64], shape: CurveShape, sensitivity: f64) -> Option<usize> {
    let n = x.len();
    if n < 3 || y.len() != n || x.windows(2).any(|w| w[1] <= w[0]) {
        return None;
    }
    let normalize = |v: &[f64]| -> Option<Vec<f64>> {
        let (low, high) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
                (l.min(*x), h.max(*x))
            });
        let range = high - low;
        (range > 0.0 && range.is_finite()).then(|| v.iter().map(|x| (x - low) / range).collect())
    };
    let xn = normalize(x)?;
    let yn = normalize(y)?;
    let difference: Vec<f64> = xn
        .iter()
        .zip(&yn)
        .map(|(xv, yv)| match shape {
            CurveShape::ConcaveIncreasing => yv - xv,
            CurveShape::ConvexIncreasing => xv - yv,
        })
        .collect();
    let mean_gap = xn.windows(2).map(|w| w[1] - w[0]).sum::<f64>() / (n - 1) as f64;
    // Local maxima of the difference curve, each a candidate until it is confirmed.
    let mut candidate: Option<(usize, f64)> = None;
    for i in 0..n {
        let left = if i == 0 {
            f64::NEG_INFINITY
        } else {
            difference[i - 1]
        };
        let right = if i + 1 == n {
            f64::NEG_INFINITY
        } else {
            difference[i + 1]
        };
        if i > 0 && i + 1 < n && difference[i] >= left && difference[i] >= right {
            candidate = Some((i, difference[i] - sensitivity * mean_gap));
            continue;
        }
        if let Some((knee, threshold)) = candidate {
            if difference[i] < threshold {
                return Some(knee);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_corner_of_a_saturating_curve() {
        let users: Vec<f64> = (1..=10).map(|u| u as f64 * 10.0).collect();
        let rps: Vec<f64> = users.iter().map(|u| (u * 2.5).min(100.0)).collect();
        let knee = kneedle(&users, &rps, CurveShape::ConcaveIncreasing, 1.0);
        assert_eq!(knee.map(|i| users[i]), Some(40.0));
    }

    #[test]
    fn finds_where_latency_takes_off() {
        let rps: Vec<f64> = (1..=10).map(|r| r as f64 * 10.0).collect();
        let p95: Vec<f64> = rps
            .iter()
            .map(|r| {
                if *r <= 70.0 {
                    20.0 + r * 0.05
                } else {
                    20.0 + (r - 70.0) * 10.0
                }
            })
            .collect();
        let knee = kneedle(&rps, &p95, CurveShape::ConvexIncreasing, 1.0);
        assert_eq!(knee.map(|i| rps[i]), Some(70.0));
    }

    #[test]
    fn a_straight_line_has_no_knee() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(kneedle(&x, &x, CurveShape::ConcaveIncreasing, 1.0), None);
        assert_eq!(
            kneedle(&x[..2], &x[..2], CurveShape::ConcaveIncreasing, 1.0),
            None
        );
    }
}
