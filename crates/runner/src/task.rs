//! What virtual users do: user classes with weights and wait times, running weighted tasks made of
//! request steps. The scenario loader (TOML files) and the `--path` shortcut both build this model.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use rand::Rng;

use crate::client::Target;
use crate::dynamic::{Capture, DynamicRequest, ResponseCheck};
use crate::metrics::EntryId;

/// Which statuses count as success for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// Any status below 400 (Locust's default).
    Below400,
    /// Exactly these statuses (a 404 can be a success where the flow expects it).
    Statuses(Vec<u16>),
}

impl Acceptance {
    /// True when `status` is a success.
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Acceptance::Below400 => status < 400,
            Acceptance::Statuses(list) => list.contains(&status),
        }
    }
}

/// One HTTP request of a task, fully prepared (nothing is parsed per request).
#[derive(Debug, Clone)]
pub struct RequestStep {
    /// HTTP method.
    pub method: Method,
    /// Path and query, already joined with the host's base path.
    pub uri: Uri,
    /// Extra request headers.
    pub headers: HeaderMap,
    /// Request body (empty for none).
    pub body: Bytes,
    /// The stats entry it is counted under.
    pub entry: EntryId,
    /// Which statuses are successes.
    pub accept: Acceptance,
    /// Parts rendered per request from templates; `None` for a fixed request.
    pub dynamic: Option<Arc<DynamicRequest>>,
    /// Conditions on the response body (a failed check fails the request).
    pub checks: Vec<ResponseCheck>,
    /// Values taken from the response into the user's variables.
    pub captures: Vec<Capture>,
    /// Timeout of this request, overriding the run's.
    pub timeout: Option<Duration>,
    /// Another service than the run's target, when the scenario gave a full URL.
    pub origin: Option<Arc<Target>>,
    /// Business events each successful request delivers (see also [`DynamicRequest::events`]).
    pub events: f64,
    /// Follow redirects (default: yes, except for HEAD, as requests does).
    pub follow_redirects: bool,
    /// Decode gzip/deflate/br bodies (default yes; off keeps the raw body and its length).
    pub decompress: bool,
}

impl RequestStep {
    /// A fixed request: the same method, URI, headers and body every time.
    pub fn fixed(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
        entry: EntryId,
        accept: Acceptance,
    ) -> Self {
        RequestStep {
            uri,
            headers,
            body,
            entry,
            accept,
            dynamic: None,
            checks: Vec::new(),
            captures: Vec::new(),
            timeout: None,
            origin: None,
            events: 0.0,
            follow_redirects: method != Method::HEAD,
            decompress: true,
            method,
        }
    }

    /// Whether the response body must be kept (for checks or captures).
    pub fn needs_body(&self) -> bool {
        !self.checks.is_empty() || !self.captures.is_empty()
    }
}

/// A weighted unit of work: its steps run in order each time the task is picked.
#[derive(Debug, Clone)]
pub struct Task {
    /// Task name (for messages and tag selection).
    pub name: String,
    /// Relative weight among the class's tasks.
    pub weight: u32,
    /// The requests, in order.
    pub steps: Vec<RequestStep>,
}

/// How long a user waits between tasks (Locust's `wait_time`).
#[derive(Debug, Clone, PartialEq)]
pub enum WaitTime {
    /// Always the same pause (`constant`).
    Constant(Duration),
    /// A uniformly random pause between two bounds (`between`).
    Between(Duration, Duration),
    /// Tasks start every this often, however long they took (`constant_pacing`).
    Pacing(Duration),
    /// At most this many tasks per second per user (`constant_throughput`).
    Throughput(f64),
}

impl WaitTime {
    /// The pause after a task that took `task_time`.
    pub fn pause<R: Rng>(&self, task_time: Duration, rng: &mut R) -> Duration {
        match self {
            WaitTime::Constant(pause) => *pause,
            WaitTime::Between(low, high) => {
                if high <= low {
                    *low
                } else {
                    let seconds = rng.random_range(low.as_secs_f64()..=high.as_secs_f64());
                    Duration::from_secs_f64(seconds)
                }
            }
            WaitTime::Pacing(period) => period.saturating_sub(task_time),
            WaitTime::Throughput(per_second) if *per_second > 0.0 => {
                Duration::from_secs_f64(1.0 / per_second).saturating_sub(task_time)
            }
            WaitTime::Throughput(_) => Duration::ZERO,
        }
    }
}

/// A kind of virtual user.
#[derive(Debug, Clone)]
pub struct UserClass {
    /// Class name (selectable on the command line).
    pub name: String,
    /// Relative share of the spawned users.
    pub weight: u32,
    /// Exactly this many users of the class, spawned first (Locust's `fixed_count`); the weight
    /// is then ignored.
    pub fixed_count: Option<u32>,
    /// Pause between tasks.
    pub wait: WaitTime,
    /// Steps each user runs once when it starts (a login, say).
    pub on_start: Vec<RequestStep>,
    /// Each user's variables when it starts (templates see them; captures add to them).
    pub vars: BTreeMap<String, minijinja::Value>,
    /// The weighted tasks.
    pub tasks: Vec<Task>,
}

impl UserClass {
    /// Picks a task at random by weight (`None` when the class has no task).
    pub fn pick_task<R: Rng>(&self, rng: &mut R) -> Option<&Task> {
        let total: u64 = self.tasks.iter().map(|t| u64::from(t.weight)).sum();
        if total == 0 {
            return None;
        }
        let mut ticket = rng.random_range(0..total);
        for task in &self.tasks {
            let weight = u64::from(task.weight);
            if ticket < weight {
                return Some(task);
            }
            ticket -= weight;
        }
        None
    }
}

/// Everything users can do in one experiment.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The user classes, spawned in proportion to their weights.
    pub classes: Vec<UserClass>,
}

/// Assigns spawned users to classes: first the classes with a `fixed_count` until they have it,
/// then the others by a smooth weighted round robin, so that any prefix of spawned users follows
/// the class weights as closely as whole users allow.
#[derive(Debug, Clone)]
pub struct ClassMix {
    weights: Vec<f64>,
    fixed: Vec<Option<u64>>,
    counts: Vec<u64>,
    spawned: u64,
}

impl ClassMix {
    /// A mix over the classes of `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        let weighted = |c: &UserClass| c.fixed_count.is_none();
        let total: f64 = scenario
            .classes
            .iter()
            .filter(|c| weighted(c))
            .map(|c| f64::from(c.weight))
            .sum();
        let flexible = scenario.classes.iter().filter(|c| weighted(c)).count();
        let weights = scenario
            .classes
            .iter()
            .map(|c| match c.fixed_count {
                Some(_) => 0.0,
                None if total > 0.0 => f64::from(c.weight) / total,
                None => 1.0 / flexible.max(1) as f64,
            })
            .collect();
        ClassMix {
            weights,
            fixed: scenario
                .classes
                .iter()
                .map(|c| c.fixed_count.map(u64::from))
                .collect(),
            counts: vec![0; scenario.classes.len()],
            spawned: 0,
        }
    }

    /// The class index of the next spawned user: a fixed-count class still short of its count,
    /// else the weighted class furthest behind its share.
    pub fn next_class(&mut self) -> usize {
        if let Some(short) = (0..self.fixed.len())
            .find(|&i| self.fixed[i].is_some_and(|wanted| self.counts[i] < wanted))
        {
            self.counts[short] += 1;
            return short;
        }
        if self.weights.iter().all(|w| *w == 0.0) {
            // Only fixed-count classes, all full: users beyond them go round robin.
            let chosen = (self.spawned as usize) % self.counts.len().max(1);
            self.spawned += 1;
            return chosen;
        }
        self.spawned += 1;
        let spawned = self.spawned as f64;
        let deficit = |i: usize| spawned * self.weights[i] - self.counts[i] as f64;
        let chosen = (0..self.weights.len())
            .filter(|&i| self.fixed[i].is_none())
            .max_by(|&a, &b| deficit(a).total_cmp(&deficit(b)).then(b.cmp(&a)))
            .unwrap_or(0);
        if let Some(count) = self.counts.get_mut(chosen) {
            *count += 1;
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn pacing_subtracts_the_task_time() {
        let mut rng = SmallRng::seed_from_u64(1);
        let pacing = WaitTime::Pacing(Duration::from_millis(100));
        assert_eq!(
            pacing.pause(Duration::from_millis(30), &mut rng),
            Duration::from_millis(70)
        );
        assert_eq!(
            pacing.pause(Duration::from_millis(300), &mut rng),
            Duration::ZERO
        );
    }

    #[test]
    fn class_assignment_follows_weights() {
        let class = |name: &str, weight| UserClass {
            name: name.into(),
            weight,
            wait: WaitTime::Constant(Duration::ZERO),
            fixed_count: None,
            on_start: vec![],
            vars: BTreeMap::new(),
            tasks: vec![],
        };
        let scenario = Scenario {
            classes: vec![class("a", 3), class("b", 1)],
        };
        let mut mix = ClassMix::new(&scenario);
        let picks: Vec<usize> = (0..8).map(|_| mix.next_class()).collect();
        assert_eq!(picks.iter().filter(|&&c| c == 0).count(), 6);
        assert_eq!(picks.iter().filter(|&&c| c == 1).count(), 2);
        // A fixed-count class gets exactly its users first; the rest follow the weights.
        let mut admin = class("admin", 100);
        admin.fixed_count = Some(2);
        let scenario = Scenario {
            classes: vec![class("a", 3), class("b", 1), admin],
        };
        let mut mix = ClassMix::new(&scenario);
        let picks: Vec<usize> = (0..10).map(|_| mix.next_class()).collect();
        assert_eq!(&picks[..2], &[2, 2]);
        assert_eq!(picks.iter().filter(|&&c| c == 2).count(), 2);
        assert_eq!(picks.iter().filter(|&&c| c == 0).count(), 6);
    }
}
