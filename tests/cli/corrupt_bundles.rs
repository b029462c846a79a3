//! Corrupt shard bundles given to `captest merge`: the corpus of `tests/fixtures/corrupt/bundles/`
//! (one directory per case, two shards `shard-0/run` and `shard-1/run` of one real 2-shard run,
//! damaged in one way; the README beside it says how). Each case is refused with one line naming
//! the file and the line, exit 2, nothing written under the merged prefix — or tolerated as
//! documented.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{read_csv, run_captest};
use captest_format::files;

/// The directory of a case.
fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corrupt/bundles")
        .join(name)
}

/// `captest merge` of a case's two shards into `out/run`.
fn merge(name: &str, out: &Path) -> Output {
    let dir = case(name);
    let shards = [dir.join("shard-0/run"), dir.join("shard-1/run")];
    let merged = out.join("run");
    run_captest(&[
        "merge",
        shards[0].to_str().expect("utf-8"),
        shards[1].to_str().expect("utf-8"),
        "--csv",
        merged.to_str().expect("utf-8"),
    ])
}

/// The merged run's Aggregated Request Count.
fn merged_requests(out: &Path) -> u64 {
    let rows = read_csv(&files::prefixed(&out.join("run"), files::STATS));
    let row = rows
        .iter()
        .find(|r| r["Name"] == "Aggregated")
        .expect("Aggregated");
    row["Request Count"].parse().expect("a count")
}

/// Each refused case and what its one line must say.
const REFUSED: [(&str, &[&str]); 12] = [
    (
        "garbled_line",
        &[
            "shard-1/run_shard_seconds.jsonl:2",
            "expected one tick's record",
        ],
    ),
    (
        "negative_count",
        &["shard-0/run_shard_seconds.jsonl:1", "expected u64"],
    ),
    (
        "nan",
        &[
            "shard-0/run_shard_seconds.jsonl:2",
            "expected one tick's record",
        ],
    ),
    (
        "bad_histogram",
        &["shard-0/run_shard_seconds.jsonl:1", "not a V2 histogram"],
    ),
    (
        "non_utf8",
        &["shard-0/run_shard_seconds.jsonl:1", "not UTF-8 text (0xE9)"],
    ),
    (
        "duplicated_tick",
        &[
            "shard-0/run_shard_seconds.jsonl:2",
            "is not after the previous",
        ],
    ),
    (
        "ticks_backwards",
        &[
            "shard-0/run_shard_seconds.jsonl:2",
            "is not after the previous",
        ],
    ),
    (
        "meta_empty",
        &["shard-0/run_shard.json:1", "expected a shard description"],
    ),
    (
        "meta_missing_field",
        &["shard-0/run_shard.json:21", "missing field `scenario_hash`"],
    ),
    (
        "meta_other_format",
        &["shard-0/run_shard.json:1", "bundle format 9"],
    ),
    (
        "missing_seconds",
        &["shard-1/run_shard_seconds.jsonl", "No such file"],
    ),
    (
        "other_run",
        &["shard-1/run", "is not a shard of the same run"],
    ),
];

/// Asserts the merge of case `name` is one error line with each of `needles`, exit 2, and that
/// it left nothing in `out`.
fn assert_refused(name: &str, needles: &[&str]) {
    let out = tempfile::tempdir().expect("temp dir");
    let output = merge(name, out.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{name}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{name}: {stderr:?} should say {needle:?}"
        );
    }
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    // Nothing merged is left, not even the hidden staging directory.
    let left: Vec<_> = std::fs::read_dir(out.path()).expect("list").collect();
    assert!(
        left.is_empty(),
        "{name}: nothing merged is written: {left:?}"
    );
}

#[test]
fn each_corrupt_bundle_is_refused_with_its_file_and_line() {
    for (name, needles) in REFUSED {
        assert_refused(name, needles);
    }
}

#[test]
fn a_bundle_cut_short_or_with_crlf_merges_as_documented() {
    let clean_out = tempfile::tempdir().expect("temp dir");
    assert_eq!(merge("clean", clean_out.path()).status.code(), Some(0));
    let clean = merged_requests(clean_out.path());
    assert!(clean > 0, "the clean run has requests");

    // CR before the line ends: read as the clean bundle.
    let crlf_out = tempfile::tempdir().expect("temp dir");
    assert_eq!(merge("crlf", crlf_out.path()).status.code(), Some(0));
    assert_eq!(merged_requests(crlf_out.path()), clean);

    // A last line without its end (a shard killed while writing it): left out, with a warning
    // naming it; every complete record merged.
    let cut_out = tempfile::tempdir().expect("temp dir");
    let output = merge("truncated_last_line", cut_out.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("shard-1/run_shard_seconds.jsonl:4: the last line is cut short"),
        "{stderr}"
    );
    // The case is the clean bundle plus the first 80 bytes of its last line again.
    assert_eq!(merged_requests(cut_out.path()), clean);
}
