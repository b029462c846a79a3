//! The small languages of the command line: `--fail-on`, `--threshold`, `--stop-on` and
//! `--stages`. Any text parses or gives a one-line error message (the input quoted, a newline
//! in it escaped), never a panic.
#![no_main]

use captest_analyze::compare::{FailOn, Threshold};
use captest_format::StopRule;
use captest_runner::shape::Stages;
use libfuzzer_sys::fuzz_target;

fn message<T, E: std::fmt::Display>(result: Result<T, E>) {
    if let Err(error) = result {
        let text = error.to_string();
        assert!(!text.is_empty(), "an empty error message");
        assert!(
            !text.contains('\n'),
            "an error of more than one line: {text}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    message(text.parse::<FailOn>());
    message(text.parse::<Threshold>());
    message(text.parse::<StopRule>());
    message(StopRule::parse_or_default(&[text]));
    message(Stages::parse(text));
});
