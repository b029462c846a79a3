//! The HTTP/1.1 response reader (status line, headers, Content-Length, chunked and until-close
//! bodies, keep-alive) fed arbitrary bytes by a loopback server: it must end (a whole response or
//! an error) without panicking, and a kept body is as long as the length it reports.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reads = captest_runner::client::fuzzing::http1_responses(data);
    assert!(!reads.is_empty());
});
