//! The HDR interval log reader (`_latency.hdr`): any bytes give a log or an error naming the
//! line, never a panic; a log read gives its histograms and spans.
#![no_main]

use std::sync::OnceLock;

use captest_analyze::LatencyLog;
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temp dir"))
}

fuzz_target!(|data: &[u8]| {
    let path = dir().path().join("fuzz_latency.hdr");
    std::fs::write(&path, data).expect("write the input");
    match LatencyLog::read(&path) {
        Ok(log) => {
            let _ = log.start_time();
            for entry in log.entries() {
                let _ = log.histogram(&entry, f64::NEG_INFINITY, f64::INFINITY);
                let _ = log.intervals(&entry, 0.0, 1e12);
                let _ = log.spans(&entry);
            }
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
