//! The fast reader against polars' reader, for the fuzz targets in `fuzz/` (not part of the API;
//! no behaviour of its own).

use std::path::Path;

use super::{scan_with, EntryRows, Rows, Scan, Split, BLOCK};
use crate::history::{read_with_polars, Percentiles};
use crate::table::read_header;

/// Splits tried: one thread and range with whole blocks (what a small file gets), several
/// ranges and threads, and tiny blocks (lines cut across reads).
const SPLITS: [Split; 4] = [
    Split {
        threads: 1,
        ranges: 1,
        block: BLOCK,
    },
    Split {
        threads: 2,
        ranges: 3,
        block: BLOCK,
    },
    Split {
        threads: 1,
        ranges: 2,
        block: 17,
    },
    Split {
        threads: 3,
        ranges: 5,
        block: 64,
    },
];

/// Rows in a form that compares NaN equal to NaN and ignores the entries' order.
fn canonical((aggregated, mut entries): Rows) -> String {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    format!("{aggregated:?} {entries:?}")
}

/// Checks that wherever the fast reader reads the history at `path` (rather than handing it to
/// the general reader), polars reads the same rows; returns what differs.
pub fn history_agrees_with_polars(path: &Path) -> Result<(), String> {
    let Ok((header, header_bytes)) = read_header(path) else {
        return Ok(()); // no header line: both readers stop there with the same error
    };
    for percentiles in [Percentiles::All, Percentiles::Named] {
        let expected = read_with_polars(path, percentiles).map(canonical);
        for split in SPLITS {
            let scanned = scan_with(
                path,
                &header,
                header_bytes,
                (percentiles, EntryRows::Kept),
                split,
            );
            match (scanned, &expected) {
                (Ok(Scan::Read(rows)), Ok(expected)) => {
                    let rows = canonical(rows);
                    if &rows != expected {
                        return Err(format!(
                            "{percentiles:?} {split:?}: the fast reader read\n{rows}\npolars read\n{expected}"
                        ));
                    }
                }
                (Ok(Scan::Read(_)), Err(error)) => {
                    return Err(format!(
                        "{percentiles:?} {split:?}: the fast reader read a file polars refuses: {error}"
                    ));
                }
                (Err(error), Ok(_)) => {
                    return Err(format!(
                        "{percentiles:?} {split:?}: the fast reader failed where polars reads: {error}"
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixtures_agree_and_a_changed_cell_is_still_read_the_same() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/locust");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut checked = 0;
        for run in std::fs::read_dir(&root).expect("fixtures").flatten() {
            for file in std::fs::read_dir(run.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = file.path();
                if !path.to_string_lossy().ends_with("_stats_history.csv") {
                    continue;
                }
                history_agrees_with_polars(&path).expect("the fixture agrees");
                let text = std::fs::read_to_string(&path).expect("read");
                let changed = dir.path().join("changed_stats_history.csv");
                std::fs::write(&changed, text.replacen(",0,", ",1e3,", 3)).expect("write");
                history_agrees_with_polars(&changed).expect("the changed copy agrees");
                checked += 1;
            }
        }
        assert!(checked >= 6, "{checked} histories");
    }

    /// Found by the history_reader fuzz target (10-minute run): a Type or Name cell `N/A` is a
    /// missing value (empty) to polars but was read as the text `N/A` by the fast reader.
    #[test]
    fn a_type_or_name_of_n_a_is_read_alike_by_both_readers() {
        let text = std::fs::read(locust_history()).expect("read");
        let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').take(6).collect();
        let dir = tempfile::tempdir().expect("temp dir");
        for column in [2, 3] {
            let mut file = lines[..5].join(&b'\n').to_vec();
            let mut cells: Vec<Vec<u8>> =
                lines[5].split(|b| *b == b',').map(<[u8]>::to_vec).collect();
            cells[column] = b"N/A".to_vec();
            file.push(b'\n');
            file.extend(cells.join(&b',').iter());
            file.push(b'\n');
            let path = dir.path().join(format!("c{column}_stats_history.csv"));
            std::fs::write(&path, &file).expect("write");
            history_agrees_with_polars(&path).expect("both read it alike");
        }
    }

    /// A real Locust `_stats_history.csv` of the fixtures.
    fn locust_history() -> std::path::PathBuf {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/locust");
        std::fs::read_dir(&root)
            .expect("fixtures")
            .flatten()
            .flat_map(|run| {
                std::fs::read_dir(run.path())
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .map(|f| f.path())
            .find(|p| p.to_string_lossy().ends_with("_stats_history.csv"))
            .expect("a Locust history")
    }

    /// Found by the history_reader fuzz target: bytes that are not UTF-8 in a column the fast
    /// reader does not read (Total Max Response Time) made it read a file polars refuses.
    #[test]
    fn a_line_that_is_not_utf8_goes_to_polars_which_refuses_it() {
        let text = std::fs::read(locust_history()).expect("read");
        let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').take(6).collect();
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, bad) in [("max", &b"77\xd2\xc1"[..]), ("name", &b"/caf\xe9"[..])] {
            let mut file = lines[..5].join(&b'\n').to_vec();
            let mut cells: Vec<Vec<u8>> =
                lines[5].split(|b| *b == b',').map(<[u8]>::to_vec).collect();
            let column = if name == "name" { 3 } else { cells.len() - 3 };
            cells[column] = bad.to_vec();
            file.push(b'\n');
            file.extend(cells.join(&b',').iter());
            file.push(b'\n');
            let path = dir.path().join(format!("{name}_stats_history.csv"));
            std::fs::write(&path, &file).expect("write");
            history_agrees_with_polars(&path).expect("both refuse it");
            assert!(crate::History::read(&path).is_err(), "{name}: refused");
        }
    }

    /// Found by the history_reader fuzz target (10-minute run, dev build): a `"` inside a header
    /// cell (not a whole quoted cell) made the fast reader read a file polars refuses ("a quote
    /// opens a cell that is never closed").
    #[test]
    fn a_stray_quote_in_the_header_goes_to_polars() {
        let text = std::fs::read_to_string(locust_history()).expect("read");
        let dir = tempfile::tempdir().expect("temp dir");
        let (header, body) = text.split_once('\n').expect("a header line");
        let stray = header.replacen("Name", "Na\"me", 1);
        let opening = header.replacen("Name", "\"Name", 1);
        let whole = header.replacen("Name", "\"Name\"", 1);
        for (case, header) in [("stray", stray), ("opening", opening), ("whole", whole)] {
            for with_rows in [true, false] {
                let path = dir
                    .path()
                    .join(format!("{case}{with_rows}_stats_history.csv"));
                let file = match with_rows {
                    true => format!("{header}\n{body}"),
                    false => header.clone(),
                };
                std::fs::write(&path, file).expect("write");
                history_agrees_with_polars(&path)
                    .unwrap_or_else(|e| panic!("{case}, rows {with_rows}: {e}"));
            }
        }
    }
}
