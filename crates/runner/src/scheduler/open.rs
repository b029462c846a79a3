//! The open model (wrk2- and k6-style arrival rate): iterations start on a schedule whether or not
//! earlier ones finished. At most `max_in_flight` run at once; up to as many more wait for a slot,
//! and their response time still counts from their *intended* start, so a stalled target shows
//! in the percentiles instead of being hidden by the load generator slowing down (coordinated
//! omission). Iterations that find even the waiting line full are dropped and counted.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{ScheduleContext, StopCause};
use crate::client::Session;
use crate::distributed::Slice;
use crate::dynamic::UserState;
use crate::signals::ShutdownSignals;
use crate::task::{ClassMix, UserClass};
use crate::user::{execute_step, StepOutcome, UserEnvironment};

/// Idle keep-alive connections kept beyond those of the iterations in flight.
const IDLE_SLACK: usize = 32;

/// Longest sleep between two looks at the shape's rate, seconds.
const RATE_RECHECK_S: f64 = 0.01;

/// Most iterations one pass of the dispatcher starts; arrivals beyond are dropped (and counted),
/// so that a pass never takes long enough to miss the time limit or a signal. At
/// [`MAX_ARRIVAL_RATE`] a 10 ms pass crosses this many arrivals.
const MAX_STARTS_PER_PASS: u64 = 10_000;

/// The highest arrival rate (iterations per second) `rate` and `step --rate` accept. Measured
/// (bench/RESULTS.md): a debug build on 2 shared cores starts about 21 000 iterations per second
/// against the loopback demo server, a release build several times more; at 50 times that, a
/// run would measure its own dispatcher rather than the target, so such a rate is refused
/// rather than pretended. Below it, what cannot be started on time is counted as dropped.
pub const MAX_ARRIVAL_RATE: f64 = 1_000_000.0;

/// What the open model counts beyond the requests themselves.
#[derive(Debug, Default)]
pub struct OpenModelCounters {
    /// Iterations started (sent their first request).
    pub started: AtomicU64,
    /// Iterations that could not start on time: the in-flight limit and the waiting line were
    /// full, or the dispatcher fell more than a pass ([`MAX_STARTS_PER_PASS`]) behind.
    pub dropped: AtomicU64,
    /// Iterations waiting for an in-flight slot right now.
    waiting: AtomicUsize,
}

/// The arrivals one pass of the dispatcher crossed: the integral of the rate went from `before`
/// to `before + arrived` over `span` after `last`.
struct ArrivalSpan {
    last: Instant,
    span: Duration,
    before: f64,
    arrived: f64,
}

impl ArrivalSpan {
    /// How many whole arrivals were crossed, and the index of the first.
    fn whole_arrivals(&self) -> (f64, u64) {
        let first = self.before.floor() + 1.0;
        let crossed = ((self.before + self.arrived).floor() - first + 1.0).max(0.0);
        (first, crossed as u64)
    }

    /// When the integral crossed whole arrival `index`.
    fn intended(&self, index: f64) -> Instant {
        self.last
            + self
                .span
                .mul_f64(((index - self.before) / self.arrived).clamp(0.0, 1.0))
    }
}

/// Starts (through `spawn`, which counts it as waiting) the arrivals of `arrivals` the waiting
/// line has room for, at most [`MAX_STARTS_PER_PASS`], earliest first, and counts the rest as
/// dropped in one addition: however far behind the dispatcher is, a pass does bounded work and
/// keeps no list of missed start times.
/// A shard ([`Slice`]) starts only its own arrivals of the single-process schedule (shard `I` of
/// `N`: the 0-based arrivals `I`, `I+N`, …), and drops only its own.
fn start_arrivals(
    arrivals: &ArrivalSpan,
    slice: Slice,
    max_in_flight: usize,
    counters: &OpenModelCounters,
    mut spawn: impl FnMut(Instant),
) {
    let (first, crossed) = arrivals.whole_arrivals();
    // `first` is the 1-based index of the first arrival crossed.
    let (own, mine) = slice.arrivals_in(first as u64 - 1, crossed);
    let room = max_in_flight.saturating_sub(counters.waiting.load(Ordering::Acquire));
    let started = mine.min(room as u64).min(MAX_STARTS_PER_PASS);
    let step = slice.count() as u64;
    for k in 0..started {
        counters.waiting.fetch_add(1, Ordering::AcqRel);
        spawn(arrivals.intended((own + k * step + 1) as f64));
    }
    counters
        .dropped
        .fetch_add(mine - started, Ordering::Relaxed);
}

/// Idle sessions (their keep-alive connections) shared by iterations.
type ConnectionPool = Arc<Mutex<Vec<Session>>>;

struct Iteration {
    env: UserEnvironment,
    class: Arc<UserClass>,
    intended: Instant,
    seed: u64,
}

async fn run_iteration(
    iteration: Iteration,
    slots: Arc<Semaphore>,
    pool: ConnectionPool,
    counters: Arc<OpenModelCounters>,
    active: Arc<AtomicUsize>,
) {
    // The dispatcher counted this iteration as waiting when it spawned it.
    let permit = slots.acquire_owned().await;
    counters.waiting.fetch_sub(1, Ordering::AcqRel);
    let Ok(_permit) = permit else {
        return;
    };
    active.fetch_add(1, Ordering::Relaxed);
    counters.started.fetch_add(1, Ordering::Relaxed);
    let pooled = pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut session = match pooled {
        Some(mut session) => {
            // An iteration is a new user: the connection stays, the cookies go.
            session.clear_cookies();
            session
        }
        None => Session::new(&iteration.env.client),
    };
    let mut rng = SmallRng::seed_from_u64(iteration.seed);
    // An iteration is a short-lived user: its class's on_start flow, then one task.
    let mut state = UserState::new(&iteration.class.vars);
    for step in &iteration.class.on_start {
        execute_step(&iteration.env, &mut session, step, &mut state, None).await;
    }
    if let Some(task) = iteration.class.pick_task(&mut rng) {
        for (position, step) in task.steps.iter().enumerate() {
            let intended = (position == 0).then_some(iteration.intended);
            let outcome =
                execute_step(&iteration.env, &mut session, step, &mut state, intended).await;
            // The next iteration comes at the scheduled rate, so a failed template cannot spin
            // here; a step that captured nothing ends the flow.
            if outcome != StepOutcome::Succeeded && !step.captures.is_empty() {
                break;
            }
        }
    }
    {
        // Keep as many idle connections as may be needed soon; close the rest (after a stall
        // the backlog opens hundreds, and keeping them all would hold their memory for good).
        let mut idle = pool.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < active.load(Ordering::Relaxed) + IDLE_SLACK {
            idle.push(session);
        }
    }
    active.fetch_sub(1, Ordering::Relaxed);
}

/// Starts iterations at the shape's rate (iterations per second) until the run ends. Returns why,
/// and the iterations still in flight.
pub async fn schedule_arrivals(
    ctx: &ScheduleContext,
    max_in_flight: usize,
    counters: Arc<OpenModelCounters>,
    signals: &mut ShutdownSignals,
) -> (StopCause, JoinSet<()>) {
    let slots = Arc::new(Semaphore::new(max_in_flight));
    let pool: ConnectionPool = Arc::new(Mutex::new(Vec::new()));
    let mut mix = ClassMix::new(&ctx.scenario);
    let classes: Vec<Arc<UserClass>> = ctx.scenario.classes.iter().cloned().map(Arc::new).collect();
    let mut rng = SmallRng::from_os_rng();
    let mut in_flight = JoinSet::new();
    // Arrivals due so far (fractional): the integral of the rate over time, so a ramp from 0
    // starts sending as soon as its integral reaches one arrival (not 1/rate after its start).
    let mut due = 0.0_f64;
    let mut last = ctx.started;
    let mut last_rate = match ctx.level_or_stop(last) {
        Ok(rate) => rate.max(0.0),
        Err(_) => 0.0,
    };
    let cause = loop {
        let now = Instant::now();
        let rate = match ctx.level_or_stop(now) {
            Ok(rate) => rate.max(0.0),
            Err(cause) => break cause,
        };
        while in_flight.try_join_next().is_some() {}
        let span = now.saturating_duration_since(last);
        // Trapezoid: exact on the linear ramps stages are made of.
        let arrived = (last_rate + rate) / 2.0 * span.as_secs_f64();
        let (before, after) = (due, due + arrived);
        let arrivals = ArrivalSpan {
            last,
            span,
            before,
            arrived,
        };
        start_arrivals(&arrivals, ctx.slice, max_in_flight, &counters, |intended| {
            let iteration = Iteration {
                env: ctx.env.clone(),
                class: classes[mix.next_class()].clone(),
                intended,
                seed: rng.random(),
            };
            in_flight.spawn(run_iteration(
                iteration,
                slots.clone(),
                pool.clone(),
                counters.clone(),
                ctx.active.clone(),
            ));
        });
        due = after;
        last = now;
        last_rate = rate;
        // Wake when the next arrival is due at the current rate, and at least every
        // RATE_RECHECK while the rate may be changing (or is zero).
        let until_next = if rate > 0.0 {
            Duration::from_secs_f64(((after.floor() + 1.0 - after) / rate).min(RATE_RECHECK_S))
        } else {
            Duration::from_secs_f64(RATE_RECHECK_S)
        };
        let wake = ctx.wake_at(now, Some(now + until_next));
        tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = signals.recv() => break StopCause::Signal,
        }
    };
    slots.close();
    (cause, in_flight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_far_behind_starts_a_bounded_number_and_counts_the_rest_dropped() {
        // A dispatcher 10 s late at 1e10/s: 1e11 arrivals crossed in one pass.
        let last = Instant::now();
        let arrivals = ArrivalSpan {
            last,
            span: Duration::from_secs(10),
            before: 0.5,
            arrived: 1e11,
        };
        let counters = OpenModelCounters::default();
        let mut intended = Vec::new();
        let started = Instant::now();
        start_arrivals(&arrivals, Slice::default(), usize::MAX, &counters, |at| {
            intended.push(at)
        });
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(intended.len() as u64, MAX_STARTS_PER_PASS);
        assert_eq!(
            counters.dropped.load(Ordering::Relaxed),
            100_000_000_000 - MAX_STARTS_PER_PASS
        );
        // Earliest first, in order, within the span.
        assert!(intended.windows(2).all(|w| w[0] <= w[1]));
        assert!(intended[0] >= last && intended[intended.len() - 1] <= last + arrivals.span);
    }

    #[test]
    fn a_pass_starts_what_the_waiting_line_has_room_for() {
        let arrivals = ArrivalSpan {
            last: Instant::now(),
            span: Duration::from_millis(10),
            before: 2.0,
            arrived: 5.0,
        };
        let (first, crossed) = arrivals.whole_arrivals();
        assert_eq!((first, crossed), (3.0, 5));
        let counters = OpenModelCounters::default();
        counters.waiting.store(8, Ordering::Relaxed);
        let mut count = 0;
        start_arrivals(&arrivals, Slice::default(), 10, &counters, |_| count += 1);
        assert_eq!(count, 2);
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 3);
        assert_eq!(counters.waiting.load(Ordering::Relaxed), 10);
        // Nothing crossed: nothing started or dropped.
        let idle = ArrivalSpan {
            arrived: 0.0,
            ..arrivals
        };
        assert_eq!(idle.whole_arrivals().1, 0);
    }

    #[test]
    fn shards_start_exactly_the_single_process_arrivals_between_them() {
        let start = Instant::now();
        let spans: Vec<ArrivalSpan> = [(0.0, 7.3), (7.3, 0.4), (7.7, 12.9), (20.6, 3.0)]
            .iter()
            .enumerate()
            .map(|(i, &(before, arrived))| ArrivalSpan {
                last: start + Duration::from_millis(100 * i as u64),
                span: Duration::from_millis(100),
                before,
                arrived,
            })
            .collect();
        let starts = |slice: Slice| {
            let counters = OpenModelCounters::default();
            let mut at = Vec::new();
            for span in &spans {
                start_arrivals(span, slice, usize::MAX, &counters, |t| at.push(t));
            }
            at
        };
        let whole = starts(Slice::default());
        assert_eq!(whole.len(), 23);
        for count in [2, 3, 5] {
            let mut union: Vec<Instant> = (0..count)
                .filter_map(|i| Slice::new(i, count).ok())
                .flat_map(starts)
                .collect();
            union.sort();
            assert_eq!(union, whole, "{count} shards");
        }
    }
}
