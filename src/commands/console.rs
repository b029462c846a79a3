//! The terminal side of a run: the live view and write errors while it goes ([`Terminal`]), and
//! the summary once it is over ([`print_summary`]). The runner only hands these over.

use captest_runner::console::final_summary;
use captest_runner::engine::RunReport;
use captest_runner::error::RunnerError;
use captest_runner::in_flight::RUN_ENDED;
use captest_runner::metrics::FailureKind;
use captest_runner::progress::{Progress, ProgressSink};

/// Prints the live view to stdout and write errors to stderr as they happen (a warning: the run's
/// one error line comes at its end, after its figures).
pub struct Terminal;

impl Progress for Terminal {
    fn live(&mut self, view: &str) {
        out!("{view}");
    }

    fn write_failed(&mut self, error: &RunnerError) {
        eprintln!("warning: {error}; the run goes on, its figures are reported at the end");
    }
}

/// The run's progress sink: the terminal, or nothing with `-q` (write errors still reach the
/// end of the run as its error).
pub fn progress(quiet: bool) -> Option<ProgressSink> {
    (!quiet).then(|| ProgressSink(Box::new(Terminal)))
}

/// Requests aborted in flight when the run stopped (counted as [`RUN_ENDED`] failures).
fn run_ended(report: &RunReport) -> u64 {
    report
        .stats
        .failures()
        .filter(|f| f.kind == FailureKind::RunEnded)
        .map(|f| f.occurrences)
        .sum()
}

/// Prints the final table, why the run stopped, the protocol and, for arrival rates, the
/// iterations; warnings about dropped iterations and about requests aborted in flight even with
/// `-q` (the offered rate was not met, the target did not answer: that changes what the figures
/// mean), and one about template errors (a scenario mistake).
pub fn print_summary(report: &RunReport, quiet: bool) {
    let aborted = run_ended(report);
    if aborted > 0 {
        eprintln!(
            "warning: {aborted} requests still in flight when the run stopped (after --stop-timeout) were aborted and counted as failures: {RUN_ENDED}"
        );
    }
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
    out!("{}", final_summary(&report.stats, report.elapsed));
    outln!("Stopped: {}", report.stop_cause);
    if let Some(protocol) = &report.protocol {
        outln!("Protocol: {protocol}");
    }
    if report.open_model {
        outln!(
            "Iterations: {} started, {} dropped (in-flight limit and waiting line full)",
            report.iterations_started,
            report.iterations_dropped
        );
    }
}
