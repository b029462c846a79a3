//! The key of a statistics row: a request (type + name) or the Aggregated row that sums every
//! entry. Locust writes the Aggregated row with an empty `Type` and the `Name` `Aggregated`; that
//! pair is read as [`Entry::Aggregated`] and nothing else is.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The `Name` of the row that sums every entry (its `Type` is empty).
pub const AGGREGATED: &str = "Aggregated";

/// A request entry: its type (the HTTP method, `GET`) and its name (`/item/[id]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestKey {
    /// Request type, e.g. `GET`.
    pub method: String,
    /// Request name, e.g. `/item/[id]`.
    pub name: String,
}

impl RequestKey {
    /// A key from a method and a name.
    pub fn new(method: impl Into<String>, name: impl Into<String>) -> Self {
        RequestKey {
            method: method.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for RequestKey {
    /// `METHOD name`, as `_events.csv` and the console name an entry.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.name)
    }
}

/// The key of a row of `_stats.csv`, `_stats_history.csv` or `_failures.csv`.
///
/// Equality, hashing and order are those of the row's (`Type`, `Name`) cells, so the Aggregated
/// row sorts as (``, `Aggregated`) — first among entries with a method, as in a map keyed by the
/// cells.
#[derive(Debug, Clone)]
pub enum Entry {
    /// The row that sums every entry (`Type` empty, `Name` `Aggregated`).
    Aggregated,
    /// One request entry.
    Request(RequestKey),
}

impl Entry {
    /// The entry of a row whose `Type` cell is `kind` and `Name` cell is `name`.
    pub fn from_row(kind: &str, name: &str) -> Entry {
        if is_aggregated_row(kind.as_bytes(), name.as_bytes()) {
            Entry::Aggregated
        } else {
            Entry::Request(RequestKey::new(kind, name))
        }
    }

    /// Like [`Entry::from_row`], taking the cells' strings.
    pub fn from_owned_row(kind: String, name: String) -> Entry {
        if is_aggregated_row(kind.as_bytes(), name.as_bytes()) {
            Entry::Aggregated
        } else {
            Entry::Request(RequestKey { method: kind, name })
        }
    }

    /// Whether this is the Aggregated row.
    pub fn is_aggregated(&self) -> bool {
        matches!(self, Entry::Aggregated)
    }

    /// The `Type` cell: the method, empty for Aggregated.
    pub fn method(&self) -> &str {
        match self {
            Entry::Aggregated => "",
            Entry::Request(key) => &key.method,
        }
    }

    /// The `Name` cell: the request's name, `Aggregated` for Aggregated.
    pub fn name(&self) -> &str {
        match self {
            Entry::Aggregated => AGGREGATED,
            Entry::Request(key) => &key.name,
        }
    }

    /// The (`Type`, `Name`) cells of the entry's row.
    pub fn cells(&self) -> (&str, &str) {
        (self.method(), self.name())
    }
}

/// Whether a row's `Type` and `Name` cells are the Aggregated row's (for readers that look at
/// the raw bytes of a line).
pub fn is_aggregated_row(kind: &[u8], name: &[u8]) -> bool {
    kind.is_empty() && name == AGGREGATED.as_bytes()
}

impl From<RequestKey> for Entry {
    fn from(key: RequestKey) -> Entry {
        Entry::from_owned_row(key.method, key.name)
    }
}

impl fmt::Display for Entry {
    /// How captest labels an entry in its outputs: `Aggregated`, `METHOD name`, or the name alone
    /// when the method is empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cells() {
            ("", name) => f.write_str(name),
            (method, name) => write!(f, "{method} {name}"),
        }
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.cells() == other.cells()
    }
}

impl Eq for Entry {}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cells().hash(state);
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> Ordering {
        self.cells().cmp(&other.cells())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Entry {
    /// As `{"method": …, "name": …}`, the row's cells.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut entry = serializer.serialize_struct("Entry", 2)?;
        entry.serialize_field("method", self.method())?;
        entry.serialize_field("name", self.name())?;
        entry.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_type_named_aggregated_is_the_aggregated_row() {
        assert_eq!(Entry::from_row("", AGGREGATED), Entry::Aggregated);
        assert!(Entry::from_row("", "Aggregated").is_aggregated());
        assert!(!Entry::from_row("GET", "Aggregated").is_aggregated());
        assert!(!Entry::from_row("", "/a").is_aggregated());
        assert_eq!(Entry::Aggregated.cells(), ("", "Aggregated"));
    }

    #[test]
    fn an_entry_is_labelled_method_then_name() {
        assert_eq!(
            Entry::from_row("GET", "/item/[id]").to_string(),
            "GET /item/[id]"
        );
        assert_eq!(Entry::from_row("", "custom").to_string(), "custom");
        assert_eq!(Entry::Aggregated.to_string(), "Aggregated");
        assert_eq!(RequestKey::new("POST", "/a").to_string(), "POST /a");
    }

    #[test]
    fn entries_sort_by_their_cells() {
        let mut entries = [
            Entry::from_row("POST", "/a"),
            Entry::from_row("GET", "/b"),
            Entry::Aggregated,
            Entry::from_row("GET", "/a"),
        ];
        entries.sort();
        let labels: Vec<String> = entries.iter().map(Entry::to_string).collect();
        assert_eq!(labels, ["Aggregated", "GET /a", "GET /b", "POST /a"]);
    }

    #[test]
    fn a_request_key_named_like_the_aggregated_row_becomes_it() {
        assert_eq!(
            Entry::from(RequestKey::new("", AGGREGATED)),
            Entry::Aggregated
        );
        assert_eq!(
            Entry::from(RequestKey::new("GET", "/a")),
            Entry::from_row("GET", "/a")
        );
    }
}
