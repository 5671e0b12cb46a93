//! A typed collection over the document primitive (DESIGN.md §4): the values of one
//! collection as a serde type, so a repository reads and writes whole structs and never a
//! member by name. Every aggregate (clients, users, scopes, keys, the shared configuration,
//! and the components' own) is one of these with its keys: unique ones to find a value by,
//! index ones to query by ([`Collection::query`]).
//!
//! Where the backend's writers all live in this process (memory, sled), a collection keeps
//! what it decoded while the backend's [`DocumentStore::generation`] of the collection
//! stays the same: reading a client to authenticate it then costs a lookup and a clone,
//! not a decode. Every handle over one backend sees every write at once, since the number
//! is the backend's.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::StoreError;
use crate::store::document::{DocumentStore, Filter, Join, Key};

/// Decoded documents by id: (the collection's generation when read, revision, value). The
/// values are shared so that the lock is held for a reference count, not for a copy.
type Decoded<T> = HashMap<String, (u64, u64, Arc<T>)>;

/// A whole collection as read at one generation ([`Collection::snapshot`]).
type Snapshot<T> = Option<(u64, Arc<Vec<T>>)>;

/// Most decoded documents kept per collection; beyond it the cache starts over.
const MAX_DECODED: usize = 10_000;

/// Documents of one collection, read and written as `T`.
pub struct Collection<T> {
    store: Arc<dyn DocumentStore>,
    name: &'static str,
    decoded: Arc<Mutex<Decoded<T>>>,
    snapshot: Arc<Mutex<Snapshot<T>>>,
    _values: PhantomData<fn() -> T>,
}

impl<T> Clone for Collection<T> {
    fn clone(&self) -> Self {
        Collection {
            store: self.store.clone(),
            name: self.name,
            decoded: self.decoded.clone(),
            snapshot: self.snapshot.clone(),
            _values: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Collection<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Collection({})", self.name)
    }
}

/// Documents read per page when a whole collection is listed.
const PAGE: usize = 500;

/// The collection recording, per collection, the version of its keys' computation that
/// every document has been given ([`Collection::reindex`]).
pub const INDEXES: &str = "indexes";

fn encode<T: Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Backend(format!("encode: {e}")))
}

fn decode<T: DeserializeOwned>(collection: &str, body: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(body).map_err(|e| StoreError::Corrupt(format!("{collection}: {e}")))
}

impl<T: Serialize + DeserializeOwned + Clone> Collection<T> {
    /// The collection `name` of `store`.
    pub fn new(store: Arc<dyn DocumentStore>, name: &'static str) -> Collection<T> {
        Collection {
            store,
            name,
            decoded: Arc::new(Mutex::new(HashMap::new())),
            snapshot: Arc::new(Mutex::new(None)),
            _values: PhantomData,
        }
    }

    fn decoded(&self) -> std::sync::MutexGuard<'_, Decoded<T>> {
        self.decoded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store a new value under `id` with its keys; `Conflict` when the id or a unique key is
    /// taken. Returns its revision (1).
    pub async fn insert(&self, id: &str, value: &T, keys: &[Key]) -> Result<u64, StoreError> {
        self.store
            .insert(self.name, id, &encode(value)?, keys)
            .await
    }

    /// The value `id`.
    pub async fn get(&self, id: &str) -> Result<Option<T>, StoreError> {
        Ok(self.get_revision(id).await?.map(|(_, v)| v))
    }

    /// The value `id` with its revision (for a later compare-and-set).
    pub async fn get_revision(&self, id: &str) -> Result<Option<(u64, T)>, StoreError> {
        // Read before the document, so a value kept is never newer than its generation.
        let generation = self.store.generation(self.name);
        if let Some(kept) = self.kept(generation, id, None) {
            return Ok(Some(kept));
        }
        let Some(d) = self.store.get(self.name, id).await? else {
            return Ok(None);
        };
        self.decode_and_keep(generation, d).map(Some)
    }

    /// The value `id` with its revision as the store holds it now, for a compare-and-set
    /// that must not start from a value kept in memory: between a writer's commit and its
    /// generation bump, [`Collection::get_revision`] may still hand out the value before
    /// (a lost race the write's revision check refuses), and a writer retrying its write
    /// would read that value again. The value is decoded only when the revision is new.
    pub async fn get_fresh(&self, id: &str) -> Result<Option<(u64, T)>, StoreError> {
        let generation = self.store.generation(self.name);
        let Some(d) = self.store.get(self.name, id).await? else {
            return Ok(None);
        };
        if let Some(kept) = self.kept(generation, id, Some(d.revision)) {
            return Ok(Some(kept));
        }
        self.decode_and_keep(generation, d).map(Some)
    }

    /// The value holding `value` under the unique key `name`.
    pub async fn find(&self, name: &str, value: &str) -> Result<Option<T>, StoreError> {
        Ok(self.find_revision(name, value).await?.map(|(_, v)| v))
    }

    /// The value holding `value` under the unique key `name`, with its revision.
    pub async fn find_revision(
        &self,
        name: &str,
        value: &str,
    ) -> Result<Option<(u64, T)>, StoreError> {
        let generation = self.store.generation(self.name);
        let Some(d) = self.store.find(self.name, name, value).await? else {
            return Ok(None);
        };
        if let Some(kept) = self.kept(generation, &d.id, Some(d.revision)) {
            return Ok(Some(kept));
        }
        self.decode_and_keep(generation, d).map(Some)
    }

    /// The value `id` as decoded while the collection was at `generation` (and, when
    /// given, at `revision`), copied after the lock is released.
    fn kept(&self, generation: Option<u64>, id: &str, revision: Option<u64>) -> Option<(u64, T)> {
        let g = generation?;
        let (rev, value) = {
            let decoded = self.decoded();
            let (kept, rev, value) = decoded.get(id)?;
            if *kept != g || revision.is_some_and(|r| r != *rev) {
                return None;
            }
            (*rev, value.clone())
        };
        Some((rev, Arc::unwrap_or_clone(value)))
    }

    /// Decode `d`, kept for later reads when the backend numbers its generations.
    fn decode_and_keep(
        &self,
        generation: Option<u64>,
        d: crate::store::document::Document,
    ) -> Result<(u64, T), StoreError> {
        let value: T = decode(self.name, d.body)?;
        if let Some(g) = generation {
            let shared = Arc::new(value.clone());
            let mut decoded = self.decoded();
            if decoded.len() >= MAX_DECODED {
                decoded.clear();
            }
            decoded.insert(d.id, (g, d.revision, shared));
        }
        Ok((d.revision, value))
    }

    /// Replace the value `id` (and its keys); with `expected`, only at that revision.
    /// `NotFound` when absent, `Conflict` on a lost race or a taken unique key.
    pub async fn replace(
        &self,
        id: &str,
        value: &T,
        keys: &[Key],
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        self.store
            .replace(self.name, id, &encode(value)?, keys, expected)
            .await
    }

    /// Change the value `id` by compare-and-set: read it as stored now, let `change` edit it
    /// (and say whether to write), write it at that revision with the keys `keys` gives,
    /// and start again when another writer came first — at most `attempts` times, then
    /// `Conflict`. Whether it wrote; `false` when `id` is absent, or was deleted between
    /// the read and the write (some backends say `NotFound` then, others `Conflict` and
    /// the next read finds nothing).
    pub async fn update(
        &self,
        id: &str,
        attempts: usize,
        keys: impl Fn(&T) -> Vec<Key>,
        mut change: impl FnMut(&mut T) -> bool,
    ) -> Result<bool, StoreError> {
        for _ in 0..attempts {
            let Some((revision, mut value)) = self.get_fresh(id).await? else {
                return Ok(false);
            };
            if !change(&mut value) {
                return Ok(false);
            }
            match self
                .replace(id, &value, &keys(&value), Some(revision))
                .await
            {
                Ok(_) => return Ok(true),
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }

    /// Delete the value `id`; whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.store.delete(self.name, id, None).await
    }

    /// Delete the value `id` only if it is still at `revision`: `Conflict` when another
    /// write came first; whether it was there.
    pub async fn delete_at(&self, id: &str, revision: u64) -> Result<bool, StoreError> {
        self.store.delete(self.name, id, Some(revision)).await
    }

    /// Delete the value `id` when `owned` says it may go (its owner's, say), by
    /// compare-and-set: a value changed meanwhile is read and judged again, at most
    /// `attempts` times, then `Conflict`. Whether it was deleted; `false` when it is absent
    /// or not `owned`.
    pub async fn delete_if(
        &self,
        id: &str,
        attempts: usize,
        owned: impl Fn(&T) -> bool,
    ) -> Result<bool, StoreError> {
        for _ in 0..attempts {
            let Some((revision, value)) = self.get_fresh(id).await? else {
                return Ok(false);
            };
            if !owned(&value) {
                return Ok(false);
            }
            match self.delete_at(id, revision).await {
                Err(StoreError::Conflict) => continue,
                other => return other,
            }
        }
        Err(StoreError::Conflict)
    }

    /// Up to `limit` values whose id starts with, and is longer than, `prefix`, in id
    /// order: one range of the id index, read without a scan of the collection (ids
    /// compare bytewise on every backend).
    pub async fn range(&self, prefix: &str, limit: usize) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut after = prefix.to_owned();
        while out.len() < limit {
            let want = (limit - out.len()).min(PAGE);
            let page = self.store.list(self.name, Some(&after), want).await?;
            let full = page.len() == want;
            for d in page {
                if !d.id.starts_with(prefix) {
                    return Ok(out);
                }
                after.clone_from(&d.id);
                out.push(decode(self.name, d.body)?);
            }
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// Up to `limit` values after the id `after`, in id order, with the id of the last
    /// (to ask for the next page from; `None` when this page is the last).
    pub async fn page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<T>, Option<String>), StoreError> {
        let page = self.store.list(self.name, after, limit).await?;
        let next = (page.len() == limit)
            .then(|| page.last().map(|d| d.id.clone()))
            .flatten();
        let values = page
            .into_iter()
            .map(|d| decode(self.name, d.body))
            .collect::<Result<_, _>>()?;
        Ok((values, next))
    }

    /// Up to `limit` values whose keys pass `filter`, in id order, with their revisions: the
    /// backend's indexed evaluation ([`DocumentStore::query`]).
    pub async fn query(&self, filter: &Filter, limit: usize) -> Result<Vec<(u64, T)>, StoreError> {
        let generation = self.store.generation(self.name);
        let found = self.store.query(self.name, filter, limit).await?;
        self.values(generation, found)
    }

    /// The values of documents read while the collection was at `generation`.
    fn values(
        &self,
        generation: Option<u64>,
        docs: Vec<crate::store::document::Document>,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        docs.into_iter()
            .map(|d| match self.kept(generation, &d.id, Some(d.revision)) {
                Some(kept) => Ok(kept),
                None => self.decode_and_keep(generation, d),
            })
            .collect()
    }

    /// [`Collection::query`], and with the values found those of `other` whose key `key`
    /// holds one of their ids, in id order: one read where the backend joins
    /// ([`DocumentStore::query_joined`]).
    #[allow(clippy::type_complexity)]
    pub async fn query_joined<J: Serialize + DeserializeOwned + Clone>(
        &self,
        filter: &Filter,
        limit: usize,
        other: &Collection<J>,
        key: &str,
    ) -> Result<(Vec<(u64, T)>, Vec<(u64, J)>), StoreError> {
        let generation = self.store.generation(self.name);
        let other_generation = other.store.generation(other.name);
        let join = Join {
            collection: other.name,
            key,
        };
        let (found, joined) = self
            .store
            .query_joined(self.name, filter, limit, join)
            .await?;
        Ok((
            self.values(generation, found)?,
            other.values(other_generation, joined)?,
        ))
    }

    /// Give every stored value the keys `keys` computes for it, once per `version` of that
    /// computation: what brings documents written before a key existed into its index
    /// (engine start). Each value is rewritten at the revision it was read at, so a write
    /// racing this one wins (and wrote the keys itself); its revision grows by one. Returns
    /// how many values were rewritten (0 when the collection is at `version` already).
    pub async fn reindex(
        &self,
        version: u64,
        keys: impl Fn(&T) -> Vec<Key>,
    ) -> Result<usize, StoreError> {
        let marker = self.store.get(INDEXES, self.name).await?;
        let at = marker
            .as_ref()
            .and_then(|d| d.body.get("version"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if at >= version {
            return Ok(0);
        }
        let mut rewritten = 0;
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list(self.name, after.as_deref(), PAGE).await?;
            let full = page.len() == PAGE;
            after = page.last().map(|d| d.id.clone());
            for d in page {
                let value: T = decode(self.name, d.body.clone())?;
                match self
                    .store
                    .replace(self.name, &d.id, &d.body, &keys(&value), Some(d.revision))
                    .await
                {
                    Ok(_) => rewritten += 1,
                    // Written (with its keys) or deleted since it was read.
                    Err(StoreError::Conflict | StoreError::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            if !full {
                break;
            }
        }
        let body = serde_json::json!({ "version": version });
        match marker {
            Some(m) => match self
                .store
                .replace(INDEXES, self.name, &body, &[], Some(m.revision))
                .await
            {
                // Another node marked it first.
                Ok(_) | Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            },
            None => match self.store.insert(INDEXES, self.name, &body, &[]).await {
                Ok(_) | Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            },
        }
        Ok(rewritten)
    }

    /// Every value, in id order ([`Collection::all`]), shared: where the backend numbers
    /// the collection's writes ([`DocumentStore::generation`]: memory, sled), what was read
    /// at this generation is handed out again until the next write, so listing an unchanged
    /// collection costs a reference count, not a scan and a decode. The whole collection is
    /// then held in memory: for the small, often listed ones (clients, scopes), never users.
    pub async fn snapshot(&self) -> Result<Arc<Vec<T>>, StoreError> {
        let generation = self.store.generation(self.name);
        let lock = || self.snapshot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = generation
            && let Some((at, values)) = &*lock()
            && *at == g
        {
            return Ok(values.clone());
        }
        let values = Arc::new(self.all().await?);
        // Read after `generation` was: a write during the scan moved the number on, so
        // this is never handed out as the collection at a later generation.
        if let Some(g) = generation {
            *lock() = Some((g, values.clone()));
        }
        Ok(values)
    }

    /// Every value, in id order, read in pages.
    pub async fn all(&self) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list(self.name, after.as_deref(), PAGE).await?;
            let full = page.len() == PAGE;
            after = page.last().map(|d| d.id.clone());
            for d in page {
                out.push(decode(self.name, d.body)?);
            }
            if !full {
                return Ok(out);
            }
        }
    }
}
