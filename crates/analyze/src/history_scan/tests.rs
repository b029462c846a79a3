use std::path::PathBuf;

use super::*;
use crate::history::{read_with_polars, Percentiles};
use crate::table::read_header;

fn locust_histories() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/locust");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures/locust in the repository")
        .filter_map(|d| d.ok())
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten())
        .filter_map(|f| f.ok().map(|f| f.path()))
        .filter(|p| p.to_string_lossy().ends_with("_stats_history.csv"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "expected Locust histories in {root:?}");
    files
}

/// A window taking every row (none is stamped at or before 0).
fn everything() -> SteadyWindow {
    SteadyWindow::new(0.0, captest_format::Warmup::ZERO, f64::INFINITY)
}

fn sorted((aggregated, mut entries): Rows) -> Rows {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    (aggregated, entries)
}

/// One thread, one range, whole blocks: the simplest read.
const WHOLE: Split = Split {
    threads: 1,
    ranges: 1,
    block: BLOCK,
};

/// Splits tried: threads, byte ranges and blocks, down to tiny ones.
const SPLITS: [(usize, usize, usize); 7] = [
    (1, 1, BLOCK),
    (2, 2, BLOCK),
    (2, 8, BLOCK),
    (1, 8, 300),
    (3, 3, 64),
    (7, 7, 200),
    (1, 1, 16),
];

fn split((threads, ranges, block): (usize, usize, usize)) -> Split {
    Split {
        threads,
        ranges,
        block,
    }
}

fn fast(path: &Path, split: Split) -> Scan {
    fast_with(path, Percentiles::All, split)
}

fn fast_with(path: &Path, percentiles: Percentiles, split: Split) -> Scan {
    let (header, header_bytes) = read_header(path).expect("header");
    scan_with(
        path,
        &header,
        header_bytes,
        (percentiles, EntryRows::Kept),
        split,
    )
    .expect("readable")
}

fn assert_same_as_polars(path: &Path, split: Split) {
    for percentiles in [Percentiles::All, Percentiles::Named] {
        let expected = sorted(read_with_polars(path, percentiles).expect("polars reads it"));
        match fast_with(path, percentiles, split) {
            Scan::Read(rows) => {
                assert_eq!(sorted(rows), expected, "{path:?} {percentiles:?} {split:?}")
            }
            _ => panic!("{path:?}: fast path gave up"),
        }
    }
}

#[test]
fn named_percentiles_leave_the_others_unknown_and_keep_the_rest() {
    let path = &locust_histories()[0];
    let (Scan::Read(all), Scan::Read(named)) = (
        fast_with(path, Percentiles::All, WHOLE),
        fast_with(path, Percentiles::Named, WHOLE),
    ) else {
        panic!("{path:?}: fast path gave up");
    };
    let (all, named) = (sorted(all), sorted(named));
    let rows = |r: &Rows| {
        r.0.iter()
            .chain(r.1.iter().flat_map(|(_, rows)| rows))
            .cloned()
            .collect::<Vec<HistoryRow>>()
    };
    let (all, named) = (rows(&all), rows(&named));
    assert_eq!(all.len(), named.len());
    assert!(all.iter().any(|r| r.percentile_ms(90.0).is_some()));
    for (a, n) in all.iter().zip(&named) {
        assert_eq!(n.percentile_ms(90.0), None);
        assert_eq!(n.percentile_ms(100.0), None);
        for p in [50.0, 95.0, 99.0] {
            assert_eq!(a.percentile_ms(p), n.percentile_ms(p));
        }
        assert_eq!(
            (a.timestamp, a.total_requests, a.total_avg_ms),
            (n.timestamp, n.total_requests, n.total_avg_ms)
        );
    }
}

#[test]
fn equals_polars_on_every_real_locust_history_whatever_the_split() {
    for path in locust_histories() {
        for each in SPLITS {
            assert_same_as_polars(&path, split(each));
        }
    }
}

fn write(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), text).expect("write");
    file
}

const HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";

fn row(ts: u64, kind: &str, name: &str, rps: &str, pct: &str, avg: &str) -> String {
    // A different value in every percentile column, so a column read into the wrong slot shows.
    let pcts: Vec<String> = (0..11)
        .map(|k| match pct.parse::<f64>() {
            Ok(v) => format!("{}", v + k as f64 * 1.25),
            Err(_) => pct.to_owned(),
        })
        .collect();
    let pcts = pcts.join(",");
    format!(
        "{ts},10,{kind},{name},{rps},0.000000,{pcts},{},3,17,{avg},1.5,99.25,120",
        ts * 7
    )
}

fn history(line_end: &str, final_line_end: bool) -> String {
    let mut lines = vec![HEADER.to_owned()];
    for ts in 1_700_000_000..1_700_000_040u64 {
        let pct = if ts % 7 == 0 { "N/A" } else { "12" };
        lines.push(row(
            ts,
            "GET",
            "/items",
            "1.200000",
            pct,
            "28.940247888891058",
        ));
        lines.push(row(ts, "POST", "/api/v1/event", "0.50", "7", "1e-05"));
        lines.push(row(
            ts,
            "",
            "Aggregated",
            "12345678901234567890.5",
            "3",
            "0.1",
        ));
    }
    let mut text = lines.join(line_end);
    if final_line_end {
        text.push_str(line_end);
    }
    text
}

#[test]
fn equals_polars_with_lf_crlf_na_cells_long_and_odd_numbers() {
    for line_end in ["\n", "\r\n"] {
        for final_line_end in [true, false] {
            let file = write(&history(line_end, final_line_end));
            for each in [
                (1, 1, BLOCK),
                (2, 2, 100),
                (5, 5, 33),
                (3, 3, 1),
                (2, 8, 50),
            ] {
                assert_same_as_polars(file.path(), split(each));
            }
        }
    }
}

#[test]
fn anything_unusual_goes_to_the_general_reader() {
    let good = row(1, "GET", "/a", "1.0", "3", "2.5");
    let cases = [
        (
            row(2, "GET", "\"/a,b\"", "1.0", "3", "2.5"),
            "a quoted name",
        ),
        (
            row(2, "GET", "/a", "fast", "3", "2.5"),
            "a word in a number column",
        ),
        (
            row(2, "GET", "/a", "1.0", "3", "N/A"),
            "N/A in a required column",
        ),
        (
            row(2, "GET", "/a", "1.0", "3x", "2.5"),
            "a number with a tail",
        ),
        ("2,10,GET,/a,1.0".to_owned(), "a short row"),
        (
            // Together as many cells as one good line, with a line end where a comma should be:
            // only the count of line ends tells.
            {
                let cells: Vec<String> = row(2, "GET", "/a", "1.0", "3", "2.5")
                    .split(',')
                    .map(str::to_owned)
                    .collect();
                format!("{}\n{}", cells[..10].join(","), cells[10..].join(","))
            },
            "a line split in two",
        ),
    ];
    for (bad, what) in cases {
        let file = write(&format!("{HEADER}\n{good}\n{good}\n{bad}\n{good}\n"));
        for each in [WHOLE, split((3, 8, 16))] {
            assert!(
                matches!(fast(file.path(), each), Scan::NeedsGeneralReader),
                "{what} {each:?}"
            );
        }
    }
    let file = write("Timestamp,User Count\n1,2\n");
    assert!(matches!(fast(file.path(), WHOLE), Scan::NeedsGeneralReader));
}

#[test]
fn every_current_window_percentile_is_read_into_its_place() {
    let path = locust_histories()
        .into_iter()
        .find(|p| p.ends_with("baseline/baseline_stats_history.csv"))
        .expect("the baseline history");
    let text = std::fs::read_to_string(&path).expect("readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let Scan::Read((_, entries)) = fast(&path, WHOLE) else {
        panic!("fast path gave up");
    };
    let rows = &entries
        .iter()
        .find(|(e, _)| e.cells() == ("DELETE", "/item/[id]"))
        .expect("DELETE /item/[id]")
        .1;
    let cells: Vec<Vec<&str>> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[2] == "DELETE" && c[3] == "/item/[id]")
        .collect();
    assert_eq!(rows.len(), cells.len());
    let mut distinct = 0;
    for (row, cells) in rows.iter().zip(&cells) {
        for p in [
            50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0,
        ] {
            let column = header
                .iter()
                .position(|h| *h == format!("{p}%"))
                .expect("a percentile column");
            let expected = cells[column].parse::<f64>().ok();
            assert_eq!(row.percentile_ms(p), expected, "{p}% at {}", row.timestamp);
        }
        distinct += usize::from(row.percentile_ms(90.0) != row.percentile_ms(95.0));
    }
    assert!(distinct > 10, "the columns differ in the file");
}

mod summed;

/// The parts the lines of `text` give when read by `read`, as text (for comparison).
fn parts_read_by(
    text: &[u8],
    layout: &Layout,
    read: impl Fn(&[u8], &Layout, &mut Separators, &mut Lines) -> bool,
) -> (bool, String) {
    let mut lines = Lines::new();
    let parsed = read(text, layout, &mut Separators::default(), &mut lines);
    (parsed, format!("{:?}", lines.into_part()))
}

#[test]
fn the_avx2_compilation_reads_lines_as_the_portable_one() {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_features() {
        let mut texts: Vec<Vec<u8>> = locust_histories()
            .iter()
            .map(|path| std::fs::read(path).expect("readable"))
            .collect();
        texts.push(history("\r\n", true).into_bytes());
        texts.push(format!("{HEADER}\n{}\n", row(2, "GET", "\"/a,b\"", "1", "3", "2")).into());
        for text in texts {
            let header_end = memchr::memchr(b'\n', &text).expect("a header") + 1;
            let header: Vec<String> = String::from_utf8_lossy(&text[..header_end])
                .trim_end()
                .split(',')
                .map(str::to_owned)
                .collect();
            for entry_rows in [EntryRows::Kept, EntryRows::Summed(everything())] {
                let layout = Layout::from_header(&header, Percentiles::Named, entry_rows)
                    .expect("a history header");
                let body = &text[header_end..];
                // SAFETY: the processor has the features, checked above.
                let avx2 = parts_read_by(body, &layout, |t, l, s, g| unsafe {
                    read_lines_avx2(t, l, s, g)
                });
                assert_eq!(avx2, parts_read_by(body, &layout, lines_into));
            }
        }
    } else {
        eprintln!("not checked: this processor lacks AVX2, BMI1, LZCNT or POPCNT");
    }
}

#[test]
fn locusts_header_is_read_in_locust_order_and_another_order_is_not() {
    let header: Vec<String> = HEADER.split(',').map(str::to_owned).collect();
    let summed = EntryRows::Summed(everything());
    let layout = Layout::from_header(&header, Percentiles::Named, summed).expect("Locust's");
    assert!(layout.locust_order);
    // Requests/s and Failures/s swapped, or one column more: read by the header's order.
    let mut swapped = header.clone();
    swapped.swap(4, 5);
    let layout = Layout::from_header(&swapped, Percentiles::Named, summed).expect("all there");
    assert!(!layout.locust_order);
    let mut longer = header.clone();
    longer.push("Extra".to_owned());
    let layout = Layout::from_header(&longer, Percentiles::Named, summed).expect("all there");
    assert!(!layout.locust_order);
}

#[test]
fn a_file_in_another_column_order_sums_to_the_same_windows() {
    // The same history with Requests/s and Failures/s swapped and a column added at the end:
    // read through the header's layout instead of Locust's order.
    let text = history("\n", true);
    let reordered: String = text
        .lines()
        .map(|line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.swap(4, 5);
            cells.push(if line.starts_with("Timestamp") {
                "Extra"
            } else {
                "0"
            });
            cells.join(",") + "\n"
        })
        .collect();
    let windows = |text: &str| {
        let file = write(text);
        let (header, header_bytes) = read_header(file.path()).expect("header");
        let read = (Percentiles::Named, EntryRows::Summed(everything()));
        match scan_with(file.path(), &header, header_bytes, read, WHOLE) {
            Ok(Scan::Summed((aggregated, windows))) => format!("{aggregated:?} {windows:?}"),
            _ => panic!("not summed"),
        }
    };
    assert_eq!(windows(&reordered), windows(&text));
}
