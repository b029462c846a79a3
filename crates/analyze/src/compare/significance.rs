//! Is a change real or noise? The Mann-Whitney U test (two-sided, normal approximation with tie
//! correction and continuity correction) on per-interval samples, and Holm's step-down control of
//! the family-wise error rate over every test of one comparison.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// How the p-values of one comparison's tests are adjusted for their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FamilyMethod {
    /// Holm (1979), "A simple sequentially rejective multiple test procedure": the family-wise
    /// error rate stays at most α under any dependence between the tests.
    #[serde(rename = "holm-bonferroni")]
    Holm,
}

impl FamilyMethod {
    /// The method's name for people.
    pub fn label(&self) -> &'static str {
        match self {
            FamilyMethod::Holm => "Holm–Bonferroni",
        }
    }
}

/// The family-wise error control applied to one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FamilyControl {
    /// The adjustment.
    pub method: FamilyMethod,
    /// How many tests the family holds (every rule × entry with a test).
    pub tests: usize,
    /// The family-wise significance level.
    pub alpha: f64,
}

impl std::fmt::Display for FamilyControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = if self.tests == 1 { "" } else { "s" };
        write!(
            f,
            "{} over {} test{plural}, α = {}",
            self.method.label(),
            self.tests,
            self.alpha
        )
    }
}

/// Holm's adjusted p-values, in the order given: with p₍₁₎ ≤ … ≤ p₍ₘ₎, the i-th smallest becomes
/// max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎). A test is significant at family-wise level α when
/// its adjusted p-value is below α.
pub fn holm_adjusted(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, index) in order.into_iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[index]).min(1.0));
        adjusted[index] = running;
    }
    adjusted
}

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

    #[test]
    fn holm_matches_statsmodels() {
        // statsmodels 0.15: multipletests([0.01, 0.04, 0.03, 0.005, 0.5], method="holm")[1]
        //   -> [0.04, 0.09, 0.09, 0.025, 0.5]; ([0.9, 0.6]) -> [1.0, 1.0]
        let adjusted = holm_adjusted(&[0.01, 0.04, 0.03, 0.005, 0.5]);
        let expected = [0.04, 0.09, 0.09, 0.025, 0.5];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{adjusted:?}");
        }
        assert_eq!(holm_adjusted(&[0.9, 0.6]), vec![1.0, 1.0]);
        assert!(holm_adjusted(&[]).is_empty());
        let family = FamilyControl {
            method: FamilyMethod::Holm,
            tests: 27,
            alpha: 0.05,
        };
        assert_eq!(
            family.to_string(),
            "Holm–Bonferroni over 27 tests, α = 0.05"
        );
    }
}
