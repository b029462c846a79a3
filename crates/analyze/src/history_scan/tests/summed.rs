//! The summed read (each entry's steady window summed as the file is read) against the rows of
//! the polars reader, and what it sends to the general reader.

use super::*;
use crate::steady::{steady_figures, SteadyFigures};
use captest_format::Warmup;

/// Whether two figures agree: the same entry and source, numbers within 1e-12 relative (the
/// sums of the byte ranges are added in another order than row by row).
fn assert_figures_agree(got: &SteadyFigures, expected: &SteadyFigures, what: &str) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    let close_option = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (a, b) => a == b,
    };
    assert_eq!((&got.entry, got.source), (&expected.entry, expected.source));
    for (name, a, b) in [
        ("requests", got.requests, expected.requests),
        ("rps", got.rps, expected.rps),
        ("rps_recipe", got.rps_recipe, expected.rps_recipe),
        ("avg_ms", got.avg_ms, expected.avg_ms),
        ("error_pct", got.error_pct, expected.error_pct),
    ] {
        assert!(close(a, b), "{what}: {name} {a} vs {b}");
    }
    for (name, a, b) in [
        ("avg_ms_window", got.avg_ms_window, expected.avg_ms_window),
        ("p50_ms", got.p50_ms, expected.p50_ms),
        ("p95_ms", got.p95_ms, expected.p95_ms),
        ("p99_ms", got.p99_ms, expected.p99_ms),
    ] {
        assert!(close_option(a, b), "{what}: {name} {a:?} vs {b:?}");
    }
}

/// Summing each entry's steady window while reading gives the figures of the polars reader's
/// rows cut at the same time, and the same Aggregated rows.
fn assert_summed_as_polars(path: &Path, split: Split) {
    let (aggregated, entries) =
        sorted(read_with_polars(path, Percentiles::Named).expect("polars reads it"));
    let (header, header_bytes) = read_header(path).expect("header");
    let start = aggregated[0].timestamp;
    assert_eq!(
        first_timestamp(path, &header, header_bytes).expect("readable"),
        Some(start)
    );
    assert_eq!(
        last_running_timestamp(path, &header, header_bytes).expect("readable"),
        SteadyWindow::of_history(&aggregated, start, Warmup::ZERO)
            .until
            .into()
    );
    for warmup in ["0s", "5s", "30s"] {
        let warmup: Warmup = warmup.parse().expect("warmup");
        let window = SteadyWindow::of_history(&aggregated, start, warmup);
        let read = (Percentiles::Named, EntryRows::Summed(window));
        let what = format!("{path:?} warmup {warmup} {split:?}");
        let scanned = scan_with(path, &header, header_bytes, read, split);
        let Ok(Scan::Summed((summed_aggregated, mut windows))) = scanned else {
            panic!("{what}: not summed");
        };
        assert_eq!(summed_aggregated, aggregated, "{what}");
        windows.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(windows.len(), entries.len(), "{what}");
        for ((entry, summed), (expected_entry, rows)) in windows.iter().zip(&entries) {
            assert_eq!(entry, expected_entry, "{what}");
            assert_eq!(summed.rows(), window.rows(rows).len(), "{what} {entry}");
            let name = entry.to_string();
            assert_figures_agree(
                &summed.figures(&name),
                &steady_figures(&name, rows, &window),
                &format!("{what} {entry}"),
            );
        }
    }
}

#[test]
fn summed_windows_equal_the_rows_on_every_locust_history_whatever_the_split() {
    for path in locust_histories() {
        for each in SPLITS {
            assert_summed_as_polars(&path, split(each));
        }
    }
    for line_end in ["\n", "\r\n"] {
        let file = write(&history(line_end, false));
        for each in [(1, 1, BLOCK), (2, 2, 100), (5, 5, 33), (2, 8, 50)] {
            assert_summed_as_polars(file.path(), split(each));
        }
    }
}

#[test]
fn a_summed_read_still_sends_unusual_files_to_the_general_reader() {
    let good = row(1, "GET", "/a", "1.0", "3", "2.5");
    for bad in [
        row(2, "GET", "\"/a,b\"", "1.0", "3", "2.5"),
        row(2, "GET", "/a", "fast", "3", "2.5"),
        row(2, "GET", "/a", "1.0", "3x", "2.5"),
        row(2, "GET", "/a", "1.0", "3", "N/A"),
        row(2, "", "Aggregated", "fast", "3", "2.5"),
    ] {
        let file = write(&format!("{HEADER}\n{good}\n{bad}\n"));
        let (header, header_bytes) = read_header(file.path()).expect("header");
        let read = (Percentiles::Named, EntryRows::Summed(everything()));
        assert!(
            matches!(
                scan_with(file.path(), &header, header_bytes, read, WHOLE),
                Ok(Scan::NeedsGeneralReader)
            ),
            "{bad}"
        );
    }
}

#[test]
fn the_first_aggregated_row_is_found_after_many_entries_or_said_missing() {
    let mut lines = vec![HEADER.to_owned()];
    for k in 0..3000 {
        lines.push(row(
            1_700_000_000,
            "GET",
            &format!("/e{k}"),
            "1.0",
            "3",
            "2.5",
        ));
    }
    lines.push(row(1_700_000_000, "", "Aggregated", "1.0", "3", "2.5"));
    lines.push(row(1_700_000_001, "", "Aggregated", "1.0", "3", "2.5"));
    let text = lines.join("\n");
    assert!(text.len() > 300_000, "past the first reads");
    let found = |text: &str| {
        let file = write(text);
        let (header, header_bytes) = read_header(file.path()).expect("header");
        first_timestamp(file.path(), &header, header_bytes).expect("readable")
    };
    assert_eq!(found(&text), Some(1_700_000_000.0));
    assert_eq!(found(&format!("{text}\n")), Some(1_700_000_000.0));
    let without: Vec<&str> = lines.iter().take(3001).map(String::as_str).collect();
    assert_eq!(found(&without.join("\n")), None);
    let quoted = text.replacen("/e7", "\"/e,7\"", 1);
    assert_eq!(found(&quoted), None);
}

#[test]
fn summed_windows_do_not_depend_on_the_number_of_threads() {
    let file = write(&history("\n", true));
    for path in [locust_histories()[0].clone(), file.path().to_owned()] {
        let (header, header_bytes) = read_header(&path).expect("header");
        let windows = |threads: usize| {
            let read = (Percentiles::Named, EntryRows::Summed(everything()));
            let each = split((threads, 8, 100));
            match scan_with(&path, &header, header_bytes, read, each) {
                Ok(Scan::Summed((_, mut windows))) => {
                    windows.sort_by(|a, b| a.0.cmp(&b.0));
                    windows
                }
                _ => panic!("{path:?}: not summed"),
            }
        };
        let one = windows(1);
        for threads in [2, 3, 8] {
            assert_eq!(windows(threads), one, "{path:?} {threads} threads");
        }
    }
}

#[test]
fn a_file_for_the_general_reader_is_summed_from_its_rows() {
    let plain = history("\n", true);
    // Quoting a name sends the file to polars, which reads it as the same name.
    let quoted = plain.replace(",GET,/items,", ",GET,\"/items\",");
    assert_ne!(plain, quoted);
    let summed = |text: &str| {
        let file = write(text);
        let warmup = "5s".parse().expect("warmup");
        let history = crate::history::History::read_steady(file.path(), warmup).expect("readable");
        let summed = history.entry_windows.expect("summed windows");
        (summed.window, summed.sums)
    };
    let (plain_from, plain) = summed(&plain);
    let (quoted_from, quoted) = summed(&quoted);
    assert_eq!(plain_from, quoted_from);
    assert_eq!(plain.len(), 2);
    assert_eq!(
        plain.keys().collect::<Vec<_>>(),
        quoted.keys().collect::<Vec<_>>()
    );
    for ((entry, a), b) in plain.iter().zip(quoted.values()) {
        assert!(a.rows() >= 30, "{entry}");
        assert_eq!(a.rows(), b.rows(), "{entry}");
        let name = entry.to_string();
        assert_figures_agree(&a.figures(&name), &b.figures(&name), &name);
    }
}

#[test]
fn the_window_ends_at_the_last_aggregated_row_with_users_whatever_follows() {
    let stopped = |line: String| line.replacen(",10,", ",0,", 1);
    let mut lines = vec![HEADER.to_owned()];
    for ts in 1_700_000_000..1_700_000_030u64 {
        lines.push(row(ts, "GET", "/items", "1.0", "12", "28.5"));
        lines.push(row(ts, "", "Aggregated", "1.0", "12", "28.5"));
    }
    // A final second with no user, more than a block of entries' rows long.
    for k in 0..3000 {
        let name = format!("/e{k}");
        lines.push(stopped(row(1_700_000_030, "GET", &name, "1.0", "3", "2.5")));
    }
    lines.push(stopped(row(
        1_700_000_030,
        "",
        "Aggregated",
        "1.0",
        "3",
        "2.5",
    )));
    let text = lines.join("\n");
    assert!(text.len() > 300_000, "past the first block from the end");
    let file = write(&text);
    let (header, header_bytes) = read_header(file.path()).expect("header");
    let until = last_running_timestamp(file.path(), &header, header_bytes).expect("readable");
    assert_eq!(until, Some(1_700_000_029.0));
    for each in [(1, 1, BLOCK), (2, 8, 300)] {
        assert_summed_as_polars(file.path(), split(each));
    }
    // No row with users: the window runs to the last Aggregated row.
    let idle: Vec<String> = lines[1..].iter().cloned().map(stopped).collect();
    let file = write(&format!("{HEADER}\n{}\n", idle.join("\n")));
    let (header, header_bytes) = read_header(file.path()).expect("header");
    let until = last_running_timestamp(file.path(), &header, header_bytes).expect("readable");
    assert_eq!(until, Some(1_700_000_030.0));
}
