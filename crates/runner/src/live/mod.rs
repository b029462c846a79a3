//! The run's live state, for views that watch it while it goes: the aggregator publishes a
//! [`LiveSnapshot`] once a second (from the statistics it merged, the figures the console and
//! the CSV files show) into a [`LiveState`]; views read the latest one. [`MetricsServer`]
//! serves it to Prometheus (`--metrics`).

mod feed;
pub mod prometheus;
mod server;
mod snapshot;
mod state;

pub use feed::LiveFeed;
pub use server::{MetricsServer, MAX_LINGER};
pub use snapshot::{
    ArrivalCounts, LiveEntry, LiveException, LiveFailure, LiveSnapshot, LiveStep, RunInfo,
    DURATION_BUCKETS,
};
pub use state::LiveState;
