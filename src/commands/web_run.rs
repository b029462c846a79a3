//! The load commands with `--web`: the page's server is started first; `run` without
//! -u/-t/--autostart waits for Start on the page (Locust's default workflow) and builds its
//! experiment from the form; the run is then steered through a [`RunControl`] and its CSV files
//! (a temporary prefix without `--csv`) are what the page offers for download.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use captest_runner::control::RunControl;
use captest_runner::engine::RunReport;
use captest_runner::live::{LiveState, MetricsServer, RunInfo};
use captest_runner::shape::LoadShape;

use super::experiment::Experiment;
use super::load::{finish, OutputArgs};
use crate::web::session::Attached;
use crate::web::{Order, Session, StartForm, WebServer};

/// How a load command builds its experiment: from its flags, or from the page's start form.
pub type Build<'a> = dyn FnMut(Option<&StartForm>) -> anyhow::Result<Experiment> + 'a;

/// Prints what a command adds to the summary of its finished run (`step`'s steps).
pub type Epilogue = fn(&RunReport);

/// Runs a load command's experiment, with the web page when its flags ask for one; `waits`:
/// whether the run waits for Start on the page.
pub fn run_load(
    output: &OutputArgs,
    session: impl FnOnce() -> Session,
    waits: bool,
    build: &mut Build<'_>,
    epilogue: Epilogue,
) -> anyhow::Result<ExitCode> {
    let Some(options) = output.web.options()? else {
        let experiment = build(None)?;
        return run_experiment(experiment, epilogue);
    };
    let session = session();
    // Flags are checked before the page opens (a run that waits has its own checked at Start).
    let experiment = if waits { None } else { Some(build(None)?) };
    let server = WebServer::start(&options, session.clone())?;
    // Even with -q: where the page is, is the one thing to know.
    outln!("web page at http://{}/", server.local_addr());
    let experiment = match experiment {
        Some(experiment) => experiment,
        None => {
            // Prometheus sees the process while it waits (no users, no requests yet).
            let metrics = match output.metrics {
                Some(address) => Some(MetricsServer::start(address, waiting_state(&session))?),
                None => None,
            };
            match (wait_for_start(&session, build), metrics) {
                (Some(experiment), Some(metrics)) => experiment.with_metrics_server(metrics),
                (Some(experiment), None) => experiment,
                (None, metrics) => {
                    if let Some(metrics) = metrics {
                        metrics.stop();
                    }
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    };
    let outcome = run_experiment(experiment.with_web(session.clone()), epilogue);
    session.linger();
    server.stop();
    outcome
}

fn run_experiment(experiment: Experiment, epilogue: Epilogue) -> anyhow::Result<ExitCode> {
    let quiet = experiment.quiet();
    let (report, gates_passed) = experiment.run()?;
    if !quiet {
        epilogue(&report);
    }
    Ok(finish(&report, gates_passed, quiet))
}

/// The live state of a run that waits for Start: the command line's host until the form's.
fn waiting_state(session: &Session) -> LiveState {
    LiveState::new(RunInfo {
        command: session.command.name().to_owned(),
        host: session.defaults.host.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Waits for the page's Start and builds the experiment from its form; a form that does not
/// make one is refused on the page and the wait goes on. `None`: stopped before starting.
fn wait_for_start(session: &Session, build: &mut Build<'_>) -> Option<Experiment> {
    let orders = session.await_start();
    loop {
        match orders.recv() {
            Ok(Order::Start(form, answer)) => match build(Some(&form)) {
                Ok(experiment) => {
                    let _ = answer.send(Ok(()));
                    return Some(experiment);
                }
                Err(error) => {
                    let _ = answer.send(Err(format!("{error:#}")));
                }
            },
            Ok(Order::Quit) | Err(_) => return None,
        }
    }
}

/// The page's hold on a run: its control handle and, without `--csv`, the temporary directory
/// its files are written to for the page's downloads.
#[derive(Debug)]
pub struct Steering {
    /// The run's control handle.
    pub control: RunControl,
    temporary: Option<tempfile::TempDir>,
}

impl Steering {
    /// Attaches the run to `session`: wraps its `shape` with a control handle and gives it a
    /// `csv` prefix if it has none.
    pub fn attach(
        session: &Session,
        state: &LiveState,
        shape: &mut Arc<dyn LoadShape>,
        csv: &mut Option<(PathBuf, bool)>,
    ) -> anyhow::Result<Steering> {
        let control = RunControl::new();
        *shape = control.shape(shape.clone());
        let temporary = match csv {
            Some(_) => None,
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("captest-web-")
                    .tempdir()
                    .context("--web: cannot create a directory for the run's files")?;
                *csv = Some((dir.path().join("run"), false));
                Some(dir)
            }
        };
        let csv_prefix = csv.as_ref().map(|(p, _)| p.clone()).unwrap_or_default();
        session.attach(Attached {
            state: state.clone(),
            control: control.clone(),
            csv_prefix,
        });
        Ok(Steering { control, temporary })
    }

    /// Leaves the temporary files out of the files a run reports as written.
    pub fn forget_temporary(&self, files: &mut Vec<PathBuf>) {
        if let Some(dir) = &self.temporary {
            files.retain(|file| !file.starts_with(dir.path()));
        }
    }
}
