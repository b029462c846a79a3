//! End-to-end tests of the `captest` binary, as one test crate: one binary to build and link
//! instead of one per file. Each module is one area; `support` holds the shared harness. The
//! real Locust runs the tests compare against are in `tests/fixtures/locust`.

mod support;

mod analyze_capacity;
mod analyze_steady;
mod analyze_steps;
mod baseline_spread;
mod cli_edges;
mod compare_captest;
mod compare_gates;
mod compare_locust;
mod compare_stats;
mod compose;
mod config;
mod config_settings;
mod container;
mod coordinator;
mod corrupt_bundles;
mod corrupt_inputs;
mod demo;
mod demo_server;
mod faults;
mod format_contract;
mod gate_bench;
mod golden;
mod hostile_files;
mod hostile_runs;
mod k8s;
mod latency_log;
mod lifecycle;
mod metrics;
mod rate;
mod real_targets;
mod report_chromium;
mod report_render;
mod report_templates;
mod run;
mod run_tables;
mod scenario_errors;
mod scenario_examples;
mod scenario_flows;
mod scenario_weights;
mod shapes;
mod shapes_rate;
mod shards;
mod steady_window;
mod step;
mod stop_rules;
mod web_api;
mod web_chromium;
mod web_steps;
