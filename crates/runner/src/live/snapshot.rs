//! What a live view sees of a run at one instant: the figures the aggregator merged up to its
//! latest second, copied out so that readers never touch the run's own statistics.

use captest_format::RequestKey;

/// Upper bounds (seconds) of the response-time histogram buckets, `+Inf` aside: fixed, so that
/// the histograms of several captest processes add up bucket by bucket. They span HTTP
/// latencies from a loopback millisecond to a one-minute timeout.
pub const DURATION_BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// What does not change while the run lasts: which command, against which host, which captest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The command that runs the load (`run`, `step`, `rate`).
    pub command: String,
    /// The target's base URL.
    pub host: String,
    /// captest's version.
    pub version: String,
}

/// Cumulative figures of one entry (`(method, name)`) since the start of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEntry {
    /// The entry.
    pub key: RequestKey,
    /// Requests completed, failed ones included (`_stats.csv`'s Request Count).
    pub requests: u64,
    /// Requests that failed.
    pub failures: u64,
    /// Sum of the response times, seconds.
    pub duration_sum_seconds: f64,
    /// Requests whose response time was at most each bound of [`DURATION_BUCKETS`] (cumulative
    /// counts, as a Prometheus histogram has them; the bucket of a time is found at the HDR
    /// histogram's 0.1 % resolution).
    pub duration_buckets: [u64; DURATION_BUCKETS.len()],
    /// Business events delivered (0 when the scenario declares none for the entry).
    pub events: f64,
    /// Locust's current requests per second (the console's `req/s`).
    pub current_rps: f64,
    /// Locust's current failures per second.
    pub current_fail_per_sec: f64,
    /// Locust's cumulative median, 95th and 99th percentiles, ms (`None` before any request).
    pub percentiles_ms: Option<[u64; 3]>,
    /// Smallest and largest response times, ms (`None` before any request).
    pub min_max_ms: Option<(f64, f64)>,
    /// Sum of the response bodies' lengths, bytes (`_stats.csv`'s Average Content Size × count).
    pub content_bytes: u64,
}

/// A task-logic error (`_exceptions.csv`'s row), counted since the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveException {
    /// How many times.
    pub count: u64,
    /// The error message.
    pub message: String,
    /// Where it happened (the task and step).
    pub traceback: String,
}

/// One kind of failure of one entry, counted since the start (`_failures.csv`'s row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFailure {
    /// The entry that failed.
    pub key: RequestKey,
    /// The error as `_failures.csv` writes it.
    pub error: String,
    /// How many times.
    pub occurrences: u64,
}

/// The open model's own counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArrivalCounts {
    /// The arrival rate the shape asks for now, iterations per second.
    pub offered_rate: f64,
    /// Iterations that could not start since the run began.
    pub dropped: u64,
}

/// One completed step of a stepped run, measured over its steady part (the figures of
/// `_steps.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveStep {
    /// 1-based step number.
    pub number: usize,
    /// The step's level: users, or offered iterations per second in the open model.
    pub level: f64,
    /// Users running during the step (iterations in flight in the open model).
    pub users: usize,
    /// Start of the step, epoch seconds.
    pub start: f64,
    /// End of the step (or of the run, when it ended within the step), epoch seconds.
    pub end: f64,
    /// Requests per second over the steady part.
    pub rps: f64,
    /// Failed requests, percent.
    pub error_pct: f64,
    /// Median, 95th and 99th percentiles of the steady part, ms (`None` without requests).
    pub percentiles_ms: Option<[f64; 3]>,
    /// Why the run stopped at this step, when it did.
    pub stop_reason: Option<String>,
}

impl LiveStep {
    /// The live figures of `step`.
    pub fn of(step: &crate::steps::StepResult) -> LiveStep {
        LiveStep {
            number: step.index + 1,
            level: step.level,
            users: step.users,
            start: step.start,
            end: step.end,
            rps: step.rps(),
            error_pct: step.error_pct(),
            percentiles_ms: (!step.latency.is_empty())
                .then(|| [50.0, 95.0, 99.0].map(|p| step.percentile_ms(p))),
            stop_reason: step.stop_reason.clone(),
        }
    }
}

/// The run as the aggregator last saw it (once a second).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSnapshot {
    /// Seconds since the run's statistics started.
    pub elapsed_seconds: f64,
    /// Users running (iterations in flight in the open model): the history's User Count.
    pub users: usize,
    /// Every entry the scenario has registered, sorted by (name, method); entries not requested
    /// yet are there with zeros, so that a counter starts at 0.
    pub entries: Vec<LiveEntry>,
    /// The Aggregated row (`None` before the first snapshot).
    pub total: Option<LiveEntry>,
    /// Locust's current (last ~10 s) median, 95th and 99th percentiles of all requests, ms: the
    /// history's figures (`None` before any request).
    pub current_percentiles_ms: Option<[u64; 3]>,
    /// Every failure kind seen so far, sorted by entry and error.
    pub failures: Vec<LiveFailure>,
    /// Task-logic errors so far, in first-seen order.
    pub exceptions: Vec<LiveException>,
    /// Whether any entry carries business events.
    pub has_events: bool,
    /// The open model's counts (`None` for users).
    pub arrivals: Option<ArrivalCounts>,
    /// The steps completed so far (a stepped run; empty otherwise).
    pub steps: Vec<LiveStep>,
    /// Why the run stopped, once it has: the last snapshot, taken after the final second.
    pub stopped: Option<String>,
}

impl LiveSnapshot {
    /// Whether this is the run's last snapshot (its figures are the files').
    pub fn is_final(&self) -> bool {
        self.stopped.is_some()
    }
}
