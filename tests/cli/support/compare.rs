//! Helpers shared by the `captest compare`, `check` and `baseline` end-to-end tests.

use super::{locust_dir, run_captest};

/// The file prefix of the real Locust run `run` (e.g. `baseline`).
pub fn locust(run: &str) -> String {
    locust_dir()
        .join(run)
        .join(run)
        .to_str()
        .expect("utf-8")
        .to_owned()
}

/// `captest ARGS --json`: its exit code and the JSON it printed.
pub fn gate(args: &[&str]) -> (i32, serde_json::Value) {
    let output = run_captest(&[args, &["--json"]].concat());
    let code = output.status.code().expect("an exit code");
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(&output.stderr)));
    (code, json)
}
