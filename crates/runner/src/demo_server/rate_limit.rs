//! Per-API-key rate limits, as a real event API sells them: FREE 100, PRO 1 000 and ENTERPRISE
//! 10 000 requests per minute.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The plan an API key belongs to, read from the key's prefix (`free_…`, `pro_…`,
/// `enterprise_…`, case-insensitive); keys with any other prefix are on the FREE plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiPlan {
    /// 100 requests per minute.
    Free,
    /// 1 000 requests per minute.
    Pro,
    /// 10 000 requests per minute.
    Enterprise,
}

impl ApiPlan {
    /// The plan of `key`.
    pub fn of_key(key: &str) -> ApiPlan {
        let key = key.to_ascii_lowercase();
        if key.starts_with("enterprise") || key.starts_with("ent_") {
            ApiPlan::Enterprise
        } else if key.starts_with("pro") {
            ApiPlan::Pro
        } else {
            ApiPlan::Free
        }
    }

    /// Requests allowed per minute.
    pub fn per_minute(&self) -> u32 {
        match self {
            ApiPlan::Free => 100,
            ApiPlan::Pro => 1_000,
            ApiPlan::Enterprise => 10_000,
        }
    }
}

/// A token bucket per key: holds up to one minute's allowance and refills continuously.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    /// Takes one request from `key`'s allowance at `now`; `Err(retry_after)` when it is used up.
    pub fn admit(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let per_minute = f64::from(ApiPlan::of_key(key).per_minute());
        let per_second = per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: per_minute,
            refilled_at: now,
        });
        let elapsed = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(per_minute);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_keys_get_100_per_minute_then_429() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        let admitted = (0..150)
            .filter(|_| limiter.admit("free_abc", start).is_ok())
            .count();
        assert_eq!(admitted, 100);
        // 0.6 s later one more token has refilled (100/min = 1 per 0.6 s).
        assert!(limiter
            .admit("free_abc", start + Duration::from_millis(610))
            .is_ok());
        assert!(limiter.admit("pro_xyz", start).is_ok());
        assert_eq!(ApiPlan::of_key("ENTERPRISE-1"), ApiPlan::Enterprise);
        assert_eq!(ApiPlan::of_key("whatever"), ApiPlan::Free);
    }
}
