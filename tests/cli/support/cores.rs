//! Load tests and the headless browser take turns on the cores.
//!
//! All tests run as threads of one binary, as many at a time as there are cores. A headless
//! browser takes every core in bursts, and a load test's figures (closed-model throughput,
//! latency) assume they are free: with the browser tests beside it, `rate`'s closed model made
//! 131-146 req/s instead of ~200 on 2 cores, in each of 4 runs. So the two never overlap: load
//! starts only while no browser runs, a browser only while no load does (loads may overlap loads
//! and browsers browsers, as when each test file was its own binary). Neither waits for the other
//! kind while it is only waiting, so a test may start a second server without deadlock.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Who is on the cores.
struct Cores {
    /// Loads running (demo servers up, `captest demo` running).
    loads: usize,
    /// Browsers running.
    browsers: usize,
}

static CORES: Mutex<Cores> = Mutex::new(Cores {
    loads: 0,
    browsers: 0,
});
static CORES_CHANGED: Condvar = Condvar::new();

fn lock() -> MutexGuard<'static, Cores> {
    CORES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits until `ready` holds for the cores and returns them locked.
fn wait_until(ready: impl Fn(&Cores) -> bool) -> MutexGuard<'static, Cores> {
    CORES_CHANGED
        .wait_while(lock(), |cores| !ready(cores))
        .unwrap_or_else(PoisonError::into_inner)
}

/// Held while load runs (a demo server is up, `captest demo` runs): no browser meanwhile.
pub struct Load(());

impl Load {
    /// Waits for running browsers to finish.
    pub fn start() -> Load {
        wait_until(|cores| cores.browsers == 0).loads += 1;
        Load(())
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        lock().loads -= 1;
        CORES_CHANGED.notify_all();
    }
}

/// Held while a headless browser runs: no load meanwhile.
pub struct Browser(());

impl Browser {
    /// Waits for running loads to finish.
    pub fn start() -> Browser {
        wait_until(|cores| cores.loads == 0).browsers += 1;
        Browser(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        lock().browsers -= 1;
        CORES_CHANGED.notify_all();
    }
}
