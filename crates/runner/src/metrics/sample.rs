//! What one measured request reports to the metrics: which entry, how long, how big, and why it
//! failed, if it did. Statistics never see HTTP beyond this.

use std::sync::Arc;
use std::time::Instant;

/// Index of a stats entry (a `(method, name)` pair) in the run's [`EntryRegistry`](super::EntryRegistry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(pub u32);

/// Why a request failed, kept compact and hashable so that counting failures allocates nothing;
/// [`FailureKind::describe`] renders the Locust-style error text once, when files are written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The server answered with a status the task does not accept (by default any status ≥ 400).
    Status(u16),
    /// The connection failed with an OS error (`errno`, e.g. 111 for "connection refused").
    Os(i32),
    /// The request did not complete within its timeout (whole milliseconds): requests'
    /// `ReadTimeout` (a body still arriving at the timeout is one too).
    Timeout(u64),
    /// The request was still in flight when the run stopped and was aborted after the stop
    /// timeout: [`crate::in_flight::RUN_ENDED`].
    RunEnded,
    /// Any other failure, with its text already in the Locust style (e.g. a failed check).
    Other(Arc<str>),
}

/// Python exception class names and messages for the OS errors a load test meets.
fn os_error_repr(errno: i32) -> String {
    let (class, message) = match errno {
        111 => ("ConnectionRefusedError", "Connection refused"),
        104 => ("ConnectionResetError", "Connection reset by peer"),
        103 => ("ConnectionAbortedError", "Software caused connection abort"),
        32 => ("BrokenPipeError", "Broken pipe"),
        110 => ("TimeoutError", "Connection timed out"),
        113 => ("OSError", "No route to host"),
        101 => ("OSError", "Network is unreachable"),
        99 => ("OSError", "Cannot assign requested address"),
        24 => ("OSError", "Too many open files"),
        _ => {
            let text = std::io::Error::from_raw_os_error(errno).to_string();
            let message = text
                .split(" (os error")
                .next()
                .unwrap_or(text.as_str())
                .to_owned();
            return format!("OSError({errno}, {})", crate::locust::py_str_repr(&message));
        }
    };
    format!("{class}({errno}, '{message}')")
}

impl FailureKind {
    /// The error text Locust would write for this failure of a request grouped under `name`
    /// (Locust shows the request name in place of the URL).
    pub fn describe(&self, name: &str) -> String {
        match self {
            FailureKind::Status(code) => {
                let reason = http::StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Unknown");
                let side = if *code >= 500 { "Server" } else { "Client" };
                format!("HTTPError('{code} {side} Error: {reason} for url: {name}')")
            }
            FailureKind::Os(errno) => os_error_repr(*errno),
            FailureKind::Timeout(ms) => {
                format!("ReadTimeout('Read timed out after {ms} ms for url: {name}')")
            }
            FailureKind::RunEnded => crate::in_flight::RUN_ENDED.to_owned(),
            FailureKind::Other(text) => text.to_string(),
        }
    }

    /// The HTTP status of the failure, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FailureKind::Status(code) => Some(*code),
            _ => None,
        }
    }
}

/// One measured request.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The stats entry the request is counted under.
    pub entry: EntryId,
    /// Response time in nanoseconds (from the intended or actual start to the last body byte).
    pub elapsed_ns: u64,
    /// Response body length in bytes (0 when nothing arrived).
    pub content_length: u64,
    /// When the request completed.
    pub finished: Instant,
    /// Why it failed, if it did.
    pub failure: Option<FailureKind>,
    /// Business events the request delivered (0 when it failed or carries none).
    pub events: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_texts_match_locust_wording() {
        assert_eq!(
            FailureKind::Status(404).describe("/item/[id]"),
            "HTTPError('404 Client Error: Not Found for url: /item/[id]')"
        );
        assert_eq!(
            FailureKind::Status(500).describe("/items"),
            "HTTPError('500 Server Error: Internal Server Error for url: /items')"
        );
        assert_eq!(
            FailureKind::Os(111).describe("/api/v1/event"),
            "ConnectionRefusedError(111, 'Connection refused')"
        );
    }
}
