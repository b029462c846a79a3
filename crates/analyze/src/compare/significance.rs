//! Is a change real or noise? The Mann-Whitney U test (two-sided, normal approximation with tie
//! correction and continuity correction) on per-interval samples.

use statrs::distribution::{ContinuousCDF, Normal};

/// Fewest samples per side for a test.
pub const MIN_SAMPLES: usize = 5;

/// The two-sided p-value of the Mann-Whitney U test of `a` vs `b`, or `None` with fewer than
/// [`MIN_SAMPLES`] samples on a side or when every value is equal.
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> Option<f64> {
    let (n1, n2) = (a.len(), b.len());
    if n1 < MIN_SAMPLES || n2 < MIN_SAMPLES {
        return None;
    }
    let mut all: Vec<(f64, usize)> = a
        .iter()
        .map(|v| (*v, 0))
        .chain(b.iter().map(|v| (*v, 1)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let mut ranks = vec![0.0; n];
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        ranks[i..=j].iter_mut().for_each(|r| *r = rank);
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let rank_sum_a: f64 = all
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| v.1 == 0)
        .map(|(_, r)| r)
        .sum();
    let (n1, n2, n) = (n1 as f64, n2 as f64, n as f64);
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return None;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
    let normal = Normal::standard();
    Some((2.0 * (1.0 - normal.cdf(z))).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_shifted_samples_from_noise() {
        let a: Vec<f64> = (0..30).map(|i| 100.0 + (i % 7) as f64).collect();
        let shifted: Vec<f64> = a.iter().map(|v| v + 10.0).collect();
        assert!(mann_whitney_p(&a, &shifted).unwrap() < 1e-6);
        let same: Vec<f64> = (0..30).map(|i| 100.0 + ((i * 3) % 7) as f64).collect();
        assert!(mann_whitney_p(&a, &same).unwrap() > 0.5);
        assert!(mann_whitney_p(&a[..3], &same).is_none());
    }

    #[test]
    fn matches_scipy_on_a_small_case() {
        // scipy.stats.mannwhitneyu([1,2,3,4,5,6], [4,5,6,7,8,9], method="asymptotic")
        //   -> statistic=4.5, pvalue=0.03637858037213116 (ties at 4, 5 and 6)
        let p = mann_whitney_p(
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        )
        .unwrap();
        assert!((p - 0.03637858037213116).abs() < 1e-9, "{p}");
    }
}
