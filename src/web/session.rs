//! What the web page shows and steers: the run once it is attached (its live state, control
//! handle and files), the history of the charts (one point per second the aggregator
//! published), and, before a `run` started from the page, the way to start it.

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use captest_runner::control::RunControl;
use captest_runner::live::{LiveSnapshot, LiveState};
use tokio::sync::oneshot;

/// The command whose run the page shows: it decides which controls the page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadCommand {
    /// Users (closed model): change users and spawn rate.
    Run,
    /// Step load: stop only (the steps are the experiment).
    Step,
    /// Arrival rate (open model): change the offered rate.
    Rate,
}

impl LoadCommand {
    /// The command's name.
    pub fn name(self) -> &'static str {
        match self {
            LoadCommand::Run => "run",
            LoadCommand::Step => "step",
            LoadCommand::Rate => "rate",
        }
    }
}

/// The start form's values (Locust's "Start new load test").
#[derive(Debug, Clone, PartialEq)]
pub struct StartForm {
    /// Users to run.
    pub users: usize,
    /// Users started per second.
    pub spawn_rate: f64,
    /// The target's base URL (empty: the command line's).
    pub host: String,
}

/// What the page asks of a `run` waiting for Start.
#[derive(Debug)]
pub enum Order {
    /// Start with these values; the answer says whether the run could be set up.
    Start(StartForm, oneshot::Sender<Result<(), String>>),
    /// Stop before starting: end without a run.
    Quit,
}

/// One second of the charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Seconds since the run started.
    pub t: f64,
    /// Current requests and failures per second.
    pub rps: f64,
    /// Current failures per second.
    pub failures_per_s: f64,
    /// Current p50, p95, p99 (ms), once there are requests.
    pub percentiles_ms: Option<[u64; 3]>,
    /// Users running.
    pub users: usize,
    /// The offered rate (open model).
    pub offered_rate: Option<f64>,
}

impl Point {
    fn of(snapshot: &LiveSnapshot) -> Point {
        let (rps, failures_per_s) = snapshot
            .total
            .as_ref()
            .map_or((0.0, 0.0), |t| (t.current_rps, t.current_fail_per_sec));
        Point {
            t: snapshot.elapsed_seconds,
            rps,
            failures_per_s,
            percentiles_ms: snapshot.current_percentiles_ms,
            users: snapshot.users,
            offered_rate: snapshot.arrivals.map(|a| a.offered_rate),
        }
    }
}

/// The run the page shows, once it started.
#[derive(Debug, Clone)]
pub struct Attached {
    /// Its live state.
    pub state: LiveState,
    /// Its control handle.
    pub control: RunControl,
    /// The prefix its CSV files are written under.
    pub csv_prefix: PathBuf,
}

#[derive(Debug, Default)]
struct Inner {
    attached: Option<Attached>,
    orders: Option<mpsc::Sender<Order>>,
    history: Vec<Point>,
    /// When a page last read `/api/stats`, and whether it has read the run's final figures.
    last_poll: Option<Instant>,
    final_polled: bool,
}

/// A page that polled this recently is watching: the server waits for it to read the end.
const WATCHING: Duration = Duration::from_secs(3);
/// The longest the server waits for a watching page to read the run's final figures.
const MAX_LINGER: Duration = Duration::from_secs(2);

/// The page's shared state: cheap to clone, shared by the CLI and the server's thread.
#[derive(Debug, Clone)]
pub struct Session {
    /// The command the run belongs to.
    pub command: LoadCommand,
    /// The start form's initial values (the command line's).
    pub defaults: StartForm,
    inner: Arc<Mutex<Inner>>,
}

impl Session {
    /// A session for `command`'s run, with the start form's initial values.
    pub fn new(command: LoadCommand, defaults: StartForm) -> Session {
        Session {
            command,
            defaults,
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for Start on the page: the receiver of the page's orders.
    pub fn await_start(&self) -> mpsc::Receiver<Order> {
        let (send, receive) = mpsc::channel();
        self.lock().orders = Some(send);
        receive
    }

    /// The sender of orders while the run waits for Start.
    pub fn orders(&self) -> Option<mpsc::Sender<Order>> {
        let inner = self.lock();
        match inner.attached {
            Some(_) => None,
            None => inner.orders.clone(),
        }
    }

    /// Shows `run` from now on.
    pub fn attach(&self, run: Attached) {
        let mut inner = self.lock();
        inner.attached = Some(run);
        inner.orders = None;
    }

    /// The run, once attached.
    pub fn attached(&self) -> Option<Attached> {
        self.lock().attached.clone()
    }

    /// Adds the latest snapshot's second to the history if it is a new one.
    pub fn sample(&self) {
        let Some(run) = self.attached() else {
            return;
        };
        let snapshot = run.state.snapshot();
        if snapshot.total.is_none() {
            return;
        }
        let point = Point::of(&snapshot);
        let mut inner = self.lock();
        let new = inner
            .history
            .last()
            .is_none_or(|last| point.t > last.t + 0.5);
        if new || snapshot.is_final() {
            if !new {
                inner.history.pop();
            }
            inner.history.push(point);
        }
    }

    /// The history so far.
    pub fn history(&self) -> Vec<Point> {
        self.lock().history.clone()
    }

    /// How many points the history holds.
    pub fn history_len(&self) -> usize {
        self.lock().history.len()
    }

    /// Notes that a page read `/api/stats` (`final_figures`: the run's last snapshot).
    pub fn note_poll(&self, final_figures: bool) {
        let mut inner = self.lock();
        inner.last_poll = Some(Instant::now());
        inner.final_polled |= final_figures;
    }

    /// Once the run ended: if a page is watching, waits (at most [`MAX_LINGER`]) until it has
    /// read the final figures, so that it shows how the run ended.
    pub fn linger(&self) {
        let started = Instant::now();
        while started.elapsed() < MAX_LINGER {
            {
                let inner = self.lock();
                let watching = inner.last_poll.is_some_and(|t| t.elapsed() < WATCHING);
                if inner.final_polled || !watching {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
