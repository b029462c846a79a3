//! captest runner: scenarios of weighted user flows, load shapes, the HTTP engine, metrics with
//! Locust's semantics, Locust-compatible CSV writers, and the demo target server.
//!
//! Data flows one way: [`task::Scenario`] and a [`shape::LoadShape`] go into
//! [`engine::run_experiment`]; users record [`metrics::Sample`]s into per-thread shards; the
//! aggregator merges them each second into [`metrics::RunStats`] and the [`sink`]s write
//! `PREFIX_stats.csv`, `_stats_history.csv`, `_failures.csv`, `_exceptions.csv` and `_latency.hdr`.

pub mod aggregator;
pub mod background;
pub mod client;
pub mod coding;
pub mod console;
pub mod control;
pub mod demo_server;
pub mod distributed;
pub mod dynamic;
pub mod engine;
pub mod error;
pub mod in_flight;
pub mod live;
pub mod locust;
pub mod metrics;
pub mod progress;
pub mod scenario;
pub mod scheduler;
pub mod shape;
pub mod signals;
pub mod sink;
pub mod steps;
pub mod task;
pub mod user;

pub use error::RunnerError;
