//! A real Prometheus server (Debian's `prometheus`) for the `--metrics` tests: started on a free
//! loopback port with a temporary config (one target, scraped every second) and storage, queried
//! through its HTTP API, killed on drop. Also plain HTTP GETs of captest's `/metrics`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::closed_port;

/// `GET path` from `address` (HTTP/1.0, so the answer is never chunked): status and body, or
/// `None` while nothing listens there.
pub fn http_get(address: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// `text` percent-encoded for a query string (everything but letters and digits).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What `promtool check metrics` says of `text`: success, and its output.
pub fn promtool_check(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (./test.sh installs the prometheus package)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool ends");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

/// A Prometheus server scraping one target every second.
pub struct Prometheus {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (`HOST:PORT`) every second and waits until it is
    /// ready and has the target among its active ones (at most 30 s: its discovery hands
    /// targets over about 5 s after the start).
    pub fn start(target: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: captest\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write the config");
        let address = format!("127.0.0.1:{}", closed_port());
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus runs (./test.sh installs the prometheus package)");
        let prometheus = Prometheus {
            child,
            address,
            _dir: dir,
        };
        let scrape_url = format!("\"scrapeUrl\":\"http://{target}/metrics\"");
        let started = Instant::now();
        loop {
            if let Some((200, body)) = http_get(&prometheus.address, "/api/v1/targets") {
                if body.contains(&scrape_url) {
                    return prometheus;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Prometheus did not take its target in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `data.result` of an instant query of `promql` (at `time`, epoch seconds, or now).
    pub fn query(&self, promql: &str, time: Option<f64>) -> Vec<serde_json::Value> {
        let mut path = format!("/api/v1/query?query={}", encode(promql));
        if let Some(time) = time {
            path.push_str(&format!("&time={time:.3}"));
        }
        let (status, body) = http_get(&self.address, &path).expect("Prometheus answers");
        assert_eq!(status, 200, "{promql}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("{promql}: no result in {body}"))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
