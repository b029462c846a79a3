use std::time::{Duration, UNIX_EPOCH};

use captest_format::RequestKey;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;

use super::*;

const BASE: u64 = 1_700_000_000;

fn items() -> Entry {
    Entry::Request(RequestKey::new("GET", "/items"))
}

fn odd() -> Entry {
    Entry::Request(RequestKey::new("POST", "/a b,c%\r\n"))
}

fn histogram(values_us: &[u64]) -> Histogram<u64> {
    let mut histogram = Histogram::new(3).expect("3 digits");
    for value in values_us {
        histogram.record(*value).expect("in range");
    }
    histogram
}

/// A log as the runner writes it: seconds 1..=3 after BaseTime, `GET /items` in each, the odd
/// entry in the second only, Aggregated their sum.
fn hand_made_log() -> Vec<u8> {
    let seconds: [(u64, &[u64], &[u64]); 3] = [
        (0, &[1_000, 2_000], &[]),
        (1, &[3_000], &[50_000, 70_000]),
        (2, &[4_000, 5_000, 6_000], &[]),
    ];
    let mut buffer = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = IntervalLogWriterBuilder::new()
        .add_comment("hand-made")
        .with_start_time(UNIX_EPOCH + Duration::from_millis(BASE * 1_000 + 250))
        .with_base_time(UNIX_EPOCH + Duration::from_secs(BASE))
        .begin_log_with(&mut buffer, &mut serializer)
        .expect("header");
    for (offset, first, second) in seconds {
        let start = Duration::from_secs(offset);
        let mut total = histogram(first);
        let mut lines = vec![(items(), histogram(first))];
        if !second.is_empty() {
            total.add(histogram(second)).expect("sum");
            lines.push((odd(), histogram(second)));
        }
        lines.push((Entry::Aggregated, total));
        for (entry, histogram) in lines {
            let tag = entry.hdr_tag();
            writer
                .write_histogram(&histogram, start, Duration::from_secs(1), Tag::new(&tag))
                .expect("line");
        }
    }
    drop(writer);
    buffer
}

fn read(bytes: &[u8]) -> Result<LatencyLog, AnalyzeError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("run_latency.hdr");
    std::fs::write(&path, bytes).expect("write");
    LatencyLog::read(&path)
}

#[test]
fn a_hand_made_log_reads_back_per_entry_and_second() {
    let log = read(&hand_made_log()).expect("a valid log");
    assert_eq!(log.entries(), [items(), odd(), Entry::Aggregated]);
    assert_eq!(log.start_time(), Some(BASE as f64 + 0.25));
    let base = BASE as f64;
    assert_eq!(
        log.spans(&items()),
        [
            (base, base + 1.0),
            (base + 1.0, base + 2.0),
            (base + 2.0, base + 3.0)
        ]
    );
    assert_eq!(log.spans(&odd()), [(base + 1.0, base + 2.0)]);
    let counts = |entry: &Entry, from: f64, to: f64| -> Vec<(f64, u64)> {
        log.intervals(entry, from, to)
            .into_iter()
            .map(|(start, h)| (start, h.len()))
            .collect()
    };
    // Ends in (from, to]: the rows stamped base+1 and base+3 bound the last two seconds.
    assert_eq!(
        counts(&items(), base + 1.0, base + 3.0),
        [(base + 1.0, 1), (base + 2.0, 3)]
    );
    assert_eq!(counts(&items(), base, base + 1.0), [(base, 2)]);
    assert_eq!(counts(&items(), base + 3.0, base + 9.0), []);
    assert_eq!(
        counts(&Entry::from_row("GET", "/none"), base, base + 9.0),
        []
    );
    let second = log.intervals(&odd(), base, base + 2.0);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].1.max(), histogram(&[70_000]).max());
}

#[test]
fn sums_are_exact_and_the_whole_run_holds_every_request() {
    let log = read(&hand_made_log()).expect("a valid log");
    let all = |entry: &Entry| log.histogram(entry, f64::NEG_INFINITY, f64::INFINITY);
    let total = all(&Entry::Aggregated).expect("Aggregated");
    assert_eq!(total.len(), 8);
    let mut merged = all(&items()).expect("items");
    merged.add(all(&odd()).expect("odd")).expect("sum");
    assert!(merged.iter_recorded().eq(total.iter_recorded()));
    let base = BASE as f64;
    let window = log
        .histogram(&items(), base + 1.0, base + 3.0)
        .expect("two seconds");
    assert_eq!(window.len(), 4);
    assert_eq!(window.min(), histogram(&[3_000]).min());
    assert_eq!(window.max(), histogram(&[6_000]).max());
    assert!(log.histogram(&items(), base + 3.0, base + 4.0).is_none());
}

fn error_of(bytes: &[u8]) -> String {
    read(bytes).expect_err("a corrupt log").to_string()
}

#[test]
fn a_corrupt_line_is_an_error_naming_the_file_and_the_line() {
    let good = String::from_utf8(hand_made_log()).expect("utf-8");
    let lines: Vec<&str> = good.lines().collect();
    let interval = lines
        .iter()
        .position(|l| l.starts_with("Tag="))
        .expect("a line");
    let line = interval + 1;
    let with = |replacement: &str| {
        let mut changed = lines.clone();
        changed[interval] = replacement;
        format!("{}\n", changed.join("\n")).into_bytes()
    };
    let encoded = lines[interval].rsplit(',').next().expect("histogram");
    let cases = [
        (with("garbage"), "is not an interval-log line"),
        (with("Tag=GET/items,0.000,1.000,2.0,HISTO"), "neither"),
        (with(&format!("0.000,1.000,2.0,{encoded}")), "without a tag"),
        (with("Tag=GET%20/a,0.000,1.000,2.0,!!!"), "not base64"),
        (with("Tag=GET%20/a,0.000,1.000,2.0,AAAA"), "does not decode"),
        (
            with(&format!("Tag=GET%20/a,0.000,1.000,2.0,{}", &encoded[..8])),
            "does not decode",
        ),
    ];
    for (bytes, problem) in cases {
        let error = error_of(&bytes);
        assert!(
            error.contains("run_latency.hdr: line ") && error.contains(&format!("line {line}:")),
            "{error}"
        );
        assert!(error.contains(problem), "{problem}: {error}");
        assert!(error.contains("expected"), "{error}");
    }
    let cut = &good.as_bytes()[..good.len() - 10];
    let error = error_of(cut);
    assert!(error.contains(&format!("line {}:", lines.len())), "{error}");
    assert!(error.contains("cut"), "{error}");
}

#[test]
fn a_missing_file_is_a_read_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = LatencyLog::read(&dir.path().join("none_latency.hdr")).expect_err("missing");
    assert!(matches!(error, AnalyzeError::Read { .. }), "{error}");
}
