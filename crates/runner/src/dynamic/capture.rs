//! Checks on responses and captures of values from them into the user's variables.

use bytes::Bytes;
use http::HeaderMap;
use minijinja::Value;

use super::UserState;

/// A condition the response body must meet for the request to succeed.
#[derive(Debug, Clone)]
pub enum ResponseCheck {
    /// The body contains this text.
    Contains(String),
    /// The body is JSON and has a value at this JSON pointer (e.g. `/id`).
    JsonExists(String),
}

/// Where a captured value comes from.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// A JSON pointer into the body (e.g. `/token`).
    Json(String),
    /// A response header.
    Header(String),
    /// The first group (or the whole match) of a regex on the body.
    Regex(regex::Regex),
}

/// Stores a value of the response in a user variable.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The variable.
    pub var: String,
    /// Where from.
    pub source: CaptureSource,
}

fn json_value(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::String(s) => Value::from(s.clone()),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_f64().map(Value::from))
            .unwrap_or_else(|| Value::from(n.to_string())),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Null => Value::from(()),
        other => Value::from_serialize(other),
    }
}

/// Applies `checks` and `captures` to a response; the error describes the first that failed.
pub fn inspect(
    checks: &[ResponseCheck],
    captures: &[Capture],
    headers: &HeaderMap,
    body: Option<&Bytes>,
    state: &mut UserState,
) -> Result<(), String> {
    let body = body.map(|b| b.as_ref()).unwrap_or(&[]);
    let mut json: Option<Option<serde_json::Value>> = None;
    let mut parsed = || -> Option<serde_json::Value> {
        json.get_or_insert_with(|| serde_json::from_slice(body).ok())
            .clone()
    };
    for check in checks {
        match check {
            ResponseCheck::Contains(text) => {
                if !String::from_utf8_lossy(body).contains(text.as_str()) {
                    return Err(format!("CheckFailed('body does not contain {text:?}')"));
                }
            }
            ResponseCheck::JsonExists(pointer) => {
                if parsed().and_then(|j| j.pointer(pointer).cloned()).is_none() {
                    return Err(format!("CheckFailed('no JSON value at {pointer}')"));
                }
            }
        }
    }
    for capture in captures {
        let value = match &capture.source {
            CaptureSource::Json(pointer) => {
                parsed().and_then(|j| j.pointer(pointer).map(json_value))
            }
            CaptureSource::Header(name) => headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .map(|v| Value::from(v.to_owned())),
            CaptureSource::Regex(regex) => {
                let text = String::from_utf8_lossy(body);
                regex.captures(&text).and_then(|c| {
                    c.get(1)
                        .or_else(|| c.get(0))
                        .map(|m| Value::from(m.as_str().to_owned()))
                })
            }
        };
        match value {
            Some(value) => state.set(&capture.var, value),
            // The variable name only, never a value (captured values may be secrets).
            None => {
                return Err(format!(
                    "CaptureError('nothing to capture into {}')",
                    capture.var
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_json_header_and_regex_and_checks_bodies() {
        let mut state = UserState::default();
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "abc".parse().unwrap());
        let body = Bytes::from_static(br#"{"id": 100001, "token": "t-1", "note": "order #42"}"#);
        let captures = [
            Capture {
                var: "id".into(),
                source: CaptureSource::Json("/id".into()),
            },
            Capture {
                var: "rid".into(),
                source: CaptureSource::Header("x-request-id".into()),
            },
            Capture {
                var: "order".into(),
                source: CaptureSource::Regex(regex::Regex::new(r"#(\d+)").unwrap()),
            },
        ];
        let checks = [
            ResponseCheck::Contains("token".into()),
            ResponseCheck::JsonExists("/id".into()),
        ];
        inspect(&checks, &captures, &headers, Some(&body), &mut state).unwrap();
        assert_eq!(state.vars["id"], Value::from(100001));
        assert_eq!(state.vars["rid"], Value::from("abc"));
        assert_eq!(state.vars["order"], Value::from("42"));
        let missing = [Capture {
            var: "secret".into(),
            source: CaptureSource::Json("/nope".into()),
        }];
        let error = inspect(&[], &missing, &headers, Some(&body), &mut state).unwrap_err();
        assert!(error.contains("secret") && !error.contains("t-1"));
        assert!(inspect(
            &[ResponseCheck::Contains("zzz".into())],
            &[],
            &headers,
            Some(&body),
            &mut state
        )
        .is_err());
    }
}
