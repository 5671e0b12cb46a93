//! The document primitive (DESIGN.md §4): named collections of JSON documents by id, with
//! unique and index secondary keys ([`Key`]), a revision for compare-and-set, and a query
//! hook ([`DocumentStore::query`]) each backend evaluates through its indexes of the keys.
//! A new aggregate (FIDO2 registrations, SCIM groups, UMA resources) is a typed repository
//! over this trait and needs no backend code.
//!
//! Rules every backend obeys (checked by `store::conformance`, feature `test-util`):
//! - an id, and each unique key's value, is held by at most one document of a collection,
//!   whatever the concurrency: of two racing writers that claim it, one gets `Conflict`;
//! - a write that names the revision it read (`expected`) lands only if the document is
//!   still at that revision (`Conflict` otherwise): of two racing updates, one wins;
//! - a document, its revision and its keys change together, or not at all;
//! - a query answers the documents whose keys pass its filter, whatever the backend;
//! - acknowledged means durable.

use async_trait::async_trait;

use super::StoreError;

/// Longest collection name, id, key name or unique key value, in bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// Longest index key value, in bytes: a value of [`MAX_NAME_LEN`] bytes folded to lower case
/// (which can grow a string by half) still fits.
pub const MAX_INDEX_VALUE_LEN: usize = 1536;

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

/// A secondary key of a document: a value under a name, by which the document is found.
///
/// - A **unique** key's value is held by at most one document of a collection (a person's
///   `uid`, a credential id): [`DocumentStore::find`] reads that document, and a write that
///   claims a value another document holds is a `Conflict`.
/// - An **index** key's value may be held by many documents, and one document may hold many
///   values under one name (every email of a person, the members of a group): what
///   [`DocumentStore::query`] reads through, in an index of the backend.
///
/// Values are as the repository normalized them (lowercased for a key that compares
/// without case); they compare bytewise.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The key's name.
    pub name: String,
    /// The value.
    pub value: String,
    /// Whether the value is one document's only.
    pub unique: bool,
}

impl Key {
    /// The unique key `name` = `value`.
    pub fn unique(name: impl Into<String>, value: impl Into<String>) -> Key {
        Key {
            name: name.into(),
            value: value.into(),
            unique: true,
        }
    }

    /// The index key `name` = `value`.
    pub fn index(name: impl Into<String>, value: impl Into<String>) -> Key {
        Key {
            name: name.into(),
            value: value.into(),
            unique: false,
        }
    }
}

/// What a key's value is tested for in a [`Filter`]. Strings compare bytewise (Unicode code
/// point order), as every backend orders them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    /// Equal to.
    Eq(String),
    /// Starts with.
    StartsWith(String),
    /// Ends with.
    EndsWith(String),
    /// Contains.
    Contains(String),
    /// Greater than.
    Gt(String),
    /// Greater than or equal to.
    Ge(String),
    /// Less than.
    Lt(String),
    /// Less than or equal to.
    Le(String),
    /// Any value.
    Present,
}

impl Test {
    /// Whether `value` passes.
    pub fn passes(&self, value: &str) -> bool {
        match self {
            Test::Eq(v) => value == v,
            Test::StartsWith(v) => value.starts_with(v.as_str()),
            Test::EndsWith(v) => value.ends_with(v.as_str()),
            Test::Contains(v) => value.contains(v.as_str()),
            Test::Gt(v) => value > v.as_str(),
            Test::Ge(v) => value >= v.as_str(),
            Test::Lt(v) => value < v.as_str(),
            Test::Le(v) => value <= v.as_str(),
            Test::Present => true,
        }
    }

    /// The first value that sorts after every value starting with `prefix`, when there is
    /// one: the end of a [`Test::StartsWith`] range. `prefix` with its last character
    /// replaced by the next one (a prefix of only U+10FFFF characters has none).
    pub fn after_prefix(prefix: &str) -> Option<String> {
        let mut chars: Vec<char> = prefix.chars().collect();
        while let Some(last) = chars.pop() {
            let next = (u32::from(last) + 1..=0x10_FFFF).find_map(char::from_u32);
            if let Some(next) = next {
                chars.push(next);
                return Some(chars.into_iter().collect());
            }
        }
        None
    }
}

/// What the query hook evaluates: tests of the documents' keys (unique and index keys
/// alike), combined. A document passes a key test when some value it holds under the name
/// passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Some value of the key `name` passes `test`.
    Key {
        /// The key's name.
        name: String,
        /// What its value is tested for.
        test: Test,
    },
    /// Every filter holds.
    And(Vec<Filter>),
    /// Some filter holds.
    Or(Vec<Filter>),
}

impl Filter {
    /// The key test `name` `test`.
    pub fn key(name: impl Into<String>, test: Test) -> Filter {
        Filter::Key {
            name: name.into(),
            test,
        }
    }

    /// Whether a document holding `keys` passes: the meaning every backend's evaluation
    /// has (the memory backend's is this).
    pub fn matches<'a>(&self, keys: impl IntoIterator<Item = (&'a str, &'a str)> + Clone) -> bool {
        match self {
            Filter::Key { name, test } => keys
                .into_iter()
                .any(|(n, v)| n == name.as_str() && test.passes(v)),
            Filter::And(all) => all.iter().all(|f| f.matches(keys.clone())),
            Filter::Or(any) => any.iter().any(|f| f.matches(keys.clone())),
        }
    }

    /// How many key tests and combinations it holds (what a backend bounds).
    pub fn size(&self) -> usize {
        match self {
            Filter::Key { .. } => 1,
            Filter::And(parts) | Filter::Or(parts) => {
                1 + parts.iter().map(Filter::size).sum::<usize>()
            }
        }
    }
}

/// Most key tests and combinations in one [`Filter`]: a larger one is refused (its SQL would
/// outgrow a statement's parameters).
pub const MAX_FILTER_SIZE: usize = 1024;

/// What [`DocumentStore::query_joined`] reads beside the documents its filter finds: the
/// documents of `collection` holding one of their ids, exactly, under the key `key` (the
/// groups naming a person among their members).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Join<'a> {
    /// The collection joined.
    pub collection: &'a str,
    /// The key of its documents that holds ids of the documents found.
    pub key: &'a str,
}

/// Collections of JSON documents. Object safe; one value serves every collection.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Store a new document at revision 1 with its keys. `Conflict` when the id or a unique
    /// key's value is taken in the collection.
    async fn insert(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        keys: &[Key],
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

    /// Replace the document `id` and its keys; returns the new revision. With
    /// `expected`, only if the document is at that revision (`Conflict` otherwise).
    /// `NotFound` when there is no such document; `Conflict` when a unique key's value is
    /// another document's.
    async fn replace(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        keys: &[Key],
        expected: Option<u64>,
    ) -> Result<u64, StoreError>;

    /// Delete the document `id` and its keys; whether it existed. With
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

    /// The query hook (DESIGN.md §4): up to `limit` documents passing `filter`, in id order,
    /// each as it is now. Each backend evaluates it through its indexes of the keys (sled's
    /// key trees, PostgreSQL's key tables with parameterized SQL). A filter larger than
    /// [`MAX_FILTER_SIZE`] is refused.
    async fn query(
        &self,
        collection: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError>;

    /// [`DocumentStore::query`], and with what it finds the documents of `join.collection`
    /// whose key `join.key` holds one of their ids (each once, in id order): a document and
    /// those that refer to it in one read where the backend can join (PostgreSQL: one
    /// statement). The default reads them in two steps.
    async fn query_joined(
        &self,
        collection: &str,
        filter: &Filter,
        limit: usize,
        join: Join<'_>,
    ) -> Result<(Vec<Document>, Vec<Document>), StoreError> {
        let found = self.query(collection, filter, limit).await?;
        let mut joined: Vec<Document> = Vec::new();
        // Bounded filters: an `or` of up to MAX_FILTER_SIZE - 1 ids at a time.
        for ids in found.chunks(MAX_FILTER_SIZE - 1) {
            let mut tests: Vec<Filter> = ids
                .iter()
                .map(|d| Filter::key(join.key, Test::Eq(d.id.clone())))
                .collect();
            let by = if tests.len() == 1 {
                tests.remove(0)
            } else {
                Filter::Or(tests)
            };
            joined.extend(self.query(join.collection, &by, usize::MAX).await?);
        }
        joined.sort_by(|a, b| a.id.cmp(&b.id));
        joined.dedup_by(|a, b| a.id == b.id);
        Ok((found, joined))
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

/// Refuse names and keys longer than [`MAX_NAME_LEN`] or empty (every backend's bound).
///
/// Returns the keys as a backend stores them: each index key's (name, value) once, in order,
/// after the unique keys.
pub(crate) fn check_names(
    collection: &str,
    id: &str,
    keys: &[Key],
) -> Result<Vec<Key>, StoreError> {
    let ok = |s: &str| !s.is_empty() && s.len() <= MAX_NAME_LEN && !s.contains('\0');
    // An index value may be empty (an empty string is still a value) and longer.
    let ok_value = |k: &Key| match k.unique {
        true => ok(&k.value),
        false => k.value.len() <= MAX_INDEX_VALUE_LEN && !k.value.contains('\0'),
    };
    if !ok(collection) || !ok(id) || keys.iter().any(|k| !ok(&k.name) || !ok_value(k)) {
        return Err(StoreError::Backend(
            "document names and keys must be 1 to 1024 bytes without NUL".to_owned(),
        ));
    }
    let unique: Vec<&Key> = keys.iter().filter(|k| k.unique).collect();
    let mut names: Vec<&str> = unique.iter().map(|k| k.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() != unique.len() {
        return Err(StoreError::Backend(
            "a unique key is named twice".to_owned(),
        ));
    }
    let mut index: Vec<Key> = keys.iter().filter(|k| !k.unique).cloned().collect();
    index.sort_unstable();
    index.dedup();
    let mut all: Vec<Key> = unique.into_iter().cloned().collect();
    all.extend(index);
    Ok(all)
}

/// Refuse a filter larger than [`MAX_FILTER_SIZE`].
pub(crate) fn check_filter(filter: &Filter) -> Result<(), StoreError> {
    if filter.size() > MAX_FILTER_SIZE {
        return Err(StoreError::Backend(format!(
            "a document filter holds at most {MAX_FILTER_SIZE} tests"
        )));
    }
    Ok(())
}
