//! Requests still in flight when a run stops: a user stopped at the end of the run gets
//! `--stop-timeout` to finish its request; one that has not by then is aborted, and its request
//! is counted as a failure of its own kind, [`RUN_ENDED`] — it reached the target (or was on its
//! way) and must not vanish from the counts.

use std::time::{Duration, Instant};

use tokio::task::{JoinHandle, JoinSet};

use crate::metrics::{EntryId, FailureKind, Recorder, Sample};

/// The error text of a request still in flight when the run stopped.
pub const RUN_ENDED: &str = "RunEnded('request in flight when the run stopped')";

/// A request on its way: recorded as [`RUN_ENDED`] if dropped (its task aborted) before
/// [`InFlight::landed`] is called.
#[derive(Debug)]
pub struct InFlight<'a> {
    recorder: &'a Recorder,
    entry: EntryId,
    started: Instant,
    landed: bool,
}

impl<'a> InFlight<'a> {
    /// A request of `entry` sent (or timed) from `started`.
    pub fn new(recorder: &'a Recorder, entry: EntryId, started: Instant) -> Self {
        InFlight {
            recorder,
            entry,
            started,
            landed: false,
        }
    }

    /// The request ended (answered or failed): its own sample counts it.
    pub fn landed(mut self) {
        self.landed = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.landed || std::thread::panicking() {
            return;
        }
        let finished = Instant::now();
        self.recorder.record(Sample {
            entry: self.entry,
            elapsed_ns: finished.saturating_duration_since(self.started).as_nanos() as u64,
            content_length: 0,
            finished,
            failure: Some(FailureKind::RunEnded),
            events: 0.0,
        });
    }
}

/// How long aborted users and iterations get to be dropped (and count what they had in flight).
const ABORT_GRACE: Duration = Duration::from_secs(1);

/// Aborts the users still running (each counts the request it is in as [`RUN_ENDED`] when
/// dropped) and waits for the aborts to land, so those samples are in before the run's last
/// figures.
pub async fn abort_users(handles: Vec<JoinHandle<()>>) {
    let left: Vec<_> = handles.into_iter().filter(|h| !h.is_finished()).collect();
    left.iter().for_each(JoinHandle::abort);
    let _ = tokio::time::timeout(ABORT_GRACE, async {
        for handle in left {
            let _ = handle.await;
        }
    })
    .await;
}

/// Aborts the open model's iterations still running, as [`abort_users`] does users.
pub async fn abort_iterations(iterations: &mut JoinSet<()>) {
    iterations.abort_all();
    let _ = tokio::time::timeout(ABORT_GRACE, async {
        while iterations.join_next().await.is_some() {}
    })
    .await;
}

/// Waits for in-flight work to end by itself within `stop_timeout` (or until a second signal),
/// then returns so that the caller aborts what is left.
pub(crate) async fn drain<F: std::future::Future<Output = ()>>(
    all_done: F,
    stop_timeout: std::time::Duration,
    signals: &mut crate::signals::ShutdownSignals,
) {
    tokio::select! {
        _ = all_done => {}
        _ = tokio::time::sleep(stop_timeout) => {}
        _ = signals.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Shard;

    #[test]
    fn a_request_dropped_in_flight_is_a_run_ended_failure_and_a_landed_one_is_not() {
        let recorder = Recorder::new();
        InFlight::new(&recorder, EntryId(0), Instant::now()).landed();
        drop(InFlight::new(&recorder, EntryId(1), Instant::now()));
        let mut shards: Vec<Shard> = Vec::new();
        recorder.drain(&mut shards);
        let failures: Vec<_> = shards.iter().flat_map(|s| s.failures.keys()).collect();
        assert_eq!(failures, vec![&(EntryId(1), FailureKind::RunEnded)]);
        let requests: u64 = shards
            .iter()
            .flat_map(|s| s.entries.iter())
            .map(|e| e.requests)
            .sum();
        assert_eq!(requests, 1, "a landed request is its caller's to record");
    }
}
