//! A small harness for end-to-end tests of the `captest` binary: temp dirs, CSV reading, free
//! loopback ports and demo servers started as child processes.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub mod analyze;
pub mod compare;
pub mod coordinated;
pub mod cores;
pub mod disk;
pub mod docker;
pub mod faults;
pub mod nginx;
pub mod prometheus;
pub mod proxy;
pub mod report;
pub mod scenario;
pub mod web;
pub mod webdriver;

/// `column` of a CSV row, parsed as a number.
pub fn number(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?} is a number", row[column]))
}

/// Sends signal `name` (`INT`, `TERM`, `KILL`) to `child`.
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name}");
}

/// Waits for `child` to exit, failing the test if it takes longer than `limit`.
pub fn wait_for_exit(child: &mut Child, limit: std::time::Duration) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            return exit;
        }
        assert!(
            started.elapsed() < limit,
            "captest did not stop within {limit:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The `captest` binary under test.
pub fn captest() -> Command {
    Command::new(env!("CARGO_BIN_EXE_captest"))
}

/// Runs `captest` with `args` and returns its output.
pub fn run_captest(args: &[&str]) -> Output {
    captest()
        .args(args)
        .output()
        .expect("the captest binary runs")
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}

/// The rows of a CSV file as string maps keyed by header.
pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("{} is readable CSV: {e}", path.display()));
    let headers = reader.headers().expect("a header line").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed CSV record");
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// The first line of a file, line ending included.
pub fn first_line(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let end = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| i + 2)
        .unwrap_or(bytes.len());
    bytes[..end].to_vec()
}

/// `PREFIX` + `suffix` as a path: the format crate's helper, the one the runner and analyze use.
pub use captest_format::files::prefixed as with_suffix;

/// The real Locust runs in the repository (`tests/fixtures/locust`, described in its README.md).
pub fn locust_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join("locust")
}

/// A `captest demo-server` child process on a free loopback port; killed on drop. While it is
/// up, no headless browser runs (`cores`).
pub struct DemoServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Released after the server is killed.
    _load: cores::Load,
}

impl DemoServer {
    /// Starts `captest demo-server` with extra flags and waits for its `listening on` line.
    pub fn start(extra: &[&str]) -> DemoServer {
        Self::spawn(extra, Stdio::inherit())
    }

    /// Starts `captest demo-server` with its stderr kept (for [`DemoServer::stop`]).
    pub fn start_quiet(extra: &[&str]) -> DemoServer {
        Self::spawn(extra, Stdio::piped())
    }

    /// Stops the server (SIGTERM) and returns what it says it received: the JSON it prints on
    /// stderr when it stops (for servers whose `/__counters` is behind TLS).
    pub fn stop(mut self) -> serde_json::Value {
        signal(&self.child, "TERM");
        wait_for_exit(&mut self.child, std::time::Duration::from_secs(10));
        let mut stderr = String::new();
        use std::io::Read;
        self.child
            .stderr
            .take()
            .expect("started with start_quiet")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        let line = stderr
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no counters on stderr: {stderr}"));
        serde_json::from_str(line).expect("counters are JSON")
    }

    fn spawn(extra: &[&str], stderr: Stdio) -> DemoServer {
        let load = cores::Load::start();
        let default_bind: &[&str] = if extra.contains(&"--bind") {
            &[]
        } else {
            &["--bind", "127.0.0.1:0"]
        };
        let mut child = captest()
            .arg("demo-server")
            .args(default_bind)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("captest demo-server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the demo server prints its address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        DemoServer {
            child,
            url,
            _load: load,
        }
    }

    /// What the server says it received (`GET /__counters`).
    pub fn counters(&self) -> serde_json::Value {
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect to demo server");
        use std::io::{Read, Write};
        write!(
            stream,
            "GET /__counters HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .expect("an HTTP response");
        serde_json::from_str(body.trim())
            .or_else(|_| {
                // A chunked body: take the JSON object between the first '{' and the last '}'.
                let start = body.find('{').unwrap_or(0);
                let end = body.rfind('}').map(|i| i + 1).unwrap_or(body.len());
                serde_json::from_str(&body[start..end])
            })
            .expect("counters are JSON")
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
