//! `captest demo-server`: the demo target (known capacity, fault switches) in the foreground.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use captest_runner::demo_server::{
    run_until_signalled, DemoServerConfig, Fault, Slowdown, StallPlan,
};

/// Arguments of `captest demo-server`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free one. The first stdout line is
    /// `listening on http://ADDR` (`https://ADDR` with --tls).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
    /// Requests served at once; throughput saturates at capacity / service time.
    #[arg(long, default_value_t = 8)]
    pub capacity: usize,
    /// Mean time each request holds a slot (±20 % jitter), e.g. `20ms`.
    #[arg(long, default_value = "20ms", value_parser = humantime::parse_duration)]
    pub service_time: Duration,
    /// Share of work requests answering 500 (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Share of work requests answering 404 (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub not_found_rate: f64,
    /// Pause the whole server this often (with --stall-for), e.g. `5s`.
    #[arg(long, value_parser = humantime::parse_duration, requires = "stall_for")]
    pub stall_every: Option<Duration>,
    /// Length of each pause, e.g. `500ms`.
    #[arg(long, value_parser = humantime::parse_duration, requires = "stall_every")]
    pub stall_for: Option<Duration>,
    /// Worker threads of the server.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Serve HTTPS with a self-signed certificate made at start (for localhost, 127.0.0.1, ::1).
    #[arg(long)]
    pub tls: bool,
    /// Write the certificate (PEM) here before listening, for a client's --cacert.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_cert_out: Option<PathBuf>,
    /// Serve HTTP/2 as well: by ALPN with --tls, by prior knowledge (h2c) without.
    #[arg(long)]
    pub http2: bool,
    /// Compress response bodies as the request's Accept-Encoding allows (gzip, br, deflate).
    #[arg(long)]
    pub compress: bool,
    /// Plant a regression: `'GET /item/{id}:+40ms@10%'` adds 40 ms to 10 % of that route's
    /// requests, `'POST /items:+30%'` scales its service time by 1.30 (share default 100 %);
    /// slept after the capacity slot is released (repeatable).
    #[arg(long, value_name = "ROUTE:+EXTRA[@SHARE]")]
    pub slow: Vec<String>,
    /// Misbehave on a share of requests (default all), e.g. `reset-mid-body:0.2`: refused,
    /// reset-before-response, reset-mid-body, close-without-response, malformed-status,
    /// invalid-header, huge-headers, truncated-chunked, short-body, endless-body, slowloris,
    /// huge-body, tls-garbage (with --tls; per connection), unsolicited (repeatable; HTTP/1.1).
    #[arg(long, value_name = "KIND[:RATE]")]
    pub fault: Vec<String>,
}

impl Args {
    /// The server settings these flags describe; a bad `--slow` spec is an error naming it.
    pub fn config(&self) -> anyhow::Result<DemoServerConfig> {
        let slow = self
            .slow
            .iter()
            .map(|spec| spec.parse::<Slowdown>())
            .collect::<Result<_, _>>()?;
        let faults = self
            .fault
            .iter()
            .map(|spec| spec.parse::<Fault>())
            .collect::<Result<_, _>>()?;
        Ok(DemoServerConfig {
            capacity: self.capacity,
            service_time: self.service_time,
            error_rate: self.error_rate,
            not_found_rate: self.not_found_rate,
            stall: self
                .stall_every
                .zip(self.stall_for)
                .map(|(every, length)| StallPlan { every, length }),
            threads: self.threads,
            tls: self.tls,
            tls_cert_out: self.tls_cert_out.clone(),
            http2: self.http2,
            compress: self.compress,
            slow,
            faults,
            ..DemoServerConfig::default()
        })
    }
}

/// Serves until SIGINT/SIGTERM, then prints what was received (JSON) on stderr.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let max = config.max_throughput();
    let slow = config.slow.clone();
    let faults = config.faults.clone();
    let scheme = if config.tls { "https" } else { "http" };
    let counters = run_until_signalled(config, args.bind, |address| {
        outln!("listening on {scheme}://{address}");
        let _ = std::io::stdout().flush();
        eprintln!("demo server: capacity {max:.0} req/s; GET /__counters tells what it received");
        for slow in &slow {
            eprintln!("demo server: slowed {slow}");
        }
        for fault in &faults {
            eprintln!("demo server: fault {fault}");
        }
    })
    .context("demo server")?;
    eprintln!(
        "{}",
        serde_json::to_string(&counters).context("serialize counters")?
    );
    Ok(ExitCode::SUCCESS)
}
