//! The terminal side of a run: the live view and write errors while it goes ([`Terminal`]), and
//! the summary once it is over ([`print_summary`]). The runner only hands these over.

use captest_runner::console::final_summary;
use captest_runner::engine::RunReport;
use captest_runner::error::RunnerError;
use captest_runner::progress::{Progress, ProgressSink};

/// Prints the live view to stdout and write errors to stderr.
pub struct Terminal;

impl Progress for Terminal {
    fn live(&mut self, view: &str) {
        print!("{view}");
    }

    fn write_failed(&mut self, error: &RunnerError) {
        eprintln!("error: {error}");
    }
}

/// The run's progress sink: the terminal, or nothing with `-q` (write errors still reach the
/// end of the run as its error).
pub fn progress(quiet: bool) -> Option<ProgressSink> {
    (!quiet).then(|| ProgressSink(Box::new(Terminal)))
}

/// Prints the final table, why the run stopped, the protocol and, for arrival rates, the
/// iterations; a warning about dropped iterations even with `-q` (the offered rate was not met,
/// which changes what the figures mean), and one about template errors (a scenario mistake).
pub fn print_summary(report: &RunReport, quiet: bool) {
    if report.iterations_dropped > 0 {
        eprintln!(
            "warning: {} iterations dropped (of {} due): the in-flight limit (--max-in-flight) and its waiting line were full, or captest could not start them on time, so the offered rate was not met",
            report.iterations_dropped,
            report.iterations_started + report.iterations_dropped
        );
    }
    let exceptions = report.stats.exceptions();
    if let Some(first) = exceptions.first() {
        let total: u64 = exceptions.iter().map(|e| e.count).sum();
        eprintln!(
            "warning: {total} template errors (nothing sent, not counted as requests; listed in _exceptions.csv), first: {}: {}",
            first.traceback, first.message
        );
    }
    if quiet {
        return;
    }
    print!("{}", final_summary(&report.stats, report.elapsed));
    println!("Stopped: {}", report.stop_cause);
    if let Some(protocol) = &report.protocol {
        println!("Protocol: {protocol}");
    }
    if report.open_model {
        println!(
            "Iterations: {} started, {} dropped (in-flight limit and waiting line full)",
            report.iterations_started, report.iterations_dropped
        );
    }
}
