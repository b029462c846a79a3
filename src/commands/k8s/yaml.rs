//! YAML text of a JSON value, in block style, for the manifests `captest k8s render` prints.
//!
//! The manifests hold only maps, lists, strings, whole numbers and booleans, so this writes that
//! subset rather than bring in a YAML library (serde_yaml is deprecated; its forks compile a
//! translated libyaml). Keys come out sorted, as `kubectl get -o yaml` prints them. A string is
//! written plain only when no YAML 1.1 or 1.2 reader could take it for anything but that string;
//! a multi-line one (the scenario file) as a literal block when it can be, else double-quoted
//! with YAML's escapes.

use std::fmt::Write;

use serde_json::Value;

/// `documents` as one multi-document YAML stream: each begins with `---`.
pub fn stream(documents: &[Value]) -> String {
    let mut out = String::new();
    for document in documents {
        out.push_str("---\n");
        block(&mut out, document, 0);
    }
    out
}

/// Writes `value` as the lines of a block at `indent` (a map's keys, a list's items).
fn block(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                pad(out, indent);
                out.push_str(&key_text(key));
                out.push(':');
                after_key(out, item, indent);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                pad(out, indent);
                out.push('-');
                after_dash(out, item, indent);
            }
        }
        other => {
            pad(out, indent);
            out.push_str(&inline(other, indent));
            out.push('\n');
        }
    }
}

/// What follows `key:` — a scalar on the line, or a nested block (a list at the key's indent).
fn after_key(out: &mut String, item: &Value, indent: usize) {
    match item {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            block(out, item, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            block(out, item, indent);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(item, indent + 2));
            out.push('\n');
        }
    }
}

/// What follows a list item's `-`: a map's first key on the same line, the others below it.
fn after_dash(out: &mut String, item: &Value, indent: usize) {
    match item {
        Value::Object(map) if !map.is_empty() => {
            let mut text = String::new();
            block(&mut text, item, indent + 2);
            out.push(' ');
            out.push_str(&text[indent + 2..]);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            block(out, item, indent + 2);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(item, indent + 2));
            out.push('\n');
        }
    }
}

/// A value on one line (or a literal block starting on it): scalars, `{}` and `[]`.
fn inline(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => scalar_text(text, indent),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A map key: plain, else double-quoted (never a block).
fn key_text(key: &str) -> String {
    if is_plain(key) {
        key.to_owned()
    } else {
        quoted(key)
    }
}

/// `text` as a YAML scalar: plain, a literal block (lines at `indent`), or double-quoted.
fn scalar_text(text: &str, indent: usize) -> String {
    if is_plain(text) {
        text.to_owned()
    } else if fits_literal(text) {
        literal(text, indent)
    } else {
        quoted(text)
    }
}

/// Words YAML 1.1 (PyYAML, Kubernetes' go-yaml v2 heritage) reads as booleans or null.
const RESERVED: [&str; 12] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", "inf",
];

/// Safe as a plain scalar: a letter or `/` first (or a letter after `-` or `--`, a flag), then
/// letters, digits and `_./:-` (no `: `, no final `:`), and no reserved word — so never a
/// number, boolean, null or indicator.
fn is_plain(text: &str) -> bool {
    let flag = text.strip_prefix("--").or_else(|| text.strip_prefix('-'));
    let first_ok = match flag {
        Some(name) => name.starts_with(|c: char| c.is_ascii_alphabetic()),
        None => text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/'),
    };
    first_ok
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:-".contains(c))
        && !text.ends_with(':')
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str())
}

/// A character YAML allows in a stream as it is (its `c-printable`, less the BOM).
fn is_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..)
}

/// Several lines that a literal block keeps exactly: printable, no carriage return, and a first
/// line that starts with text (the block's indentation is read from it).
fn fits_literal(text: &str) -> bool {
    text.contains('\n')
        && text.chars().all(is_printable)
        && text
            .chars()
            .next()
            .is_some_and(|c| !matches!(c, ' ' | '\t' | '\n'))
}

/// `|`, `|-` or `|+` (no, one or several final line ends kept) and the lines at `indent`.
fn literal(text: &str, indent: usize) -> String {
    let body = text.trim_end_matches('\n');
    let chomp = match text.len() - body.len() {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let mut out = format!("|{chomp}");
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(&mut out, indent);
            out.push_str(line);
        }
    }
    out
}

/// A double-quoted scalar: `\` and `"` escaped, and every character YAML does not allow raw.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
