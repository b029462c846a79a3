//! A shard's side of a coordinated run (`--coordinator URL`): it registers with the coordinator
//! and starts when every shard has; the coordinator's stop (a step rule on the merged figures, a
//! lost shard with `--require-all-shards`, a signal) ends it as a rule of its own would.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context;
use captest_runner::aggregator::AbortCheck;
use captest_runner::distributed::{CoordinatorLink, ShardMeta};

use super::shard::StartBarrier;

/// How long a shard retries registering with a coordinator that does not listen yet (it may be
/// started after its shards).
pub const REGISTER_PATIENCE: Duration = Duration::from_secs(120);

/// Registers the shard `meta` describes with the coordinator at `url`; returns the link and the
/// barrier of the common start (`grace` late at most, as with `--start-at`).
pub fn join(
    url: &str,
    meta: &ShardMeta,
    grace: Duration,
) -> anyhow::Result<(Arc<CoordinatorLink>, StartBarrier)> {
    let (link, start_at) =
        CoordinatorLink::register(url, meta, REGISTER_PATIENCE).context("--coordinator")?;
    let at = UNIX_EPOCH + Duration::try_from_secs_f64(start_at).unwrap_or_default();
    Ok((Arc::new(link), StartBarrier::new(at, grace)))
}

/// The check run after every second: the coordinator's stop (its stop rules and thresholds are
/// checked on the merged figures, not on the shard's share).
pub fn abort_check(link: Arc<CoordinatorLink>) -> AbortCheck {
    AbortCheck(Arc::new(move |_| link.stop_reason()))
}

/// Warns when the coordinator was given up on mid-run: the shard's bundle keeps everything.
pub fn warn_if_lost(link: &CoordinatorLink, bundle: Option<&std::path::Path>) {
    if let Some(reason) = link.lost() {
        let bundle = bundle.map(|p| p.display().to_string()).unwrap_or_default();
        eprintln!(
            "warning: coordinator {} unreachable ({reason}); this shard went on alone and its bundle {bundle} keeps every second: merge it with `captest merge`",
            link.url()
        );
    }
}
