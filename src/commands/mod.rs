//! One module per subcommand: its clap arguments and the function that runs it.

pub mod analyze;
pub mod demo;
pub mod demo_server;
pub mod load;
pub mod rate;
pub mod report;
pub mod run;
pub mod step;
