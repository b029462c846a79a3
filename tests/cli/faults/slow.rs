//! Answers that never end or end too late: an endless body, slowloris and a 10 GiB body are
//! read (and dropped) until `--timeout`, then a ReadTimeout; memory stays bounded.

use super::{server_with, LOAD};
use crate::support::faults::{assert_classified, fault_run};
use crate::support::scenario::write;

const TIMEOUT: &str = "ReadTimeout('Read timed out after 1000 ms for url: /items')";

#[test]
fn an_endless_body_is_read_until_the_timeout_then_a_read_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = fault_run(&server_with("endless-body:0.05"), LOAD, dir.path());
    assert_classified(&run, "endless-body", TIMEOUT);
}

#[test]
fn a_slowloris_answer_is_a_read_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = fault_run(&server_with("slowloris:0.05"), LOAD, dir.path());
    assert_classified(&run, "slowloris", TIMEOUT);
}

#[test]
fn a_ten_gib_body_a_check_reads_is_kept_up_to_max_body_and_streamed() {
    // The check needs the body: only --max-body bytes of it are kept, the rest (about 100 MB
    // per request before the timeout) is read and dropped.
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "check.toml",
        "[[users]]\nname = \"Reader\"\nwait = { constant = \"10ms\" }\n[[users.tasks]]\n\
         [[users.tasks.requests]]\npath = \"/items\"\ncontains = \"items\"\n",
    );
    let scenario = scenario.to_str().expect("utf-8");
    let load = [
        scenario,
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "5s",
        "-q",
        "--max-body",
        "1048576",
    ];
    let run = fault_run(&server_with("huge-body:0.05"), &load, dir.path());
    assert_classified(&run, "huge-body", TIMEOUT);
}
