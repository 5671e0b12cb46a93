//! The document primitive (DESIGN.md §4): named collections of JSON documents by id, with
//! unique secondary keys, a revision for compare-and-set, and a query hook a backend may
//! push down. A new aggregate (FIDO2 registrations, SCIM groups, UMA resources) is a typed
//! repository over this trait and needs no backend code.
//!
//! Rules every backend obeys (checked by `store::conformance`, feature `test-util`):
//! - an id, and each unique key's value, is held by at most one document of a collection,
//!   whatever the concurrency: of two racing writers that claim it, one gets `Conflict`;
//! - a write that names the revision it read (`expected`) lands only if the document is
//!   still at that revision (`Conflict` otherwise): of two racing updates, one wins;
//! - a document, its revision and its unique keys change together, or not at all;
//! - acknowledged means durable.

use async_trait::async_trait;

use super::StoreError;

/// Longest collection name, id, unique key name or value, in bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// A stored document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Its id, unique in its collection.
    pub id: String,
    /// Starts at 1 and grows by one with every replace.
    pub revision: u64,
    /// The document.
    pub body: serde_json::Value,
}

/// A unique secondary key of a document: among the documents of one collection, at most one
/// holds `value` under `name` (a person's `uid`, a credential id, an `externalId`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UniqueKey {
    /// The key's name.
    pub name: String,
    /// The value, as the repository normalized it (e.g. lowercased for a case-insensitive
    /// key).
    pub value: String,
}

impl UniqueKey {
    /// The key `name` = `value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> UniqueKey {
        UniqueKey {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A filter a backend may evaluate itself (an indexed lookup, parameterized SQL) instead of
/// the repository's paged scan.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Filter {
    /// The top-level member `member` equals `value`.
    Equals {
        /// The member's name.
        member: String,
        /// The value it must hold.
        value: serde_json::Value,
    },
    /// Every filter holds.
    And(Vec<Filter>),
}

impl Filter {
    /// Whether `body` passes: what a repository applies to the documents of a scan.
    pub fn matches(&self, body: &serde_json::Value) -> bool {
        match self {
            Filter::Equals { member, value } => body.get(member) == Some(value),
            Filter::And(all) => all.iter().all(|f| f.matches(body)),
        }
    }
}

/// Collections of JSON documents. Object safe; one value serves every collection.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Store a new document at revision 1. `Conflict` when the id or a unique key's value
    /// is taken in the collection.
    async fn insert(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError>;

    /// The document `id`.
    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, StoreError>;

    /// The document holding `value` under the unique key `name`.
    async fn find(
        &self,
        collection: &str,
        name: &str,
        value: &str,
    ) -> Result<Option<Document>, StoreError>;

    /// Replace the document `id` and its unique keys; returns the new revision. With
    /// `expected`, only if the document is at that revision (`Conflict` otherwise).
    /// `NotFound` when there is no such document; `Conflict` when a unique key's value is
    /// another document's.
    async fn replace(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        unique: &[UniqueKey],
        expected: Option<u64>,
    ) -> Result<u64, StoreError>;

    /// Delete the document `id` and free its unique keys; whether it existed. With
    /// `expected`, only if the document is at that revision (`Conflict` otherwise).
    async fn delete(
        &self,
        collection: &str,
        id: &str,
        expected: Option<u64>,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` documents in id order, after the id `after` (a page of a scan).
    async fn list(
        &self,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError>;

    /// The query hook: up to `limit` documents passing `filter`, in id order, when the
    /// backend evaluates such a filter itself; `None` when it does not, and the caller
    /// scans ([`DocumentStore::list`] with [`Filter::matches`]).
    async fn query(
        &self,
        _collection: &str,
        _filter: &Filter,
        _limit: usize,
    ) -> Result<Option<Vec<Document>>, StoreError> {
        Ok(None)
    }

    /// A number that changes with every write to `collection`, when every writer of this
    /// store is in this process and the number is cheap to read (memory, sled): while it
    /// stays the same, what a repository decoded from the collection is still current, so
    /// it may keep it (`crate::repo::collection`). `None` (the default) where other
    /// processes write too (PostgreSQL, which caches documents itself).
    fn generation(&self, _collection: &str) -> Option<u64> {
        None
    }
}

/// The write counters behind [`DocumentStore::generation`] for a backend whose writers all
/// live in this process: bumped after a write is visible, so a value read before a read of
/// a document is never newer than that document.
#[derive(Debug, Default)]
pub(crate) struct Generations(std::sync::RwLock<std::collections::HashMap<String, u64>>);

impl Generations {
    /// The counter of `collection`.
    pub(crate) fn current(&self, collection: &str) -> u64 {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        map.get(collection).copied().unwrap_or(0)
    }

    /// `collection` changed.
    pub(crate) fn bump(&self, collection: &str) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(collection) {
            Some(g) => *g = g.wrapping_add(1),
            None => {
                map.insert(collection.to_owned(), 1);
            }
        }
    }
}

/// The documents passing `filter`, up to `limit`, in id order: the backend's own evaluation
/// when it has one, else a scan in pages.
pub async fn select(
    store: &dyn DocumentStore,
    collection: &str,
    filter: &Filter,
    limit: usize,
) -> Result<Vec<Document>, StoreError> {
    if let Some(found) = store.query(collection, filter, limit).await? {
        return Ok(found);
    }
    const PAGE: usize = 200;
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list(collection, after.as_deref(), PAGE).await?;
        let last = page.last().map(|d| d.id.clone());
        for doc in page.into_iter().filter(|d| filter.matches(&d.body)) {
            if out.len() == limit {
                return Ok(out);
            }
            out.push(doc);
        }
        match last {
            Some(id) if out.len() < limit => after = Some(id),
            _ => return Ok(out),
        }
    }
}

/// Refuse names and keys longer than [`MAX_NAME_LEN`] or empty (every backend's bound).
pub(crate) fn check_names(
    collection: &str,
    id: &str,
    unique: &[UniqueKey],
) -> Result<(), StoreError> {
    let ok = |s: &str| !s.is_empty() && s.len() <= MAX_NAME_LEN && !s.contains('\0');
    if !ok(collection) || !ok(id) || unique.iter().any(|k| !ok(&k.name) || !ok(&k.value)) {
        return Err(StoreError::Backend(
            "document names must be 1 to 1024 bytes without NUL".to_owned(),
        ));
    }
    let mut names: Vec<&str> = unique.iter().map(|k| k.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() != unique.len() {
        return Err(StoreError::Backend(
            "a unique key is named twice".to_owned(),
        ));
    }
    Ok(())
}
