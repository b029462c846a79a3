//! `captest … --web` as a child process for the live page's tests: its address read from its
//! first line, its JSON API called over plain HTTP/1.0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{captest, wait_for_exit};

/// A captest load command serving its web page; killed on drop if still running.
pub struct WebRun {
    child: Child,
    /// `127.0.0.1:PORT` of the page.
    pub address: String,
    /// The `Authorization` header sent with [`WebRun::stats`] and [`WebRun::control`].
    pub authorization: Option<String>,
    stdout: PathBuf,
}

impl WebRun {
    /// Starts `captest ARGS --web=127.0.0.1:0` (stdout to `dir/stdout.txt`) and waits for the
    /// page's address.
    pub fn start(dir: &Path, args: &[&str]) -> WebRun {
        let stdout = dir.join("stdout.txt");
        let child = captest()
            .args(args)
            .arg("--web=127.0.0.1:0")
            .current_dir(dir)
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(Stdio::inherit())
            .spawn()
            .expect("captest runs");
        let started = Instant::now();
        let address = loop {
            let text = std::fs::read_to_string(&stdout).unwrap_or_default();
            if let Some(rest) = text.split("web page at http://").nth(1) {
                break rest.split('/').next().expect("an address").to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no web page: {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        WebRun {
            child,
            address,
            authorization: None,
            stdout,
        }
    }

    /// `http://ADDRESS/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// What captest printed so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Waits for the exit (at most `limit`).
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        wait_for_exit(&mut self.child, limit)
    }

    /// `GET /api/stats`.
    pub fn stats(&self) -> Value {
        let (status, body) = request(
            &self.address,
            "GET",
            "/api/stats",
            "",
            self.authorization.as_deref(),
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// `POST /api/control` with `body`: the status and the JSON answer.
    pub fn control(&self, body: &str) -> (u16, Value) {
        let (status, text) = request(
            &self.address,
            "POST",
            "/api/control",
            body,
            self.authorization.as_deref(),
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Waits until `/api/stats` satisfies `ready` (at most 20 s) and returns it.
    pub fn stats_until(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        self.stats_within(what, Duration::from_secs(20), ready)
    }

    /// Waits until `/api/stats` satisfies `ready` (at most `limit`) and returns it.
    pub fn stats_within(
        &self,
        what: &str,
        limit: Duration,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        let started = Instant::now();
        loop {
            let stats = self.stats();
            if ready(&stats) {
                return stats;
            }
            assert!(started.elapsed() < limit, "never {what}: {stats}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for WebRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `method path` with `body` to `address` (with `authorization` if given): the status
/// and the body. Status 0 when nothing answered.
pub fn request(
    address: &str,
    method: &str,
    path: &str,
    body: &str,
    authorization: Option<&str>,
) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let sent = write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut response = String::new();
    if sent.is_err() || stream.read_to_string(&mut response).is_err() {
        return (0, String::new());
    }
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        return (0, String::new());
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}
