//! Gunther's Universal Scalability Law, X(N) = λN / (1 + σ(N−1) + κN(N−1)), fitted to throughput
//! per user count by least squares: λ in closed form for each (σ, κ), (σ, κ) by a grid and a
//! shrinking local search.

use serde::Serialize;

/// A fitted USL curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UslFit {
    /// Contention (serial fraction), 0..1.
    pub sigma: f64,
    /// Coherency (crosstalk) cost.
    pub kappa: f64,
    /// Throughput of one user, requests per second.
    pub lambda: f64,
    /// Users at peak throughput √((1−σ)/κ); `None` when κ = 0 (no retrograde region).
    pub n_star: Option<f64>,
    /// Peak throughput X(N*) (or the asymptote λ/σ when κ = 0), requests per second.
    pub x_max: Option<f64>,
    /// Coefficient of determination of the fit.
    pub r2: f64,
}

impl UslFit {
    /// Throughput predicted at `users`.
    pub fn throughput(&self, users: f64) -> f64 {
        usl(self.lambda, self.sigma, self.kappa, users)
    }
}

fn usl(lambda: f64, sigma: f64, kappa: f64, n: f64) -> f64 {
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// Best λ and the squared error for fixed σ, κ.
fn solve(n: &[f64], x: &[f64], sigma: f64, kappa: f64) -> (f64, f64) {
    let shape: Vec<f64> = n.iter().map(|n| usl(1.0, sigma, kappa, *n)).collect();
    let lambda = shape.iter().zip(x).map(|(f, x)| f * x).sum::<f64>()
        / shape.iter().map(|f| f * f).sum::<f64>();
    let error = shape
        .iter()
        .zip(x)
        .map(|(f, x)| (lambda * f - x).powi(2))
        .sum();
    (lambda, error)
}

/// Fits the USL to throughput `x` at user counts `n`; needs 4 points or more with distinct `n`.
pub fn fit_usl(n: &[f64], x: &[f64]) -> Option<UslFit> {
    if n.len() < 4 || n.len() != x.len() || n.iter().any(|v| *v <= 0.0) {
        return None;
    }
    // Grid: σ in [0, 1], κ = 0 or log-spaced from 1e-7 to 1.
    let kappas: Vec<f64> = std::iter::once(0.0)
        .chain((0..=70).map(|i| 10f64.powf(-7.0 + i as f64 * 0.1)))
        .collect();
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for i in 0..=100 {
        let sigma = i as f64 / 100.0;
        for kappa in &kappas {
            let (_, error) = solve(n, x, sigma, *kappa);
            if error < best.0 {
                best = (error, sigma, *kappa);
            }
        }
    }
    // Local refinement: coordinate steps that shrink when nothing improves.
    let (mut error, mut sigma, mut kappa) = best;
    let mut step_sigma = 0.01;
    let mut step_kappa = kappa.max(1e-7) * 0.25;
    for _ in 0..400 {
        let mut improved = false;
        for (ds, dk) in [
            (step_sigma, 0.0),
            (-step_sigma, 0.0),
            (0.0, step_kappa),
            (0.0, -step_kappa),
        ] {
            let (s, k) = ((sigma + ds).clamp(0.0, 1.0), (kappa + dk).max(0.0));
            let (_, e) = solve(n, x, s, k);
            if e < error {
                (error, sigma, kappa) = (e, s, k);
                improved = true;
            }
        }
        if !improved {
            step_sigma /= 2.0;
            step_kappa /= 2.0;
            if step_sigma < 1e-9 {
                break;
            }
        }
    }
    let (lambda, error) = solve(n, x, sigma, kappa);
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let total: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    let r2 = if total > 0.0 {
        1.0 - error / total
    } else {
        1.0
    };
    let n_star = (kappa > 0.0).then(|| ((1.0 - sigma) / kappa).sqrt());
    let x_max = match n_star {
        Some(peak) => Some(usl(lambda, sigma, kappa, peak)),
        None if sigma > 0.0 => Some(lambda / sigma),
        None => None,
    };
    Some(UslFit {
        sigma,
        kappa,
        lambda,
        n_star,
        x_max,
        r2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_known_coefficients() {
        let n: Vec<f64> = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0].to_vec();
        let x: Vec<f64> = n.iter().map(|n| usl(50.0, 0.05, 0.001, *n)).collect();
        let fit = fit_usl(&n, &x).expect("a fit");
        assert!((fit.sigma - 0.05).abs() < 0.005, "{fit:?}");
        assert!((fit.kappa - 0.001).abs() < 0.0002, "{fit:?}");
        assert!((fit.lambda - 50.0).abs() < 1.0, "{fit:?}");
        assert!(fit.r2 > 0.999);
        let peak = ((1.0 - 0.05) / 0.001f64).sqrt();
        assert!((fit.n_star.unwrap() - peak).abs() / peak < 0.05);
    }

    #[test]
    fn needs_four_points() {
        assert!(fit_usl(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).is_none());
    }
}
