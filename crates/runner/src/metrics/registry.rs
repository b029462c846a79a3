//! The stats entries of a run: `(method, name)` pairs interned to [`EntryId`]s so that the hot path
//! indexes a vector instead of hashing strings.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use captest_format::RequestKey;

use super::sample::EntryId;

#[derive(Debug, Default)]
struct Interned {
    keys: Vec<RequestKey>,
    ids: HashMap<RequestKey, EntryId>,
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
    pub fn intern(&self, key: &RequestKey) -> EntryId {
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
    pub fn key(&self, id: EntryId) -> Option<RequestKey> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .get(id.0 as usize)
            .cloned()
    }

    /// Every key registered so far, indexed by id.
    pub fn keys(&self) -> Vec<RequestKey> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .clone()
    }
}
