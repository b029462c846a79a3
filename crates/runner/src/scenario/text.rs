//! Text helpers of the scenario loader: template detection, JSON bodies with expressions,
//! `env("NAME")` discovery, CSV data pools.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::Value;

use super::model::{CsvPool, UserFile};

pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

pub fn toml_to_value(value: &toml::Value) -> Value {
    Value::from_serialize(value)
}

/// The JSON text of a `json = {...}` body. A string value that is one whole `{{ expression }}`
/// becomes `{{ (expression) | tojson }}`, so numbers stay numbers and strings are quoted and
/// escaped; strings with text around a template stay strings.
pub fn json_body_text(value: &toml::Value) -> String {
    let mut expressions = Vec::new();
    fn walk(value: &toml::Value, expressions: &mut Vec<String>) -> serde_json::Value {
        match value {
            toml::Value::String(text) => {
                let trimmed = text.trim();
                let whole = trimmed.starts_with("{{")
                    && trimmed.ends_with("}}")
                    && trimmed.matches("{{").count() == 1;
                if whole {
                    expressions.push(trimmed[2..trimmed.len() - 2].trim().to_owned());
                    serde_json::Value::String(format!(
                        "\u{0}captest-expression-{}\u{0}",
                        expressions.len() - 1
                    ))
                } else {
                    serde_json::Value::String(text.clone())
                }
            }
            toml::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|v| walk(v, expressions)).collect())
            }
            toml::Value::Table(table) => serde_json::Value::Object(
                table
                    .iter()
                    .map(|(k, v)| (k.clone(), walk(v, expressions)))
                    .collect(),
            ),
            other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
        }
    }
    let mut text = walk(value, &mut expressions).to_string();
    for (index, expression) in expressions.iter().enumerate() {
        let placeholder =
            serde_json::Value::String(format!("\u{0}captest-expression-{index}\u{0}")).to_string();
        text = text.replacen(
            &placeholder,
            &format!("{{{{ ({expression}) | tojson }}}}"),
            1,
        );
    }
    text
}

/// The names `env("NAME")` calls in `source` ask for.
pub fn env_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("env(") {
        let after = rest[at + 4..].trim_start();
        if let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
            if let Some(end) = after[1..].find(quote) {
                names.push(after[1..1 + end].to_owned());
            }
        }
        rest = &rest[at + 4..];
    }
    names
}

pub fn captures_of(user: &UserFile) -> impl Iterator<Item = &String> {
    user.on_start
        .iter()
        .chain(user.sequence.iter())
        .chain(user.tasks.iter().flat_map(|t| t.requests.iter()))
        .flat_map(|r| r.capture.keys())
}

pub fn read_pool(path: &Path, pool: &CsvPool) -> Result<Vec<Value>, String> {
    let file = path.parent().unwrap_or(Path::new(".")).join(&pool.csv);
    let mut reader = csv::Reader::from_path(&file)
        .map_err(|e| format!("cannot read data file {}: {e}", file.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", file.display()))?
        .clone();
    let column = match &pool.column {
        Some(column) => Some(
            headers
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| format!("{}: no column {column:?}", file.display()))?,
        ),
        None => None,
    };
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| format!("{}: {e}", file.display()))?;
            Ok(match column {
                Some(index) => Value::from(record.get(index).unwrap_or("").to_owned()),
                None => Value::from_serialize(
                    headers
                        .iter()
                        .zip(record.iter())
                        .collect::<BTreeMap<_, _>>(),
                ),
            })
        })
        .collect()
}

/// `("http://host:port", "/path?query")` for a full URL, `None` for a path.
pub fn split_origin(text: &str) -> Option<(&str, &str)> {
    let scheme_end = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))
        .map(|rest| text.len() - rest.len())?;
    let path_start = text[scheme_end..]
        .find('/')
        .map_or(text.len(), |i| scheme_end + i);
    let (origin, path) = text.split_at(path_start);
    Some((origin, if path.is_empty() { "/" } else { path }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls_into_origin_and_path() {
        assert_eq!(
            split_origin("http://127.0.0.1:9/a?b=1"),
            Some(("http://127.0.0.1:9", "/a?b=1"))
        );
        assert_eq!(split_origin("http://h"), Some(("http://h", "/")));
        assert_eq!(split_origin("/items"), None);
    }
}
