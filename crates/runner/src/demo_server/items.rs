//! The in-memory item store behind the items API.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Ids 1..=1000 exist at start; created items get ids from 100 001 upward.
pub const SEEDED_ITEMS: u64 = 1_000;
const FIRST_CREATED_ID: u64 = 100_001;

/// One item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its price.
    pub price: f64,
    /// Free-form tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Fields a client may send when creating or updating an item.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemFields {
    /// New name.
    pub name: Option<String>,
    /// New price.
    pub price: Option<f64>,
    /// New tags.
    pub tags: Option<Vec<String>>,
}

/// Items by id, behind one lock (the demo server is a test target, not a database).
#[derive(Debug)]
pub struct ItemStore {
    inner: Mutex<Store>,
}

#[derive(Debug)]
struct Store {
    items: BTreeMap<u64, Item>,
    next_id: u64,
}

impl Default for ItemStore {
    fn default() -> Self {
        let items = (1..=SEEDED_ITEMS)
            .map(|id| {
                let item = Item {
                    id,
                    name: format!("item-{id}"),
                    price: 1.0 + (id % 97) as f64 * 0.5,
                    tags: vec!["seed".to_owned()],
                };
                (id, item)
            })
            .collect();
        ItemStore {
            inner: Mutex::new(Store {
                items,
                next_id: FIRST_CREATED_ID,
            }),
        }
    }
}

impl ItemStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Up to `limit` items starting at position `offset` in id order, and the total count.
    pub fn page(&self, offset: usize, limit: usize) -> (Vec<Item>, usize) {
        let store = self.lock();
        let page = store
            .items
            .values()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect();
        (page, store.items.len())
    }

    /// The item `id`, if it exists.
    pub fn get(&self, id: u64) -> Option<Item> {
        self.lock().items.get(&id).cloned()
    }

    /// Creates an item and returns it with its new id.
    pub fn create(&self, fields: ItemFields) -> Item {
        let mut store = self.lock();
        let id = store.next_id;
        store.next_id += 1;
        let item = Item {
            id,
            name: fields.name.unwrap_or_else(|| format!("item-{id}")),
            price: fields.price.unwrap_or(1.0),
            tags: fields.tags.unwrap_or_default(),
        };
        store.items.insert(id, item.clone());
        item
    }

    /// Applies `fields` to item `id`; `None` if it does not exist.
    pub fn update(&self, id: u64, fields: ItemFields) -> Option<Item> {
        let mut store = self.lock();
        let item = store.items.get_mut(&id)?;
        if let Some(name) = fields.name {
            item.name = name;
        }
        if let Some(price) = fields.price {
            item.price = price;
        }
        if let Some(tags) = fields.tags {
            item.tags = tags;
        }
        Some(item.clone())
    }

    /// Deletes item `id`; whether it existed.
    pub fn delete(&self, id: u64) -> bool {
        self.lock().items.remove(&id).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crud_round_trip() {
        let store = ItemStore::default();
        assert_eq!(store.page(0, 20).0.len(), 20);
        let created = store.create(ItemFields {
            name: Some("widget".into()),
            ..ItemFields::default()
        });
        assert_eq!(created.id, FIRST_CREATED_ID);
        let updated = store
            .update(
                created.id,
                ItemFields {
                    price: Some(9.5),
                    ..ItemFields::default()
                },
            )
            .unwrap();
        assert_eq!(updated.price, 9.5);
        assert!(store.delete(created.id));
        assert!(store.get(created.id).is_none());
        assert!(store.get(SEEDED_ITEMS).is_some());
    }
}
