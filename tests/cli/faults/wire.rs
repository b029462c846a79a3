//! Faults on the wire of one response: resets, closes, malformed heads and bodies.

use super::{server_with, LOAD};
use crate::support::faults::{assert_classified, fault_run};

fn classified(fault: &str, kind: &str, error: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = fault_run(&server_with(fault), LOAD, dir.path());
    assert_classified(&run, kind, error);
}

#[test]
fn a_reset_before_the_response_is_a_connection_reset() {
    classified(
        "reset-before-response:0.2",
        "reset-before-response",
        "ConnectionResetError(104, 'Connection reset by peer')",
    );
}

#[test]
fn a_reset_mid_body_on_reused_connections_is_counted_once_and_never_resent() {
    // Most requests go out on kept-alive connections: a reset after part of the answer must
    // not be taken for a stale connection (the server's count equals captest's).
    classified(
        "reset-mid-body:0.2",
        "reset-mid-body",
        "ChunkedEncodingError(\"Connection broken: ConnectionResetError(104",
    );
}

#[test]
fn a_close_without_a_response_is_remote_disconnected() {
    classified(
        "close-without-response:0.2",
        "close-without-response",
        "RemoteDisconnected('Remote end closed connection without response')",
    );
}

#[test]
fn a_malformed_status_line_is_a_bad_status_line() {
    classified(
        "malformed-status:0.2",
        "malformed-status",
        "BadStatusLine('HTTP/1.1 OK 200')",
    );
}

#[test]
fn an_invalid_header_is_an_invalid_header() {
    classified("invalid-header:0.2", "invalid-header", "InvalidHeader(");
}

#[test]
fn a_megabyte_of_headers_is_a_line_too_long() {
    classified(
        "huge-headers:0.2",
        "huge-headers",
        "LineTooLong('got more than 65536 bytes when reading the response head')",
    );
}

#[test]
fn a_truncated_chunked_body_is_a_chunked_encoding_error() {
    classified(
        "truncated-chunked:0.2",
        "truncated-chunked",
        "ChunkedEncodingError('Connection broken: IncompleteRead(chunked body cut short)')",
    );
}

#[test]
fn a_body_shorter_than_its_content_length_is_an_incomplete_read() {
    classified(
        "short-body:0.2",
        "short-body",
        "IncompleteRead(body shorter than its Content-Length)",
    );
}
