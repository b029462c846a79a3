//! The run's live state: the latest [`LiveSnapshot`], published by the aggregator once a second
//! and read by any number of views (Prometheus, a web page). Reading clones a pointer under a
//! lock held for as long; the workers that send requests never touch it.

use std::sync::{Arc, PoisonError, RwLock};

use super::snapshot::{LiveSnapshot, RunInfo};

#[derive(Debug)]
struct Shared {
    info: RwLock<RunInfo>,
    latest: RwLock<Arc<LiveSnapshot>>,
}

/// A handle on the run's live state: cheap to clone, shared by the aggregator (which publishes)
/// and the views (which read).
#[derive(Debug, Clone)]
pub struct LiveState {
    shared: Arc<Shared>,
}

impl LiveState {
    /// The live state of a run described by `info`, empty until the aggregator publishes.
    pub fn new(info: RunInfo) -> Self {
        LiveState {
            shared: Arc::new(Shared {
                info: RwLock::new(info),
                latest: RwLock::new(Arc::new(LiveSnapshot::default())),
            }),
        }
    }

    /// What does not change while the run lasts.
    pub fn info(&self) -> RunInfo {
        self.shared
            .info
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Describes the run anew: a process that served its views before its run was set up (a
    /// run waiting for Start on its web page) learns its host when the run starts.
    pub fn describe(&self, info: RunInfo) {
        *self
            .shared
            .info
            .write()
            .unwrap_or_else(PoisonError::into_inner) = info;
    }

    /// The latest snapshot (an empty one before the run's first second).
    pub fn snapshot(&self) -> Arc<LiveSnapshot> {
        self.shared
            .latest
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the snapshot (the aggregator, once a second and once at the end).
    pub(crate) fn publish(&self, snapshot: LiveSnapshot) {
        let snapshot = Arc::new(snapshot);
        *self
            .shared
            .latest
            .write()
            .unwrap_or_else(PoisonError::into_inner) = snapshot;
    }
}
