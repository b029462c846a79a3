//! Which entries a rule applies to: every entry, or those an [`EntryPattern`] matches.

use std::fmt;

use crate::entry::Entry;

/// Which entries a rule applies to.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Scope {
    /// Every entry and Aggregated.
    All,
    /// Entries the pattern matches.
    Entry(EntryPattern),
}

impl Scope {
    /// Whether `entry` is in scope.
    pub fn covers(&self, entry: &Entry) -> bool {
        match self {
            Scope::All => true,
            Scope::Entry(pattern) => pattern.matches(entry),
        }
    }
}

/// The ENTRY of a rule, `GET /item/[id]`, `/item/*` or `Aggregated`: a glob (`*` any run of
/// characters, `?` one) matched against an entry's label (`METHOD name`, `Aggregated`) and
/// against its name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct EntryPattern(String);

impl EntryPattern {
    /// The pattern as written.
    pub fn new(text: impl Into<String>) -> EntryPattern {
        EntryPattern(text.into())
    }

    /// Whether `entry`'s label or name matches.
    pub fn matches(&self, entry: &Entry) -> bool {
        glob(&self.0, &entry.to_string()) || glob(&self.0, entry.name())
    }
}

impl fmt::Display for EntryPattern {
    /// The pattern as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `*` matches any run of characters, `?` one; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_an_entry_exactly_or_by_glob() {
        let get = Entry::from_row("GET", "/item/[id]");
        let scope = Scope::Entry(EntryPattern::new("GET /item/[id]"));
        assert!(scope.covers(&get));
        assert!(!scope.covers(&Entry::from_row("PUT", "/item/[id]")));
        let items = EntryPattern::new("/item/*");
        assert!(items.matches(&Entry::from_row("DELETE", "/item/[id]")));
        assert!(!items.matches(&Entry::from_row("GET", "/items")));
        assert!(EntryPattern::new("Aggregated").matches(&Entry::Aggregated));
        assert!(!EntryPattern::new("Aggregated").matches(&get));
        assert!(Scope::All.covers(&Entry::Aggregated));
        assert_eq!(EntryPattern::new("/item/*").to_string(), "/item/*");
    }
}
