//! nginx (Debian's package) started on free loopback ports for the tests that need a real
//! third-party server: TLS with a certificate made here, HTTP/2, gzip, a redirect and a
//! cookie-guarded location. Its access log is what it served.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::closed_port;

/// A certificate and key for `localhost`/127.0.0.1/::1, written as PEM files.
pub struct TestCertificate {
    /// The certificate (also the CA to trust: it is self-signed).
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
}

/// Writes a self-signed certificate for loopback names into `dir`.
pub fn certificate(dir: &Path) -> TestCertificate {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names).expect("rcgen makes a certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).expect("write cert.pem");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key.pem");
    TestCertificate { cert, key }
}

/// A running nginx; stopped on drop.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
    /// `https://127.0.0.1:PORT` (TLS, HTTP/2 by ALPN).
    pub https: String,
    /// `http://127.0.0.1:PORT` (plain HTTP/1.1).
    pub http: String,
    /// The certificate nginx serves (a --cacert for captest).
    pub cert: PathBuf,
}

/// Bytes of the text file nginx serves gzip-compressed at `/static/page.txt`.
pub const PAGE_BYTES: usize = 20_000;

impl Nginx {
    /// Whether nginx is installed (`./test.sh` installs it; a test without it fails loudly).
    pub fn installed() -> bool {
        Path::new("/usr/sbin/nginx").exists()
    }

    /// Starts nginx with its files under `dir`.
    pub fn start(dir: &Path) -> Nginx {
        assert!(
            Self::installed(),
            "nginx is not installed: run ./test.sh (it installs it)"
        );
        let cert = certificate(dir);
        let (tls_port, plain_port) = (closed_port(), closed_port());
        let page: String = (0..PAGE_BYTES)
            .map(|i| (b'a' + (i % 7) as u8) as char)
            .collect();
        std::fs::create_dir_all(dir.join("static")).expect("static dir");
        std::fs::write(dir.join("static/page.txt"), page).expect("page");
        let d = dir.display();
        let config = format!(
            r#"daemon off;
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format counts '$request_method $request_uri $status $server_protocol $ssl_protocol $ssl_session_reused $http_user_agent';
    access_log {d}/access.log counts;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    default_type text/plain;
    keepalive_requests 1000000;
    gzip on;
    gzip_types text/plain application/json;
    gzip_min_length 100;
    ssl_session_cache shared:SSL:1m;
    ssl_session_tickets on;
    server {{
        listen 127.0.0.1:{tls_port} ssl http2;
        listen 127.0.0.1:{plain_port};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location = /hello {{ return 200 "hello from nginx\n"; }}
        location /static/ {{ alias {d}/static/; }}
        location = /old {{ return 301 /hello; }}
        location = /login {{ add_header Set-Cookie "session=s3cret; Path=/; HttpOnly"; return 200 "logged in\n"; }}
        location = /cart {{
            if ($cookie_session != "s3cret") {{ return 401 "no session\n"; }}
            return 200 "your cart\n";
        }}
    }}
}}
"#,
            cert = cert.cert.display(),
            key = cert.key.display(),
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).expect("nginx.conf");
        let child = Command::new("/usr/sbin/nginx")
            .args(["-e", &format!("{d}/error.log"), "-p", &d.to_string(), "-c"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx {
            child,
            dir: dir.to_owned(),
            https: format!("https://127.0.0.1:{tls_port}"),
            http: format!("http://127.0.0.1:{plain_port}"),
            cert: cert.cert,
        };
        nginx.wait_listening(&[tls_port, plain_port]);
        nginx
    }

    fn wait_listening(&self, ports: &[u16]) {
        let started = Instant::now();
        while !ports
            .iter()
            .all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen: {}",
                std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The access log's lines so far: `METHOD URI STATUS PROTOCOL TLS REUSED USER-AGENT`.
    pub fn access_log(&self) -> Vec<String> {
        // nginx writes each line as the request ends; a moment lets the last ones land.
        std::thread::sleep(Duration::from_millis(200));
        std::fs::read_to_string(self.dir.join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its workers (SIGKILL would leave them running).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
