//! Standard output that may close under us: `captest analyze … --json | head -1` or `| true`.
//!
//! Like ripgrep, a closed stdout (EPIPE) is not an error: what is left to print is dropped
//! without a word, no panic, and the command ends as it would have — exit 0 for `analyze`, as
//! ripgrep exits 0; a load run goes on writing its files and a gate keeps its verdict (1 on a
//! regression), so a pipeline's exit status still says what the run found. Any other write error
//! (a full disk under `> out.json`) is reported once at the end as one line, exit 2.
//! [`out!`] and [`outln!`] replace `print!` and `println!`, which panic on a closed stdout.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;

/// The state of stdout: still open, closed by the reader, or failed otherwise (the first error).
static STATE: Mutex<State> = Mutex::new(State::Open);

enum State {
    Open,
    Closed,
    Failed(std::io::Error),
}

/// Writes `args` to stdout and flushes; after a closed pipe or a failure, writes nothing.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut state = STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !matches!(*state, State::Open) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        *state = match error.kind() {
            std::io::ErrorKind::BrokenPipe => State::Closed,
            _ => State::Failed(error),
        };
    }
}

/// The exit code of a command that ended with `code`: 2 and one line when stdout could not be
/// written for another reason than its reader going away.
pub fn finish(code: ExitCode) -> ExitCode {
    let state = STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match &*state {
        State::Failed(error) => {
            eprintln!("error: cannot write to standard output: {error}");
            ExitCode::from(2)
        }
        State::Open | State::Closed => code,
    }
}

/// `print!` that survives a closed stdout (see the module).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*))
    };
}

/// `println!` that survives a closed stdout (see the module).
macro_rules! outln {
    () => {
        $crate::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
