//! The closed model: a number of users, each sending its next request when the previous one
//! finished (plus its wait). Users are started at the spawn rate and stopped newest first.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::{ScheduleContext, StopCause};
use crate::signals::ShutdownSignals;
use crate::task::ClassMix;
use crate::user::{run_user, StopSignal};

/// Most users one pass starts; the rest wait for the next pass, right after the time limit and
/// signals were looked at (`-u 1000000 -r 1000000` starts a million users; one pass starting
/// them all would hold the run for seconds past `-t`).
const MAX_STARTS_PER_PASS: usize = 10_000;

/// A running user.
#[derive(Debug)]
pub struct RunningUser {
    stop: Arc<StopSignal>,
    handle: JoinHandle<()>,
}

/// Starts and stops users to follow the shape until the run ends. Returns why, and every user
/// still running or still finishing its last request.
pub async fn schedule_users(
    ctx: &ScheduleContext,
    spawn_rate: f64,
    signals: &mut ShutdownSignals,
) -> (StopCause, Vec<(Arc<StopSignal>, JoinHandle<()>)>) {
    let mut mix = ClassMix::new(&ctx.scenario);
    let mut running: Vec<RunningUser> = Vec::new();
    let mut retiring: Vec<RunningUser> = Vec::new();
    let mut next_spawn = ctx.started;
    // Whether users were being started when the loop last woke: a new ramp starts its spawn
    // clock now; a ramp in progress keeps it, starting every user it is late for (a timer wakes
    // about once a millisecond, so `-r 2000` needs two or more users per wake).
    let mut ramping = false;
    let cause = loop {
        let now = Instant::now();
        // Read on every pass: a run's control handle may change them (`crate::control`).
        let rate = ctx.shape.spawn_rate().unwrap_or(spawn_rate);
        let spawn_interval = Duration::from_secs_f64(1.0 / rate);
        let immediate = ctx.shape.sets_its_own_pace();
        let wanted = match ctx.level_or_stop(now) {
            Ok(level) => level.round().max(0.0) as usize,
            Err(cause) => break cause,
        };
        // Whether this pass stopped at MAX_STARTS_PER_PASS with users still due.
        let capped = if running.len() < wanted {
            if !ramping && next_spawn < now {
                next_spawn = now;
            }
            ramping = true;
            let mut started = 0;
            while running.len() < wanted
                && (immediate || next_spawn <= now)
                && started < MAX_STARTS_PER_PASS
            {
                started += 1;
                let class = Arc::new(ctx.scenario.classes[mix.next_class()].clone());
                let stop = Arc::new(StopSignal::default());
                let handle = tokio::spawn(run_user(ctx.env.clone(), class, stop.clone()));
                running.push(RunningUser { stop, handle });
                next_spawn += spawn_interval;
            }
            started == MAX_STARTS_PER_PASS
        } else {
            ramping = false;
            while running.len() > wanted {
                if let Some(user) = running.pop() {
                    user.stop.stop();
                    retiring.push(user);
                }
            }
            false
        };
        retiring.retain(|u| !u.handle.is_finished());
        ctx.active.store(running.len(), Ordering::Relaxed);
        let next_event = if capped {
            Some(now)
        } else {
            (running.len() < wanted).then_some(next_spawn)
        };
        let wake = ctx.wake_at(now, next_event);
        tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = signals.recv() => break StopCause::Signal,
        }
    };
    let users = running
        .into_iter()
        .chain(retiring)
        .map(|u| (u.stop, u.handle))
        .collect();
    (cause, users)
}
