//! Functions templates may call: `random_int(a, b)`, `random_choice(list)`, `uuid()`, `now_ms()`,
//! `env("NAME")`, `next_row("pool")`, `repeat(n, text, sep)`, `json_len(text, pointer)`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use minijinja::value::Rest;
use minijinja::{Environment, Error, ErrorKind, Value};
use rand::Rng;

/// Names of the functions templates may call (not variables).
pub const FUNCTION_NAMES: [&str; 8] = [
    "random_int",
    "random_choice",
    "uuid",
    "now_ms",
    "env",
    "next_row",
    "repeat",
    "json_len",
];

/// Whether an error detail was written by one of these functions (they start with the function's
/// name and never quote a value a template rendered), as opposed to minijinja's own messages,
/// some of which quote operands (`unable to calculate 12345 * 99`).
pub fn is_own_detail(detail: &str) -> bool {
    FUNCTION_NAMES.iter().any(|name| {
        detail
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(':'))
    })
}

/// Data pools served round-robin by `next_row("name")`, shared by every user.
#[derive(Debug, Default)]
struct Pools {
    rows: HashMap<String, (Vec<Value>, AtomicUsize)>,
}

/// Registers the functions on `env`; `pools` are the round-robin data pools.
pub fn register_functions(env: &mut Environment<'static>, pools: Vec<(String, Vec<Value>)>) {
    env.add_filter("b64encode", b64encode);
    env.add_function("random_int", random_int);
    env.add_function("random_choice", random_choice);
    env.add_function("uuid", random_uuid);
    env.add_function("now_ms", now_ms);
    env.add_function("env", env_var);
    env.add_function("repeat", repeat);
    env.add_function("json_len", json_len);
    let pools = Arc::new(Pools {
        rows: pools
            .into_iter()
            .map(|(name, rows)| (name, (rows, AtomicUsize::new(0))))
            .collect(),
    });
    env.add_function("next_row", move |name: String| pools.next_row(&name));
}

/// The `b64encode` filter: `text` in standard base64.
fn b64encode(text: String) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// `random_int(low, high)`: a random integer from `low` to `high`, both included.
fn random_int(low: i64, high: i64) -> Result<i64, Error> {
    if high < low {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "random_int: needs low <= high",
        ));
    }
    Ok(rand::rng().random_range(low..=high))
}

/// `random_choice(list)`: one item of the list, at random.
fn random_choice(items: Vec<Value>) -> Result<Value, Error> {
    if items.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "random_choice: the list is empty",
        ));
    }
    Ok(items[rand::rng().random_range(0..items.len())].clone())
}

/// `uuid()`: a random (v4) UUID. From the thread's RNG: `Uuid::new_v4` would make a getrandom
/// system call per id.
fn random_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::rng().random())
        .into_uuid()
        .to_string()
}

/// `now_ms()`: the time since the Unix epoch, ms.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `env("NAME")`: the value of an environment variable.
fn env_var(name: String, _rest: Rest<Value>) -> Result<String, Error> {
    std::env::var(&name).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("env: environment variable {name} is not set"),
        )
    })
}

/// `repeat(n, text, sep=",")`: `text` n times, for batch bodies; each copy is the same text (use
/// a `{% for %}` loop when every item needs its own random values).
fn repeat(count: usize, text: String, rest: Rest<String>) -> Result<String, Error> {
    if count > 100_000 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "repeat: count above 100000",
        ));
    }
    let separator = rest.first().map_or(",", |s| s.as_str());
    Ok(vec![text; count].join(separator))
}

/// `json_len(text, "/events")`: how many items the JSON array (or object) at that pointer holds,
/// e.g. the events of a batch body: `events = "{{ json_len(body, '/events') }}"`.
fn json_len(text: String, pointer: String) -> Result<usize, Error> {
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("json_len: not JSON: {e}"),
        )
    })?;
    match json.pointer(&pointer) {
        Some(serde_json::Value::Array(items)) => Ok(items.len()),
        Some(serde_json::Value::Object(fields)) => Ok(fields.len()),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("json_len: no array at {pointer}"),
        )),
    }
}

impl Pools {
    /// `next_row("name")`: the pool's next row, round-robin.
    fn next_row(&self, name: &str) -> Result<Value, Error> {
        let (rows, cursor) = self.rows.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("next_row: no data pool named {name}"),
            )
        })?;
        if rows.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("next_row: data pool {name} is empty"),
            ));
        }
        Ok(rows[cursor.fetch_add(1, Ordering::Relaxed) % rows.len()].clone())
    }
}
