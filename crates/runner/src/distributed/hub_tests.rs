//! The coordinator's bookkeeping without a network: who may register, when a second is merged,
//! and what a lost shard changes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::events::{HubEvent, HubSettings};
use super::exact::ExactF64;
use super::hub::Hub;
use super::meta::{HdrSettings, ShardMeta, ShardPosition, BUNDLE_FORMAT};
use super::record::SecondRecord;
use super::report::{ReportPost, ShardReport};

fn meta(index: usize, count: usize, load: &str) -> ShardMeta {
    ShardMeta {
        format: BUNDLE_FORMAT,
        shard: ShardPosition::One { index, count },
        scenario_hash: "0f".repeat(32),
        load: load.to_owned(),
        hdr: HdrSettings::default(),
        start: ExactF64(1_000.25),
        open_model: false,
        full_history: false,
        event_weights: Vec::new(),
        exceptions: Vec::new(),
        ended: None,
        ended_at: None,
        steps: None,
    }
}

fn hub(output: &std::path::Path, require_all: bool) -> (Hub, Arc<Mutex<Vec<HubEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let told = events.clone();
    let settings = HubSettings {
        expected: meta(0, 2, "run -u 4"),
        output: output.join("merged/run"),
        require_all,
        lost_after: Duration::from_secs(3),
        start_margin: Duration::ZERO,
        progress: None,
        live: None,
        abort: None,
        on_event: Box::new(move |event| {
            told.lock().map(|mut e| e.push(event.clone())).unwrap_or(())
        }),
    };
    (Hub::new(settings, Instant::now()), events)
}

fn post(hub: &mut Hub, shard: usize, report: ShardReport, at: Instant) -> Option<String> {
    hub.report(ReportPost { shard, report }, at)
        .expect("the report is taken")
        .stop
}

fn second(now: i64) -> ShardReport {
    ShardReport::Second(SecondRecord {
        now,
        users: 2,
        last_request: None,
        entries: Vec::new(),
        failures: Vec::new(),
    })
}

#[test]
fn shards_of_another_run_or_size_are_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut hub, _) = hub(dir.path(), false);
    let now = Instant::now();
    let other = hub.register(&meta(0, 2, "run -u 5"), now);
    assert!(other.is_err_and(|e| e.starts_with("not a shard of this run")));
    let size = hub.register(&meta(0, 3, "run -u 4"), now);
    assert!(size.is_err_and(|e| e.contains("expects 2 shards")));
    assert_eq!(hub.start_at(), None);
    assert_eq!(hub.register(&meta(1, 2, "run -u 4"), now), Ok(()));
    assert_eq!(hub.register(&meta(0, 2, "run -u 4"), now), Ok(()));
    assert!(
        hub.start_at().is_some(),
        "every shard registered: a common start"
    );
}

#[test]
fn a_second_is_merged_once_every_running_shard_sent_it_and_a_lost_one_stops_holding_back() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut hub, events) = hub(dir.path(), true);
    let now = Instant::now();
    for index in [0, 1] {
        hub.register(&meta(index, 2, "run -u 4"), now)
            .expect("registered");
        post(
            &mut hub,
            index,
            ShardReport::Started(meta(index, 2, "run -u 4")),
            now,
        );
    }
    post(&mut hub, 0, second(1_001), now);
    assert_eq!(hub.merged_through(), None, "shard 1 has sent nothing yet");
    post(&mut hub, 1, second(1_001), now);
    post(&mut hub, 0, second(1_002), now + Duration::from_secs(2));
    assert_eq!(hub.merged_through(), Some(1_001));
    // Shard 1 goes silent: once lost, shard 0's seconds are merged without it, and with
    // --require-all-shards every shard is told to stop.
    hub.watch(now + Duration::from_secs(2));
    assert_eq!(hub.merged_through(), Some(1_001));
    hub.watch(now + Duration::from_secs(4));
    assert_eq!(hub.merged_through(), Some(1_002));
    assert_eq!(hub.lost(), vec![1]);
    let reason = post(&mut hub, 0, second(1_003), now + Duration::from_secs(4));
    assert_eq!(
        reason.as_deref(),
        Some("shard 1 lost (--require-all-shards)")
    );
    let lost = events
        .lock()
        .map(|e| {
            e.iter()
                .any(|e| matches!(e, HubEvent::Lost { shard: 1, .. }))
        })
        .unwrap_or(false);
    assert!(lost, "the loss is told");
    let refused = hub.report(
        ReportPost {
            shard: 1,
            report: second(1_002),
        },
        now,
    );
    assert!(refused.is_err(), "a lost shard's late reports are refused");
}

#[test]
fn a_signal_before_the_start_gives_the_run_up() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut hub, _) = hub(dir.path(), false);
    hub.register(&meta(0, 2, "run -u 4"), Instant::now())
        .expect("registered");
    assert!(!hub.is_done());
    hub.interrupt("stopped by signal at the coordinator");
    assert!(hub.is_done());
    let error = hub.finish().map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(
        error,
        Err(
            "stopped by signal at the coordinator before every shard registered (1 of 2)"
                .to_owned()
        )
    );
}
