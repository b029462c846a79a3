//! The fast `_stats_history.csv` reader against polars' reader as the oracle: wherever the fast
//! reader reads a file (instead of handing it to polars), polars reads the same rows.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temp dir"))
}

fuzz_target!(|data: &[u8]| {
    let path = dir().path().join("fuzz_stats_history.csv");
    std::fs::write(&path, data).expect("write the input");
    if let Err(difference) = captest_analyze::fuzzing::history_agrees_with_polars(&path) {
        panic!("the readers disagree: {difference}");
    }
});
