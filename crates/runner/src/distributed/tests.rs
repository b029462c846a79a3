//! Exactness: samples split among shards at random, each shard's bundle written by the real
//! aggregator, merged — every file byte-identical to one aggregator fed every sample.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::aggregator::{Aggregator, AggregatorSettings};
use crate::metrics::{
    EntryRegistry, FailureKind, Recorder, RequestKey, RunClock, RunStats, Sample,
};

const SECONDS: u64 = 25;
const KEYS: [(&str, &str); 4] = [
    ("GET", "/items"),
    ("POST", "/items"),
    ("GET", "/item/[id]"),
    ("GET", "/events"),
];

/// One aggregator (a process) writing under `prefix`, with its recorder and users counter.
struct Process {
    aggregator: Aggregator,
    recorder: Recorder,
    registry: EntryRegistry,
    users: Arc<AtomicUsize>,
}

fn meta(slice: Slice) -> ShardMeta {
    ShardMeta {
        format: BUNDLE_FORMAT,
        shard: ShardPosition::One {
            index: slice.index(),
            count: slice.count(),
        },
        scenario_hash: "0f".repeat(32),
        load: "run -u 40 -r 40 -t 25s".to_owned(),
        hdr: HdrSettings::default(),
        start: ExactF64(0.0),
        open_model: false,
        full_history: true,
        event_weights: vec![EventWeight {
            method: "GET".to_owned(),
            name: "/events".to_owned(),
            weight: ExactF64(2.0),
        }],
        exceptions: Vec::new(),
        ended: None,
        ended_at: None,
        steps: Some(plan()),
    }
}

/// Five steps of 5 s (10, 20, … users), with rules that may fire on the random figures.
fn plan() -> StepPlan {
    StepPlan {
        start: 10.0,
        step: 10.0,
        every: ExactF64(5.0),
        max_level: None,
        max_steps: Some(5),
        settle: ExactF64(1.0),
        rules: vec!["errors>5%".to_owned(), "rps-growth<5%".to_owned()],
    }
}

/// The step tracker of `plan` for a run that started at `start`.
fn tracker(start: f64) -> crate::steps::StepTracker {
    let (shape, settings) = plan().parts().expect("a valid plan");
    crate::steps::StepTracker::new(
        Arc::new(shape),
        start,
        settings.settle,
        settings.rules,
        Arc::new(crate::steps::StopRequest::default()),
    )
}

fn process(prefix: &Path, clock: RunClock, shard: Option<ShardMeta>) -> Process {
    let registry = EntryRegistry::new();
    // Shards intern their entries in different orders, as dynamic names do.
    let offset = shard.as_ref().map_or(0, |m| match m.shard {
        ShardPosition::One { index, .. } => index,
        ShardPosition::Merged { .. } => 0,
    });
    let mut weights = vec![0.0; KEYS.len()];
    for i in 0..KEYS.len() {
        let (method, name) = KEYS[(i + offset) % KEYS.len()];
        let id = registry.intern(&RequestKey::new(method, name));
        if name == "/events" {
            weights[id.0 as usize] = 2.0;
        }
    }
    let settings = AggregatorSettings {
        csv: Some((prefix.to_owned(), true)),
        run_time: None,
        event_weights: weights,
        open_model: false,
        abort: None,
        keep_history: false,
        shard: shard.map(|meta| super::ShardRun {
            slice: super::Slice::default(),
            meta,
            link: None,
        }),
    };
    let recorder = Recorder::new();
    let users = Arc::new(AtomicUsize::new(0));
    let stats = RunStats::starting_at(registry.clone(), clock, clock.anchor_epoch());
    let aggregator = Aggregator::with_stats(recorder.clone(), stats, settings, users.clone())
        .expect("the aggregator's files are created")
        .with_steps(tracker(clock.anchor_epoch()));
    Process {
        aggregator,
        recorder,
        registry,
        users,
    }
}

/// A deterministic sample of second `second` (0-based) finishing after `base`.
fn sample(rng: &mut SmallRng, base: Instant, second: u64) -> (usize, Sample) {
    let key = rng.random_range(0..KEYS.len());
    let elapsed_ns = match rng.random_range(0..10) {
        0 => rng.random_range(1_000_000_000..4_000_000_000),
        1..=3 => rng.random_range(100_000_000..1_000_000_000),
        _ => rng.random_range(500_000..100_000_000),
    };
    let failure = match rng.random_range(0..40) {
        0 => Some(FailureKind::Status(500)),
        1 => Some(FailureKind::Os(111)),
        2 => Some(FailureKind::Other(Arc::from("CaptureError('id')"))),
        3 => Some(FailureKind::RunEnded),
        _ => None,
    };
    let finished =
        base + Duration::from_nanos(second * 1_000_000_000 + rng.random_range(0..1_000_000_000));
    let events = if failure.is_none() && KEYS[key].1 == "/events" {
        2.0
    } else {
        0.0
    };
    let sample = Sample {
        entry: crate::metrics::EntryId(0),
        elapsed_ns,
        content_length: rng.random_range(0..5_000),
        finished,
        failure,
        events,
    };
    (key, sample)
}

fn record(process: &Process, key: usize, mut sample: Sample) {
    let (method, name) = KEYS[key];
    sample.entry = process.registry.intern(&RequestKey::new(method, name));
    process.recorder.record(sample);
}

fn run_all(dir: &Path, shards: usize, seed: u64) -> (PathBuf, Vec<PathBuf>) {
    let clock = RunClock::start();
    let base = Instant::now();
    let single_prefix = dir.join("single/run");
    let mut single = process(&single_prefix, clock, None);
    let prefixes: Vec<PathBuf> = (0..shards)
        .map(|i| dir.join(format!("shard-{i}/run")))
        .collect();
    let mut parts: Vec<Process> = prefixes
        .iter()
        .enumerate()
        .map(|(i, prefix)| {
            let slice = Slice::new(i, shards).expect("a valid slice");
            process(prefix, clock, Some(meta(slice)))
        })
        .collect();
    let mut rng = SmallRng::seed_from_u64(seed);
    let first = clock.anchor_epoch().floor() as i64;
    for second in 0..SECONDS {
        let users = (second as usize * 3).min(40);
        single.users.store(users, Ordering::Relaxed);
        for (i, part) in parts.iter().enumerate() {
            let slice = Slice::new(i, shards).expect("a valid slice");
            part.users
                .store(slice.share(users as u64) as usize, Ordering::Relaxed);
        }
        for _ in 0..rng.random_range(0..400) {
            let (key, sample) = sample(&mut rng, base, second);
            record(&single, key, sample.clone());
            record(&parts[rng.random_range(0..shards)], key, sample);
        }
        if second % 5 == 2 {
            // Task-logic errors (one kind: their first-seen order is not in the bundle).
            let (message, traceback) = ("KeyError('id')", "Shop.browse step 2");
            single.aggregator.record_exception(message, traceback, 2);
            let part = &mut parts[rng.random_range(0..shards)];
            part.aggregator.record_exception(message, traceback, 2);
        }
        let now = first + second as i64 + 1;
        single.aggregator.tick(now - 1, now);
        parts
            .iter_mut()
            .for_each(|p| p.aggregator.tick(now - 1, now));
    }
    let end = Some(first as f64 + SECONDS as f64 + 0.25);
    single.aggregator.finish_replay("time limit reached", end);
    for part in parts {
        part.aggregator.finish_replay("time limit reached", end);
    }
    (single_prefix, prefixes)
}

#[test]
fn a_merge_of_random_shards_writes_the_single_process_files_byte_for_byte() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dir = std::env::var_os("CAPTEST_KEEP_DIR").map_or(dir.path().to_owned(), PathBuf::from);
    for (shards, seed) in [(3, 7), (4, 11)] {
        let dir = dir.join(format!("n{shards}"));
        let (single, prefixes) = run_all(&dir, shards, seed);
        let bundles: Vec<ShardBundleData> = prefixes
            .iter()
            .rev()
            .map(|p| read_bundle(p).expect("a readable bundle"))
            .collect();
        let output = dir.join("merged/run");
        let options = MergeOptions {
            output: output.clone(),
            allow_partial: false,
        };
        merge(&bundles, &options).expect("the shards merge");
        if shards == 3 {
            refuses_what_is_not_one_run(&bundles, &dir);
        }
        for suffix in [
            captest_format::files::STATS,
            captest_format::files::HISTORY,
            captest_format::files::FAILURES,
            captest_format::files::EXCEPTIONS,
            captest_format::files::LATENCY_HDR,
            captest_format::files::EVENTS,
            captest_format::files::STEPS,
        ] {
            let want = std::fs::read(captest_format::files::prefixed(&single, suffix));
            let got = std::fs::read(captest_format::files::prefixed(&output, suffix));
            let want = want.expect("the single process wrote it");
            assert!(want.len() > 40, "{suffix} holds data");
            assert!(
                got.as_ref().ok() == Some(&want),
                "{suffix} differs with {shards} shards"
            );
        }
    }
}

/// Shards of another run, a repeated shard and a missing one are refused with one line; with
/// `allow_partial` the others merge and the run says it is partial.
fn refuses_what_is_not_one_run(bundles: &[ShardBundleData], dir: &Path) {
    let options = |allow_partial| MergeOptions {
        output: dir.join("refused/run"),
        allow_partial,
    };
    let mut other = bundles.to_vec();
    other[1].meta.scenario_hash = "ab".repeat(32);
    let error = merge(&other, &options(true))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not a shard of the same run"), "{error}");
    let mut other = bundles.to_vec();
    other[1].meta.hdr.significant_digits = 2;
    assert!(merge(&other, &options(true)).is_err());
    let repeated = vec![bundles[0].clone(), bundles[0].clone()];
    let error = merge(&repeated, &options(true))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(error.contains("again"), "{error}");
    let missing: Vec<ShardBundleData> = bundles
        .iter()
        .filter(|b| !matches!(b.meta.shard, ShardPosition::One { index: 1, .. }))
        .cloned()
        .collect();
    let error = merge(&missing, &options(false))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "shard 1 of 3 missing (give every shard, or --allow-partial to merge the others)"
    );
    let partial = merge(&missing, &options(true)).expect("a partial merge");
    assert_eq!(
        partial.meta.shard,
        ShardPosition::Merged {
            merged: vec![0, 2],
            count: 3,
            missing: vec![1],
            partial: true,
            lost: Vec::new(),
        }
    );
    let written = std::fs::read_to_string(dir.join("refused/run_shard.json")).unwrap_or_default();
    assert!(written.contains("\"partial\": true"), "{written}");
}
