//! One module per subcommand: its clap arguments and the function that runs it.

pub mod analyze;
pub mod baseline;
pub mod check;
pub mod client_flags;
pub mod compare;
pub mod console;
pub mod coordinated;
pub mod coordinator;
pub mod demo;
pub mod demo_server;
pub mod experiment;
pub mod gate;
pub mod k8s;
pub mod live_gates;
pub mod load;
pub mod merge;
pub mod output_paths;
pub mod rate;
pub mod report;
pub mod run;
pub mod shard;
pub mod staging;
pub mod step;
pub mod store;
pub mod verdict;
pub mod web_run;
