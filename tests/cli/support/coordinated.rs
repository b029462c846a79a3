//! A coordinated run on loopback: `captest coordinator` on a free port and shards joining it.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{captest, wait_for_exit, DemoServer};

/// A running `captest coordinator`.
pub struct CoordinatorProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stderr: Option<JoinHandle<String>>,
    stdout: Option<JoinHandle<String>>,
    /// The merged run's prefix.
    pub merged: PathBuf,
}

/// How a coordinator ended: its exit code, stdout and stderr.
pub struct Ended {
    /// Exit code.
    pub code: Option<i32>,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

impl CoordinatorProcess {
    /// Starts `captest coordinator --expect-shards SHARDS EXTRA… COMMAND… --host SERVER --csv
    /// DIR/merged/run` and waits for its `listening on` line.
    pub fn start(
        dir: &Path,
        shards: usize,
        extra: &[&str],
        command: &[&str],
        server: &DemoServer,
    ) -> CoordinatorProcess {
        let merged = dir.join("merged/run");
        let mut child = captest()
            .args(["coordinator", "--expect-shards", &shards.to_string()])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .args(command)
            .args(["--host", &server.url, "--csv"])
            .arg(&merged)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("captest coordinator starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("a first line");
        let address = line
            .strip_prefix("captest coordinator listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let mut stdout = child.stdout.take().expect("piped stdout");
        CoordinatorProcess {
            child,
            url: format!("http://{address}"),
            stderr: Some(std::thread::spawn(move || {
                let mut rest = String::new();
                let _ = stderr.read_to_string(&mut rest);
                rest
            })),
            stdout: Some(std::thread::spawn(move || {
                let mut all = String::new();
                let _ = stdout.read_to_string(&mut all);
                all
            })),
            merged,
        }
    }

    /// Kills it (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits (at most `limit`) for it to end.
    pub fn wait(mut self, limit: Duration) -> Ended {
        let status = wait_for_exit(&mut self.child, limit);
        let text = |handle: Option<JoinHandle<String>>| {
            handle
                .map(|h| h.join().unwrap_or_default())
                .unwrap_or_default()
        };
        Ended {
            code: status.code(),
            stdout: text(self.stdout.take()),
            stderr: text(self.stderr.take()),
        }
    }
}

impl Drop for CoordinatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts shard `index` of `count` running `command` against `server`, joining `coordinator`,
/// its files under `DIR/shard-I/run`; its prefix and process.
pub fn start_shard(
    dir: &Path,
    index: usize,
    count: usize,
    command: &[&str],
    server: &DemoServer,
    coordinator: &str,
) -> (PathBuf, Child) {
    let prefix = dir.join(format!("shard-{index}/run"));
    let child = captest()
        .args(command)
        .args(["--host", &server.url, "-q", "--coordinator", coordinator])
        .args(["--shard", &format!("{index}/{count}"), "--csv"])
        .arg(&prefix)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a shard starts");
    (prefix, child)
}

/// Waits for a shard and returns its exit code and stderr.
pub fn end_shard(mut child: Child) -> (Option<i32>, String) {
    let status = wait_for_exit(&mut child, Duration::from_secs(40));
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    (status.code(), stderr)
}
