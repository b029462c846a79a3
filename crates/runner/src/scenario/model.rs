//! The TOML scenario file as written: user classes, tasks, requests, data pools.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Data pools: inline lists or CSV files, visible to templates by name.
    #[serde(default)]
    pub data: BTreeMap<String, Spanned<DataPool>>,
    /// Variables every user starts with.
    #[serde(default)]
    pub vars: BTreeMap<String, toml::Value>,
    /// User classes (`[[users]]`).
    pub users: Vec<UserFile>,
    /// A cookie jar per user (default true; `--no-cookies` wins).
    pub cookies: Option<bool>,
    /// HTTP/2 (`--http2` wins).
    pub http2: Option<bool>,
    /// TLS settings (`[tls]`); the command line's flags win.
    pub tls: Option<TlsFile>,
    /// Credentials sent with every request that has none of its own.
    pub auth: Option<AuthFile>,
}

/// The `[tls]` table; paths are relative to the scenario file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// Extra CA certificates (PEM).
    pub cacert: Option<String>,
    /// Client certificate (PEM) for mutual TLS.
    pub cert: Option<String>,
    /// The client certificate's key (PEM).
    pub key: Option<String>,
    /// Skip certificate verification.
    pub insecure: Option<bool>,
    /// Resume TLS sessions on reconnect (default true).
    pub resumption: Option<bool>,
}

/// Credentials: `auth = { basic = ["user", "password"] }` (values may be templates).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    /// HTTP basic authentication: user and password.
    pub basic: [String; 2],
}

/// A data pool.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum DataPool {
    /// Values listed in the file.
    Inline(Vec<toml::Value>),
    /// Rows of a CSV file (relative to the scenario file).
    File(CsvPool),
}

/// A CSV data pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvPool {
    /// The file.
    pub csv: String,
    /// One column's values (default: each row as a map of column → value).
    pub column: Option<String>,
}

/// A user class (`[[users]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFile {
    /// Name, selectable on the command line.
    pub name: String,
    /// Relative share of the users.
    #[serde(default = "one")]
    pub weight: u32,
    /// Exactly this many users of the class, spawned first (the weight is then ignored).
    pub fixed_count: Option<u32>,
    /// Pause between tasks (default none).
    pub wait: Option<WaitFile>,
    /// Variables each user of the class starts with.
    #[serde(default)]
    pub vars: BTreeMap<String, toml::Value>,
    /// Requests run once when a user starts (a login).
    #[serde(default)]
    pub on_start: Vec<RequestFile>,
    /// Weighted tasks (`[[users.tasks]]`).
    #[serde(default)]
    pub tasks: Vec<TaskFile>,
    /// An ordered flow run as one task, again and again (`[[users.sequence]]`).
    #[serde(default)]
    pub sequence: Vec<RequestFile>,
}

fn one() -> u32 {
    1
}

/// Locust's wait times.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum WaitFile {
    /// `constant = "1s"`.
    Constant(String),
    /// `between = ["1s", "3s"]`.
    Between([String; 2]),
    /// `pacing = "2s"` (constant_pacing).
    Pacing(String),
    /// `throughput = 0.5` tasks per second per user (constant_throughput).
    Throughput(f64),
}

/// A weighted task: one request or a flow of requests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFile {
    /// Task name (default: its first request's name).
    pub name: Option<String>,
    /// Relative weight among the class's tasks.
    #[serde(default = "one")]
    pub weight: u32,
    /// Tags for `--tags` / `--exclude-tags`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The requests, in order (`[[users.tasks.requests]]`).
    pub requests: Vec<RequestFile>,
}

/// One request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFile {
    /// HTTP method (default GET).
    #[serde(default = "get")]
    pub method: String,
    /// Path and query (a template), joined with the host's base path.
    pub path: Spanned<String>,
    /// Name requests are grouped under in the stats (default: the path as written).
    pub name: Option<String>,
    /// Query parameters appended to the path (values are templates).
    #[serde(default)]
    pub query: BTreeMap<String, Spanned<String>>,
    /// Headers (values are templates).
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    /// A JSON body (string values are templates); sets Content-Type: application/json.
    pub json: Option<Spanned<toml::Value>>,
    /// A raw body (a template).
    pub body: Option<Spanned<String>>,
    /// Statuses that count as success (default: any below 400).
    pub expect: Option<Spanned<Vec<u16>>>,
    /// The body must contain this text.
    pub contains: Option<String>,
    /// The body must be JSON with a value at this pointer.
    pub json_exists: Option<Spanned<String>>,
    /// Values to capture into user variables: `{ token = { json = "/token" } }`.
    #[serde(default)]
    pub capture: BTreeMap<String, Spanned<CaptureFile>>,
    /// Business events this request carries: a number, or a template over the request (its
    /// rendered body is `body`), e.g. `"{{ (body | length) // 100 }}"`.
    pub events: Option<EventsFile>,
    /// Timeout of this request, e.g. "5s".
    pub timeout: Option<String>,
    /// Follow redirects (default true, false for HEAD).
    pub follow_redirects: Option<bool>,
    /// Decode gzip/deflate/br bodies (default true).
    pub decompress: Option<bool>,
    /// Credentials for this request (overrides the file's `auth`).
    pub auth: Option<AuthFile>,
}

fn get() -> String {
    "GET".to_owned()
}

/// Business events of a request.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum EventsFile {
    /// The same number for every request.
    Count(f64),
    /// A template rendered after each successful request.
    Template(String),
}

/// Where a captured value comes from.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CaptureFile {
    /// A JSON pointer into the body.
    Json(String),
    /// A response header.
    Header(String),
    /// A regex on the body (first group, or the whole match).
    Regex(String),
}
