//! Keeps long series small: at most `max_points` per series, keeping each bucket's minimum and
//! maximum so spikes survive.

/// Points allowed per series before downsampling (a 1-hour run has 3 600).
pub const MAX_POINTS: usize = 1_500;

/// `points` (in x order) reduced to at most about `max_points`, each bucket represented by its
/// lowest and highest point in x order.
pub fn downsample(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    if points.len() <= max_points || max_points < 4 {
        return points.to_vec();
    }
    let buckets = max_points / 2;
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(buckets * 2);
    for bucket in points.chunks(size) {
        let low = bucket.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        let high = bucket.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(low), Some(high)) = (low, high) {
            if low.0 <= high.0 {
                out.extend([*low, *high]);
            } else {
                out.extend([*high, *low]);
            }
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spikes_and_bounds_size() {
        let mut points: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 1.0)).collect();
        points[5_000].1 = 99.0;
        let small = downsample(&points, 1_000);
        assert!(small.len() <= 1_000, "{}", small.len());
        assert!(small.iter().any(|p| p.1 == 99.0));
        assert!(small.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(downsample(&points[..10], 1_000).len(), 10);
    }
}
