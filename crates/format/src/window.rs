//! The steady window, defined once: which rows of a history the honest figures of `analyze`,
//! `compare` and `report` are taken over, and which the pandas recipe's figures are.
//!
//! For a warmup `W`, with `min` the smallest Timestamp of the file:
//! - the **recipe rows** are the rows stamped strictly after `min + W`, to the end of the file
//!   (`df[df['Timestamp'] > df['Timestamp'].min() + W]`, the seed recipe as written);
//! - the **window** is the recipe rows up to the last Aggregated row with users running
//!   (`User Count` > 0): the rows after it, stamped after the users stopped (captest's final,
//!   partial second, and any ramp-down with no user left), are not whole seconds of load and are
//!   left out. A history whose rows all have 0 users (an open-model run whose samples saw no
//!   iteration in flight) keeps every row.
//!
//! The rule reads a row through [`WindowRow`] (its Timestamp and its User Count), so any reader's
//! rows can be windowed without a copy of the rule.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The time left out at the start of a run, parsed once (`--warmup 30s`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Warmup(Duration);

/// A warmup that is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?}: expected a duration like 30s, 5m or 1h30m ({reason})")]
pub struct WarmupError {
    /// The text as given.
    pub text: String,
    /// Why it is not a duration.
    pub reason: String,
}

impl Warmup {
    /// No warmup: the window starts after the first row.
    pub const ZERO: Warmup = Warmup(Duration::ZERO);

    /// A warmup of `duration`.
    pub const fn new(duration: Duration) -> Warmup {
        Warmup(duration)
    }

    /// The warmup as a duration.
    pub fn duration(self) -> Duration {
        self.0
    }

    /// The warmup in seconds.
    pub fn seconds(self) -> f64 {
        self.0.as_secs_f64()
    }

    /// Whether nothing is left out.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl From<Duration> for Warmup {
    fn from(duration: Duration) -> Warmup {
        Warmup(duration)
    }
}

impl FromStr for Warmup {
    type Err = WarmupError;

    /// Parses a duration such as `30s`, `1m` or `1m30s`.
    fn from_str(text: &str) -> Result<Warmup, WarmupError> {
        humantime::parse_duration(text.trim())
            .map(Warmup)
            .map_err(|e| WarmupError {
                text: text.to_owned(),
                reason: e.to_string(),
            })
    }
}

impl fmt::Display for Warmup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A row of a `_stats_history.csv` as the window rule sees it.
pub trait WindowRow {
    /// The row's Timestamp, unix seconds.
    fn timestamp(&self) -> f64;
    /// The row's User Count (read on Aggregated rows only).
    fn user_count(&self) -> f64;
}

/// The steady window of one history for one warmup: rows stamped in `(after, until]`; built once
/// per history ([`SteadyWindow::of_history`]) and used by every figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteadyWindow {
    /// The warmup it was built for.
    pub warmup: Warmup,
    /// The file's first Timestamp plus the warmup, unix seconds: rows stamped at or before it are
    /// left out.
    pub after: f64,
    /// The last Aggregated row with users running, unix seconds (the last row when none has
    /// users): rows stamped after it are left out of the honest figures.
    pub until: f64,
}

impl SteadyWindow {
    /// The window of a history whose smallest Timestamp is `start`, whose Aggregated rows are
    /// `aggregated` (in time order), for `warmup`.
    pub fn of_history<R: WindowRow>(aggregated: &[R], start: f64, warmup: Warmup) -> SteadyWindow {
        let last_running = aggregated.iter().rev().find(|r| r.user_count() > 0.0);
        let until = last_running
            .or(aggregated.last())
            .map_or(f64::INFINITY, |r| r.timestamp());
        SteadyWindow::new(start, warmup, until)
    }

    /// The window after `start + warmup` up to `until` (unix seconds).
    pub fn new(start: f64, warmup: Warmup, until: f64) -> SteadyWindow {
        SteadyWindow {
            warmup,
            after: start + warmup.seconds(),
            until,
        }
    }

    /// Whether a row stamped `timestamp` is a recipe row (strictly after the warmup).
    #[inline(always)]
    pub fn is_after_warmup(&self, timestamp: f64) -> bool {
        timestamp > self.after
    }

    /// Whether a row stamped `timestamp` is in the window.
    #[inline(always)]
    pub fn contains_time(&self, timestamp: f64) -> bool {
        timestamp > self.after && timestamp <= self.until
    }

    /// Whether `row` is in the window.
    pub fn contains<R: WindowRow>(&self, row: &R) -> bool {
        self.contains_time(row.timestamp())
    }

    /// The rows of `rows` (one entry's, in time order) in the window.
    pub fn rows<'a, R: WindowRow>(&self, rows: &'a [R]) -> &'a [R] {
        let recipe = self.recipe_rows(rows);
        &recipe[..recipe.partition_point(|r| r.timestamp() <= self.until)]
    }

    /// The recipe rows of `rows` (one entry's, in time order): strictly after the warmup, to the
    /// end.
    pub fn recipe_rows<'a, R: WindowRow>(&self, rows: &'a [R]) -> &'a [R] {
        &rows[rows.partition_point(|r| r.timestamp() <= self.after)..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row stamped `.0` with `.1` users.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Row(f64, f64);

    impl WindowRow for Row {
        fn timestamp(&self) -> f64 {
            self.0
        }
        fn user_count(&self) -> f64 {
            self.1
        }
    }

    #[test]
    fn the_window_is_strictly_after_the_warmup_and_ends_with_the_last_users() {
        // A captest-like history: 0 users at the start, 4 users, then a partial row with 0.
        let rows: Vec<Row> = (0..8)
            .map(|t| {
                Row(
                    100.0 + t as f64,
                    if (1..7).contains(&t) { 4.0 } else { 0.0 },
                )
            })
            .collect();
        let window = SteadyWindow::of_history(&rows, 100.0, "2s".parse().expect("warmup"));
        assert_eq!((window.after, window.until), (102.0, 106.0));
        let stamps = |rows: &[Row]| rows.iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(stamps(window.rows(&rows)), [103.0, 104.0, 105.0, 106.0]);
        assert_eq!(
            stamps(window.recipe_rows(&rows)),
            [103.0, 104.0, 105.0, 106.0, 107.0]
        );
        assert!(!window.contains(&rows[2]) && window.contains(&rows[3]));
        assert!(!window.contains(&rows[7]));
        // No row with users: every row is kept.
        let idle: Vec<Row> = (0..4).map(|t| Row(t as f64, 0.0)).collect();
        let window = SteadyWindow::of_history(&idle, 0.0, Warmup::ZERO);
        assert_eq!(window.rows(&idle).len(), 3);
        // No row at all: the window has no end.
        let window = SteadyWindow::of_history::<Row>(&[], 0.0, Warmup::ZERO);
        assert_eq!(window.until, f64::INFINITY);
    }

    #[test]
    fn a_warmup_is_parsed_once_and_said_back() {
        let warmup: Warmup = "1m30s".parse().expect("duration");
        assert_eq!(warmup.seconds(), 90.0);
        assert_eq!(warmup.to_string(), "1m 30s");
        let error = "soon".parse::<Warmup>().expect_err("not a duration");
        assert!(error
            .to_string()
            .starts_with("\"soon\": expected a duration like 30s"));
        assert_eq!(error.text, "soon");
    }
}
