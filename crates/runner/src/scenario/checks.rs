//! Load-time checks of what would otherwise only fail once requests run: statuses `expect` can
//! never see, JSON pointers without their leading `/`, and template calls naming a data pool
//! that does not exist or a pointer `json_len` cannot read. Each mistake is one error naming
//! the field, before any request is sent.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

/// `next_row("name")` with a literal name.
static NEXT_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"next_row\(\s*(?:"([^"]*)"|'([^']*)')\s*\)"#).expect("a valid regex")
});

/// `json_len(anything, "pointer")` with a literal pointer.
static JSON_LEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"json_len\([^,()]*,\s*(?:"([^"]*)"|'([^']*)')\s*\)"#).expect("a valid regex")
});

/// The lowest and highest HTTP status a server can send.
const STATUSES: std::ops::RangeInclusive<u16> = 100..=599;

/// Checks an `expect` list: every status within 100..=599 (a status outside can never come, so
/// every request would fail).
pub fn check_expect(expect: &[u16]) -> Result<(), String> {
    match expect.iter().find(|s| !STATUSES.contains(s)) {
        Some(status) => Err(format!(
            "expect: status {status} can never be received; expected HTTP statuses from 100 to 599"
        )),
        None => Ok(()),
    }
}

/// Checks a JSON pointer (RFC 6901): empty (the whole document) or starting with `/`, every `~`
/// followed by `0` or `1`.
pub fn check_pointer(field: &str, pointer: &str) -> Result<(), String> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "{field}: JSON pointer {pointer:?} must start with '/' (like \"/{pointer}\")"
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "{field}: JSON pointer {pointer:?} has a '~' not followed by 0 or 1 (write ~0 for '~', ~1 for '/')"
            ));
        }
    }
    Ok(())
}

/// Checks the calls of a template whose arguments are literals: `next_row` must name one of
/// `pools`, `json_len`'s pointer must be a valid pointer.
pub fn check_calls(template: &str, pools: &BTreeSet<String>) -> Result<(), String> {
    for found in NEXT_ROW.captures_iter(template) {
        let name = found
            .get(1)
            .or_else(|| found.get(2))
            .map_or("", |m| m.as_str());
        if !pools.contains(name) {
            let known: Vec<&str> = pools.iter().map(String::as_str).collect();
            return Err(format!(
                "next_row({name:?}): no data pool named {name:?}; expected one of the file's [data] pools: {}",
                if known.is_empty() { "(none declared)".to_owned() } else { known.join(", ") }
            ));
        }
    }
    for found in JSON_LEN.captures_iter(template) {
        let pointer = found
            .get(1)
            .or_else(|| found.get(2))
            .map_or("", |m| m.as_str());
        check_pointer("json_len", pointer)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_outside_what_a_server_sends_are_refused() {
        assert!(check_expect(&[200, 201, 599, 100]).is_ok());
        let error = check_expect(&[200, 999]).expect_err("999 is no status");
        assert!(
            error.contains("999") && error.contains("100 to 599"),
            "{error}"
        );
        assert!(check_expect(&[99]).is_err());
        assert!(check_expect(&[]).is_ok());
    }

    #[test]
    fn pointers_need_their_slash_and_valid_escapes() {
        assert!(check_pointer("json_exists", "").is_ok());
        assert!(check_pointer("json_exists", "/a/0/b~1c~0").is_ok());
        let error = check_pointer("capture token", "token").expect_err("no slash");
        assert!(
            error.starts_with("capture token:") && error.contains("\"/token\""),
            "{error}"
        );
        assert!(check_pointer("json_exists", "/a~2").is_err());
        assert!(check_pointer("json_exists", "/a~").is_err());
    }

    #[test]
    fn template_calls_name_declared_pools_and_valid_pointers() {
        let pools: BTreeSet<String> = ["users".to_owned()].into();
        assert!(check_calls("{{ next_row('users').id }}", &pools).is_ok());
        assert!(check_calls("{{ next_row(\"users\") }}", &pools).is_ok());
        let error = check_calls("/u/{{ next_row('nopool').id }}", &pools).expect_err("unknown");
        assert!(
            error.contains("\"nopool\"") && error.contains("users"),
            "{error}"
        );
        let none = check_calls("{{ next_row('x') }}", &BTreeSet::new()).expect_err("no pools");
        assert!(none.contains("(none declared)"), "{none}");
        assert!(check_calls("{{ json_len(body, '/events') }}", &pools).is_ok());
        let error = check_calls("{{ json_len(body, 'events') }}", &pools).expect_err("slash");
        assert!(error.starts_with("json_len:"), "{error}");
        // A name from a variable cannot be checked before the run; it is left alone.
        assert!(check_calls("{{ next_row(pool) }}", &pools).is_ok());
    }
}
