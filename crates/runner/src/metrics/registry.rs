//! The stats entries of a run: `(method, name)` pairs interned to [`EntryId`]s so that the hot path
//! indexes a vector instead of hashing strings.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::sample::EntryId;

/// What a stats entry is: the request method (Locust's `Type`) and the name requests are grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryKey {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Request name, e.g. `/item/[id]`.
    pub name: String,
}

impl EntryKey {
    /// A key from a method and a name.
    pub fn new(method: impl Into<String>, name: impl Into<String>) -> Self {
        EntryKey {
            method: method.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for EntryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.name)
    }
}

#[derive(Debug, Default)]
struct Interned {
    keys: Vec<EntryKey>,
    ids: HashMap<EntryKey, EntryId>,
}

/// Interns entry keys. Tasks intern their names once, when the scenario is loaded; requests whose
/// name is only known at run time intern it then (a read lock on the fast path).
#[derive(Debug, Clone, Default)]
pub struct EntryRegistry {
    inner: Arc<RwLock<Interned>>,
}

impl EntryRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `key`, registering it if it is new.
    pub fn intern(&self, key: &EntryKey) -> EntryId {
        if let Some(id) = self
            .inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .ids
            .get(key)
        {
            return *id;
        }
        let mut interned = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = interned.ids.get(key) {
            return *id;
        }
        let id = EntryId(interned.keys.len() as u32);
        interned.keys.push(key.clone());
        interned.ids.insert(key.clone(), id);
        id
    }

    /// The key of `id`.
    pub fn key(&self, id: EntryId) -> Option<EntryKey> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .get(id.0 as usize)
            .cloned()
    }

    /// Every key registered so far, indexed by id.
    pub fn keys(&self) -> Vec<EntryKey> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .clone()
    }
}
