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
use crate::dynamic::UserState;
use crate::signals::ShutdownSignals;
use crate::task::{ClassMix, UserClass};
use crate::user::{execute_step, UserEnvironment};

/// Idle keep-alive connections kept beyond those of the iterations in flight.
const IDLE_SLACK: usize = 32;

/// Longest sleep between two looks at the shape's rate, seconds.
const RATE_RECHECK_S: f64 = 0.01;

/// What the open model counts beyond the requests themselves.
#[derive(Debug, Default)]
pub struct OpenModelCounters {
    /// Iterations started (sent their first request).
    pub started: AtomicU64,
    /// Iterations that could not start: the in-flight limit and the waiting line were full.
    pub dropped: AtomicU64,
    /// Iterations waiting for an in-flight slot right now.
    waiting: AtomicUsize,
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
            let succeeded =
                execute_step(&iteration.env, &mut session, step, &mut state, intended).await;
            if !succeeded && !step.captures.is_empty() {
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
        // Each whole arrival crossed in (last, now], at the time the integral crossed it.
        let mut arrival = before.floor() + 1.0;
        while arrival <= after {
            let intended = last + span.mul_f64((arrival - before) / arrived);
            // A shard starts only its own arrivals of the whole schedule (1-based count).
            if !ctx.slice.takes(arrival as u64 - 1) {
                arrival += 1.0;
                continue;
            }
            if counters.waiting.load(Ordering::Acquire) >= max_in_flight {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
            } else {
                let iteration = Iteration {
                    env: ctx.env.clone(),
                    class: classes[mix.next_class()].clone(),
                    intended,
                    seed: rng.random(),
                };
                counters.waiting.fetch_add(1, Ordering::AcqRel);
                in_flight.spawn(run_iteration(
                    iteration,
                    slots.clone(),
                    pool.clone(),
                    counters.clone(),
                    ctx.active.clone(),
                ));
            }
            arrival += 1.0;
        }
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
