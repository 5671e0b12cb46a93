//! In-memory backend: for tests and embedders. Nothing survives the process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::document::{
    Document, DocumentStore, Filter, Generations, Key, check_filter, check_names,
};
use super::{GrantKind, GrantRecord, GrantStore, StoreError, Taken};
use crate::ctx::UnixTime;

type GrantKey = (GrantKind, String);

/// A stored grant record; `used` when [`GrantStore::take`] left it as a tombstone, `count`
/// for counters. The record is shared, so that the lock is held for a reference count, not
/// for a copy of its data: copies are made, and the last reference dropped, after the lock
/// is released. `expires_at` is the entry's (a tombstone's differs from its record's).
struct Entry {
    record: Arc<GrantRecord>,
    expires_at: UnixTime,
    used: bool,
    count: u64,
}

impl Entry {
    /// A live entry (not a tombstone) holding `record`.
    fn new(record: GrantRecord, count: u64) -> Entry {
        Entry {
            expires_at: record.expires_at,
            record: Arc::new(record),
            used: false,
            count,
        }
    }

    fn is_live(&self, now: UnixTime) -> bool {
        now < self.expires_at
    }

    /// The record of a live, untaken entry (whose expiry is its record's), shared.
    fn live(&self, now: UnixTime) -> Option<Arc<GrantRecord>> {
        (!self.used && self.is_live(now)).then(|| self.record.clone())
    }
}

#[derive(Default)]
struct Grants {
    /// By kind, then key: one kind's records are one map ([`GrantStore::scan`]), and a
    /// lookup hashes the key once instead of comparing it along a path of a tree.
    records: HashMap<GrantKind, HashMap<String, Entry>>,
    /// expires_at -> keys that expire then: the sweeper's index. Entries are not removed on
    /// take/remove; the sweeper skips keys whose record is gone or was replaced.
    expiry: BTreeMap<UnixTime, Vec<GrantKey>>,
    /// family -> keys (records with an empty family are not indexed).
    families: HashMap<String, BTreeSet<GrantKey>>,
}

impl Grants {
    fn get(&self, kind: GrantKind, key: &str) -> Option<&Entry> {
        self.records.get(&kind)?.get(key)
    }

    /// The entry alone, its family index left to the caller.
    fn remove_entry(&mut self, kind: GrantKind, key: &str) -> Option<Entry> {
        self.records.get_mut(&kind)?.remove(key)
    }

    fn remove(&mut self, kind: GrantKind, key: &str) -> Option<Entry> {
        let entry = self.remove_entry(kind, key)?;
        let family = &entry.record.family;
        if !family.is_empty()
            && let Some(set) = self.families.get_mut(family)
        {
            set.remove(&(kind, key.to_owned()));
            if set.is_empty() {
                self.families.remove(family);
            }
        }
        Some(entry)
    }

    /// Store `entry` under `key` (whose previous entry, if any, is gone), indexed.
    fn put(&mut self, key: GrantKey, entry: Entry) {
        self.expiry
            .entry(entry.expires_at)
            .or_default()
            .push(key.clone());
        if !entry.record.family.is_empty() {
            self.families
                .entry(entry.record.family.clone())
                .or_default()
                .insert(key.clone());
        }
        self.records.entry(key.0).or_default().insert(key.1, entry);
    }
}

/// Both primitives over mutex-guarded maps.
#[derive(Default)]
pub struct MemoryStore {
    grants: Mutex<Grants>,
    documents: Mutex<BTreeMap<String, Collection>>,
    generations: Generations,
}

/// A stored document: its revision, its body (shared, so that a read holds the lock for a
/// reference count and copies the body after) and its keys.
type Stored = (u64, Arc<serde_json::Value>, Vec<Key>);

/// One collection of documents: by id, and each unique key's value to the id holding it.
#[derive(Default)]
struct Collection {
    docs: BTreeMap<String, Stored>,
    unique: HashMap<(String, String), String>,
}

impl Collection {
    /// Whether every unique key of `keys` is free or held by `id`.
    fn free(&self, id: &str, keys: &[Key]) -> bool {
        keys.iter().filter(|k| k.unique).all(|k| {
            self.unique
                .get(&(k.name.clone(), k.value.clone()))
                .is_none_or(|holder| holder == id)
        })
    }

    fn release(&mut self, keys: &[Key]) {
        for k in keys.iter().filter(|k| k.unique) {
            self.unique.remove(&(k.name.clone(), k.value.clone()));
        }
    }

    fn claim(&mut self, id: &str, keys: &[Key]) {
        for k in keys.iter().filter(|k| k.unique) {
            self.unique
                .insert((k.name.clone(), k.value.clone()), id.to_owned());
        }
    }
}

/// Documents of (id, revision, shared body), copied after the lock is released.
fn documents(found: Vec<(String, u64, Arc<serde_json::Value>)>) -> Vec<Document> {
    found
        .into_iter()
        .map(|(id, revision, body)| Document {
            id,
            revision,
            body: Arc::unwrap_or_clone(body),
        })
        .collect()
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these maps half-updated in a way that
    // matters more than refusing all further service would, so recover the guard.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[async_trait]
impl GrantStore for MemoryStore {
    async fn insert(
        &self,
        kind: GrantKind,
        key: &str,
        record: &GrantRecord,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.insert_owned(kind, key, record.clone(), now).await
    }

    async fn insert_owned(
        &self,
        kind: GrantKind,
        key: &str,
        record: GrantRecord,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let entry = Entry::new(record, 0);
        let k = (kind, key.to_owned());
        let mut g = lock(&self.grants);
        let old = match g.get(kind, key) {
            Some(old) if old.is_live(now) => return Err(StoreError::Conflict),
            Some(_) => g.remove(kind, key),
            None => None,
        };
        g.put(k, entry);
        drop(g);
        drop(old);
        Ok(())
    }

    async fn get(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError> {
        let found = self.get_shared(kind, key, now).await?;
        Ok(found.map(Arc::unwrap_or_clone))
    }

    async fn get_shared(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<Arc<GrantRecord>>, StoreError> {
        Ok(lock(&self.grants).get(kind, key).and_then(|e| e.live(now)))
    }

    async fn take(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
        tombstone_until: Option<UnixTime>,
    ) -> Result<Taken, StoreError> {
        let mut g = lock(&self.grants);
        match g.get(kind, key) {
            Some(e) if !e.is_live(now) => return Ok(Taken::Absent),
            Some(e) if e.used => {
                let (record, until) = (e.record.clone(), e.expires_at);
                drop(g);
                // As it was taken, living as long as its tombstone.
                let mut record = Arc::unwrap_or_clone(record);
                record.expires_at = until;
                return Ok(Taken::AlreadyUsed(record));
            }
            Some(_) => {}
            None => return Ok(Taken::Absent),
        }
        let Some(entry) = g.remove(kind, key) else {
            return Ok(Taken::Absent);
        };
        let taken = entry.record.clone();
        if let Some(until) = tombstone_until {
            g.put(
                (kind, key.to_owned()),
                Entry {
                    expires_at: until,
                    used: true,
                    count: 0,
                    ..entry
                },
            );
        } else {
            drop(entry);
        }
        drop(g);
        Ok(Taken::Record(Arc::unwrap_or_clone(taken)))
    }

    async fn add(
        &self,
        kind: GrantKind,
        key: &str,
        by: u64,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        let k = (kind, key.to_owned());
        let mut entry = Entry::new(GrantRecord::bare(now, expires_at), by);
        let mut g = lock(&self.grants);
        let old = g.remove(kind, key);
        if let Some(e) = &old
            && e.is_live(now)
        {
            entry.count = e.count.saturating_add(by);
        }
        let count = entry.count;
        g.put(k, entry);
        drop(g);
        drop(old);
        Ok(count)
    }

    async fn counter(&self, kind: GrantKind, key: &str, now: UnixTime) -> Result<u64, StoreError> {
        Ok(lock(&self.grants)
            .get(kind, key)
            .filter(|e| !e.used && e.is_live(now))
            .map_or(0, |e| e.count))
    }

    async fn scan(
        &self,
        kind: GrantKind,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(String, GrantRecord)>, StoreError> {
        let found: Vec<(String, Arc<GrantRecord>)> = lock(&self.grants)
            .records
            .get(&kind)
            .into_iter()
            .flatten()
            .filter_map(|(key, e)| Some((key.clone(), e.live(now)?)))
            .take(limit)
            .collect();
        Ok(found
            .into_iter()
            .map(|(k, r)| (k, Arc::unwrap_or_clone(r)))
            .collect())
    }

    async fn family(
        &self,
        family: &str,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(GrantKind, String, GrantRecord)>, StoreError> {
        let g = lock(&self.grants);
        let Some(keys) = g.families.get(family) else {
            return Ok(Vec::new());
        };
        let found: Vec<(GrantKind, String, Arc<GrantRecord>)> = keys
            .iter()
            .filter_map(|(kind, key)| Some((*kind, key.clone(), g.get(*kind, key)?.live(now)?)))
            .filter(|(_, _, r)| r.family == family)
            .take(limit)
            .collect();
        drop(g);
        Ok(found
            .into_iter()
            .map(|(kind, k, r)| (kind, k, Arc::unwrap_or_clone(r)))
            .collect())
    }

    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError> {
        let removed = lock(&self.grants).remove(kind, key);
        Ok(removed.is_some())
    }

    async fn remove_owned(
        &self,
        kind: GrantKind,
        key: &str,
        owner: &str,
    ) -> Result<bool, StoreError> {
        let mut g = lock(&self.grants);
        if g.get(kind, key)
            .is_some_and(|e| e.record.client_id == owner)
        {
            let removed = g.remove(kind, key);
            drop(g);
            drop(removed);
            return Ok(true);
        }
        Ok(false)
    }

    async fn remove_family(&self, family: &str) -> Result<usize, StoreError> {
        if family.is_empty() {
            return Ok(0);
        }
        let mut g = lock(&self.grants);
        let keys = g.families.remove(family).unwrap_or_default();
        let removed: Vec<Entry> = keys
            .into_iter()
            .filter_map(|(kind, key)| g.remove_entry(kind, &key))
            .collect();
        drop(g);
        Ok(removed.len())
    }

    async fn sweep(&self, now: UnixTime, limit: usize) -> Result<usize, StoreError> {
        let mut g = lock(&self.grants);
        let mut n = 0;
        while n < limit {
            let Some(mut bucket) = g.expiry.first_entry() else {
                break;
            };
            if *bucket.key() > now {
                break;
            }
            let Some(k) = bucket.get_mut().pop() else {
                bucket.remove();
                continue;
            };
            // Skip keys taken already or re-inserted with a later expiry.
            if g.get(k.0, &k.1).is_some_and(|e| !e.is_live(now)) {
                g.remove(k.0, &k.1);
                n += 1;
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl DocumentStore for MemoryStore {
    async fn insert(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        keys: &[Key],
    ) -> Result<u64, StoreError> {
        let keys = check_names(collection, id, keys)?;
        let mut all = lock(&self.documents);
        let c = all.entry(collection.to_owned()).or_default();
        if c.docs.contains_key(id) || !c.free(id, &keys) {
            return Err(StoreError::Conflict);
        }
        c.claim(id, &keys);
        c.docs
            .insert(id.to_owned(), (1, Arc::new(body.clone()), keys));
        self.generations.bump(collection);
        Ok(1)
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
        let found = lock(&self.documents)
            .get(collection)
            .and_then(|c| c.docs.get(id))
            .map(|(revision, body, _)| (*revision, body.clone()));
        Ok(found.map(|(revision, body)| Document {
            id: id.to_owned(),
            revision,
            body: Arc::unwrap_or_clone(body),
        }))
    }

    async fn find(
        &self,
        collection: &str,
        name: &str,
        value: &str,
    ) -> Result<Option<Document>, StoreError> {
        let id = {
            let all = lock(&self.documents);
            all.get(collection)
                .and_then(|c| c.unique.get(&(name.to_owned(), value.to_owned())))
                .cloned()
        };
        match id {
            Some(id) => DocumentStore::get(self, collection, &id).await,
            None => Ok(None),
        }
    }

    async fn replace(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        keys: &[Key],
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let keys = check_names(collection, id, keys)?;
        let body = Arc::new(body.clone());
        let mut all = lock(&self.documents);
        let c = all.entry(collection.to_owned()).or_default();
        let Some(revision) = c.docs.get(id).map(|d| d.0) else {
            return Err(StoreError::NotFound);
        };
        if expected.is_some_and(|e| e != revision) || !c.free(id, &keys) {
            return Err(StoreError::Conflict);
        }
        let next = revision.saturating_add(1);
        let old = c.docs.insert(id.to_owned(), (next, body, keys.clone()));
        if let Some((_, _, old_keys)) = &old {
            c.release(old_keys);
        }
        c.claim(id, &keys);
        self.generations.bump(collection);
        drop(all);
        drop(old);
        Ok(next)
    }

    async fn delete(
        &self,
        collection: &str,
        id: &str,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        let mut all = lock(&self.documents);
        let Some(c) = all.get_mut(collection) else {
            return Ok(false);
        };
        let Some(revision) = c.docs.get(id).map(|d| d.0) else {
            return Ok(false);
        };
        if expected.is_some_and(|e| e != revision) {
            return Err(StoreError::Conflict);
        }
        let old = c.docs.remove(id);
        if let Some((_, _, keys)) = &old {
            c.release(keys);
        }
        self.generations.bump(collection);
        drop(all);
        drop(old);
        Ok(true)
    }

    async fn query(
        &self,
        collection: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        check_filter(filter)?;
        // A scan of the documents' keys: the meaning the other backends' indexes answer.
        let found: Vec<(String, u64, Arc<serde_json::Value>)> = {
            let all = lock(&self.documents);
            let Some(c) = all.get(collection) else {
                return Ok(Vec::new());
            };
            c.docs
                .iter()
                .filter(|(_, (_, _, keys))| {
                    filter.matches(keys.iter().map(|k| (k.name.as_str(), k.value.as_str())))
                })
                .take(limit)
                .map(|(id, (revision, body, _))| (id.clone(), *revision, body.clone()))
                .collect()
        };
        Ok(documents(found))
    }

    fn generation(&self, collection: &str) -> Option<u64> {
        Some(self.generations.current(collection))
    }

    async fn list(
        &self,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        let page: Vec<(String, u64, Arc<serde_json::Value>)> = {
            let all = lock(&self.documents);
            let Some(c) = all.get(collection) else {
                return Ok(Vec::new());
            };
            let range = match after {
                Some(a) => c
                    .docs
                    .range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
                None => c.docs.range::<str, _>(..),
            };
            range
                .take(limit)
                .map(|(id, (revision, body, _))| (id.clone(), *revision, body.clone()))
                .collect()
        };
        Ok(documents(page))
    }
}
