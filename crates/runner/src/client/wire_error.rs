//! What can go wrong reading an HTTP/1.1 response, and the failure each is reported as: the
//! exception Python requests (so Locust) raises for the same fault, where it has one.

use crate::metrics::FailureKind;

use super::stream;

/// Where in the response the wire was when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No byte of the response had arrived.
    Waiting,
    /// Part of the head had arrived.
    Head,
    /// The head had arrived; the body was being read.
    Body,
}

/// How a body ended early at a clean close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// Fewer bytes than `Content-Length` said.
    ShortOfLength,
    /// In the middle of the chunked encoding.
    Chunked,
}

/// What went wrong on the wire.
#[derive(Debug)]
pub enum WireError {
    /// The socket failed (a reset, a broken pipe) in `phase`.
    Io(std::io::Error, Phase),
    /// The server closed the connection before a whole head arrived; `started` tells whether
    /// any byte of it had arrived.
    Closed {
        /// Whether part of the response had arrived.
        started: bool,
    },
    /// The server closed the connection before the whole body arrived.
    Truncated(Truncation),
    /// The status line is not HTTP/1.x: the line as received (at most 80 bytes).
    BadStatusLine(String),
    /// A header line is not a header: what is wrong.
    InvalidHeader(String),
    /// The head went on past the client's limit (bytes).
    HeadTooLong(usize),
    /// The chunked encoding is broken: what is wrong.
    BadChunk(String),
}

impl WireError {
    /// The failure Locust would report for this error.
    pub fn failure(&self) -> FailureKind {
        let other = |text: String| FailureKind::Other(text.into());
        match self {
            WireError::Io(io, Phase::Waiting | Phase::Head) => stream::io_failure(io),
            WireError::Io(io, Phase::Body) => other(format!(
                "ChunkedEncodingError(\"Connection broken: {}\")",
                stream::io_failure(io).describe("")
            )),
            WireError::Closed { started: false } => other(
                "RemoteDisconnected('Remote end closed connection without response')".into(),
            ),
            WireError::Closed { started: true } => other(
                "RemoteDisconnected('Remote end closed connection in the middle of the response head')"
                    .into(),
            ),
            WireError::Truncated(Truncation::ShortOfLength) => other(
                "ChunkedEncodingError('Connection broken: IncompleteRead(body shorter than its Content-Length)')"
                    .into(),
            ),
            WireError::Truncated(Truncation::Chunked) => other(
                "ChunkedEncodingError('Connection broken: IncompleteRead(chunked body cut short)')"
                    .into(),
            ),
            WireError::BadStatusLine(line) => {
                other(format!("BadStatusLine({})", crate::locust::py_str_repr(line)))
            }
            WireError::InvalidHeader(what) => {
                other(format!("InvalidHeader({})", crate::locust::py_str_repr(what)))
            }
            WireError::HeadTooLong(limit) => other(format!(
                "LineTooLong('got more than {limit} bytes when reading the response head')"
            )),
            WireError::BadChunk(what) => other(format!(
                "ChunkedEncodingError({})",
                crate::locust::py_str_repr(&format!("Connection broken: InvalidChunkLength({what})"))
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_reads_as_requests_names_it() {
        let reset = || std::io::Error::from_raw_os_error(104);
        for (error, expected) in [
            (
                WireError::Io(reset(), Phase::Waiting),
                "ConnectionResetError(104, 'Connection reset by peer')",
            ),
            (
                WireError::Io(reset(), Phase::Body),
                "ChunkedEncodingError(\"Connection broken: ConnectionResetError(104, 'Connection reset by peer')\")",
            ),
            (WireError::Closed { started: false }, "RemoteDisconnected('Remote end closed connection without response')"),
            (WireError::Truncated(Truncation::ShortOfLength), "IncompleteRead(body shorter than its Content-Length)"),
            (WireError::Truncated(Truncation::Chunked), "ChunkedEncodingError('Connection broken: IncompleteRead(chunked"),
            (WireError::BadStatusLine("HTTP/1.1 OK 200".into()), "BadStatusLine('HTTP/1.1 OK 200')"),
            (WireError::InvalidHeader("invalid header name".into()), "InvalidHeader('invalid header name')"),
            (WireError::HeadTooLong(65536), "LineTooLong('got more than 65536 bytes"),
            (WireError::BadChunk("'zz'".into()), "InvalidChunkLength('zz')"),
        ] {
            let text = error.failure().describe("/");
            assert!(text.contains(expected), "{error:?}: {text}");
        }
    }
}
