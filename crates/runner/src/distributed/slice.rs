//! A shard's exact share of the load: users, spawn rates and step levels split as evenly as
//! possible with the remainder spread over the first shards (10 over 4 → 3, 3, 2, 2), and
//! arrivals interleaved (shard `I` of `N` starts arrivals `I`, `I+N`, `I+2N`…, k6's execution
//! segments), so the shards' loads add up to exactly the single process's.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::shape::{LoadShape, StepWindow};

/// Shard `index` (0-based, as Kubernetes' `JOB_COMPLETION_INDEX`) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    index: usize,
    count: usize,
}

impl Slice {
    /// Shard `index` of `count`, or why not (`count` ≥ 1, `index` < `count`).
    pub fn new(index: usize, count: usize) -> Result<Slice, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".to_owned());
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is out of range: shards are numbered 0 to {}",
                count - 1
            ));
        }
        Ok(Slice { index, count })
    }

    /// The 0-based index.
    pub fn index(self) -> usize {
        self.index
    }

    /// How many shards.
    pub fn count(self) -> usize {
        self.count
    }

    /// This shard's part of `total` whole units (users, a step's users).
    pub fn share(self, total: u64) -> u64 {
        let (count, index) = (self.count as u64, self.index as u64);
        total / count + u64::from(index < total % count)
    }

    /// This shard's part of a level (users, rounded as the scheduler rounds them).
    pub fn share_of_level(self, level: f64) -> f64 {
        self.share(level.round().max(0.0) as u64) as f64
    }

    /// This shard's spawn rate: a whole rate of at least one per shard is split like users,
    /// any other rate evenly.
    pub fn share_of_rate(self, rate: f64) -> f64 {
        if rate.fract() == 0.0 && rate >= self.count as f64 && rate < u64::MAX as f64 {
            self.share(rate as u64) as f64
        } else {
            rate / self.count as f64
        }
    }

    /// Whether this shard starts the 0-based `arrival` of the single-process schedule.
    pub fn takes(self, arrival: u64) -> bool {
        arrival % self.count as u64 == self.index as u64
    }

    /// This shard's arrivals among the `len` 0-based arrivals from `first`: the first of them
    /// and how many (every `count`-th from it), found without visiting the others.
    pub fn arrivals_in(self, first: u64, len: u64) -> (u64, u64) {
        let (count, index) = (self.count as u64, self.index as u64);
        let offset = (index + count - first % count) % count;
        let own = first + offset;
        let taken = if offset >= len {
            0
        } else {
            (len - offset - 1) / count + 1
        };
        (own, taken)
    }
}

impl Default for Slice {
    /// The whole load (one shard of one).
    fn default() -> Self {
        Slice { index: 0, count: 1 }
    }
}

impl fmt::Display for Slice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Slice {
    type Err = String;

    /// `I/N`, as `--shard` takes it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = || format!("expected I/N (shard I of N, I from 0), got {text:?}");
        let (index, count) = text.split_once('/').ok_or_else(expected)?;
        let index = index.trim().parse().map_err(|_| expected())?;
        let count = count.trim().parse().map_err(|_| expected())?;
        Slice::new(index, count)
    }
}

/// A users shape cut to one shard's share ([`Slice::share_of_level`]) at every moment and step.
#[derive(Debug)]
pub struct SliceShape {
    inner: Arc<dyn LoadShape>,
    slice: Slice,
}

impl SliceShape {
    /// `inner`'s users, `slice`'s part of them.
    pub fn new(inner: Arc<dyn LoadShape>, slice: Slice) -> Self {
        SliceShape { inner, slice }
    }
}

impl LoadShape for SliceShape {
    fn level_at(&self, elapsed: Duration) -> Option<f64> {
        Some(self.slice.share_of_level(self.inner.level_at(elapsed)?))
    }

    fn step_at(&self, elapsed: Duration) -> Option<StepWindow> {
        let mut window = self.inner.step_at(elapsed)?;
        window.level = self.slice.share_of_level(window.level);
        Some(window)
    }

    fn sets_its_own_pace(&self) -> bool {
        self.inner.sets_its_own_pace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Constant, Steps};

    fn slices(count: usize) -> Vec<Slice> {
        (0..count)
            .filter_map(|i| Slice::new(i, count).ok())
            .collect()
    }

    #[test]
    fn users_split_evenly_with_the_remainder_first() {
        let shares: Vec<u64> = slices(4).iter().map(|s| s.share(10)).collect();
        assert_eq!(shares, [3, 3, 2, 2]);
        for total in 0..50 {
            for count in 1..9 {
                let sum: u64 = slices(count).iter().map(|s| s.share(total)).sum();
                assert_eq!(sum, total, "{total} over {count}");
            }
        }
    }

    #[test]
    fn spawn_rates_split_like_users_or_evenly() {
        let whole: Vec<f64> = slices(4).iter().map(|s| s.share_of_rate(10.0)).collect();
        assert_eq!(whole, [3.0, 3.0, 2.0, 2.0]);
        let small: Vec<f64> = slices(4).iter().map(|s| s.share_of_rate(2.0)).collect();
        assert_eq!(small, [0.5; 4]);
    }

    #[test]
    fn arrivals_interleave_into_the_whole_schedule() {
        let shards = slices(3);
        for arrival in 0..100u64 {
            let takers: Vec<usize> = shards
                .iter()
                .filter(|s| s.takes(arrival))
                .map(|s| s.index())
                .collect();
            assert_eq!(takers, [arrival as usize % 3]);
        }
    }

    #[test]
    fn step_levels_add_up_to_the_whole_step() {
        let steps: Arc<dyn LoadShape> = Arc::new(Steps {
            start: 10.0,
            step: 20.0,
            every: Duration::from_secs(10),
            max_level: None,
            max_steps: Some(3),
        });
        for at in [0, 15, 25] {
            let at = Duration::from_secs(at);
            let whole = steps.step_at(at).map(|w| w.level).unwrap_or(-1.0);
            let sum: f64 = slices(3)
                .into_iter()
                .filter_map(|s| SliceShape::new(steps.clone(), s).step_at(at))
                .map(|w| w.level)
                .sum();
            assert_eq!(sum, whole);
        }
        let constant = SliceShape::new(
            Arc::new(Constant(10.0)),
            Slice::new(3, 4).unwrap_or_default(),
        );
        assert_eq!(constant.level_at(Duration::ZERO), Some(2.0));
    }

    #[test]
    fn parses_i_of_n() {
        assert_eq!("2/3".parse::<Slice>(), Slice::new(2, 3));
        for bad in ["3/3", "1/0", "x/2", "2", "-1/2"] {
            assert!(bad.parse::<Slice>().is_err(), "{bad}");
        }
    }
}
