//! The live views of a run (`--metrics`, `--web`): the live state they read, opened before the
//! run's first request and closed once its files are written.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use captest_runner::live::{LiveState, MetricsServer, RunInfo};
use captest_runner::shape::LoadShape;

use super::web_run::Steering;
use crate::web::Session;

/// The views asked for besides the command's flags.
#[derive(Debug, Default)]
pub struct LiveViews {
    /// The web page that shows (and steers) the run.
    pub web: Option<Session>,
    /// A `--metrics` server already serving: started while a run waited for Start on its page,
    /// so that Prometheus sees the process (no users yet) before the run.
    pub metrics: Option<MetricsServer>,
}

/// A run's views, open.
#[derive(Debug)]
pub struct OpenViews {
    /// The live state the views read (`None` without a view).
    pub state: Option<LiveState>,
    /// The web page's hold on the run.
    pub steering: Option<Steering>,
    metrics: Option<MetricsServer>,
}

impl LiveViews {
    /// Opens the views of a run described by `info`: the live state, the `--metrics` server at
    /// `metrics` (or the one already serving), and the web page's hold on the run (which
    /// wraps its `shape` and, without `--csv`, gives it a temporary `csv` prefix).
    pub fn open(
        self,
        info: RunInfo,
        metrics: Option<SocketAddr>,
        shape: &mut Arc<dyn LoadShape>,
        csv: &mut Option<(PathBuf, bool)>,
    ) -> anyhow::Result<OpenViews> {
        let state = match &self.metrics {
            Some(server) => {
                server.state().describe(info);
                Some(server.state().clone())
            }
            None => (metrics.is_some() || self.web.is_some()).then(|| LiveState::new(info)),
        };
        let metrics = match (self.metrics, metrics, &state) {
            (Some(server), _, _) => Some(server),
            (None, Some(address), Some(state)) => {
                Some(MetricsServer::start(address, state.clone())?)
            }
            _ => None,
        };
        let steering = match (&self.web, &state) {
            (Some(session), Some(state)) => Some(Steering::attach(session, state, shape, csv)?),
            _ => None,
        };
        Ok(OpenViews {
            state,
            steering,
            metrics,
        })
    }
}

impl OpenViews {
    /// Closes the views once the run's files are written (the `--metrics` server waits for a
    /// regular scraper to take the final figures).
    pub fn close(self) {
        if let Some(server) = self.metrics {
            server.stop();
        }
    }
}
