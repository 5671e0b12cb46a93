//! In-memory backend: for tests and embedders. Nothing survives the process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::document::{Document, DocumentStore, Generations, UniqueKey, check_names};
use super::{GrantKind, GrantRecord, GrantStore, StoreError, Taken};
use crate::ctx::UnixTime;

type GrantKey = (GrantKind, String);

/// A stored grant record; `used` when [`GrantStore::take`] left it as a tombstone, `count`
/// for counters.
struct Entry {
    record: GrantRecord,
    used: bool,
    count: u64,
}

#[derive(Default)]
struct Grants {
    /// Ordered, so that one kind's records are a range ([`GrantStore::scan`]).
    records: BTreeMap<GrantKey, Entry>,
    /// expires_at -> keys that expire then: the sweeper's index. Entries are not removed on
    /// take/remove; the sweeper skips keys whose record is gone or was replaced.
    expiry: BTreeMap<UnixTime, Vec<GrantKey>>,
    /// family -> keys (records with an empty family are not indexed).
    families: HashMap<String, BTreeSet<GrantKey>>,
}

impl Grants {
    fn remove(&mut self, key: &GrantKey) -> Option<Entry> {
        let entry = self.records.remove(key)?;
        let family = &entry.record.family;
        if !family.is_empty()
            && let Some(set) = self.families.get_mut(family)
        {
            set.remove(key);
            if set.is_empty() {
                self.families.remove(family);
            }
        }
        Some(entry)
    }

    /// Store `entry` under `key` (whose previous entry, if any, is gone), indexed.
    fn put(&mut self, key: GrantKey, entry: Entry) {
        self.expiry
            .entry(entry.record.expires_at)
            .or_default()
            .push(key.clone());
        if !entry.record.family.is_empty() {
            self.families
                .entry(entry.record.family.clone())
                .or_default()
                .insert(key.clone());
        }
        self.records.insert(key, entry);
    }
}

/// Both primitives over mutex-guarded maps.
#[derive(Default)]
pub struct MemoryStore {
    grants: Mutex<Grants>,
    documents: Mutex<BTreeMap<String, Collection>>,
    generations: Generations,
}

/// One collection of documents: by id, and each unique key's value to the id holding it.
#[derive(Default)]
struct Collection {
    docs: BTreeMap<String, (u64, serde_json::Value, Vec<UniqueKey>)>,
    unique: HashMap<(String, String), String>,
}

impl Collection {
    /// Whether every key of `unique` is free or held by `id`.
    fn free(&self, id: &str, unique: &[UniqueKey]) -> bool {
        unique.iter().all(|k| {
            self.unique
                .get(&(k.name.clone(), k.value.clone()))
                .is_none_or(|holder| holder == id)
        })
    }

    fn release(&mut self, keys: &[UniqueKey]) {
        for k in keys {
            self.unique.remove(&(k.name.clone(), k.value.clone()));
        }
    }

    fn claim(&mut self, id: &str, keys: &[UniqueKey]) {
        for k in keys {
            self.unique
                .insert((k.name.clone(), k.value.clone()), id.to_owned());
        }
    }
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
        let mut g = lock(&self.grants);
        let k = (kind, key.to_owned());
        if let Some(old) = g.records.get(&k) {
            if old.record.is_live(now) {
                return Err(StoreError::Conflict);
            }
            g.remove(&k);
        }
        g.put(
            k,
            Entry {
                record: record.clone(),
                used: false,
                count: 0,
            },
        );
        Ok(())
    }

    async fn get(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError> {
        let g = lock(&self.grants);
        Ok(g.records
            .get(&(kind, key.to_owned()))
            .filter(|e| !e.used && e.record.is_live(now))
            .map(|e| e.record.clone()))
    }

    async fn take(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
        tombstone_until: Option<UnixTime>,
    ) -> Result<Taken, StoreError> {
        let mut g = lock(&self.grants);
        let k = (kind, key.to_owned());
        match g.records.get(&k) {
            Some(e) if !e.record.is_live(now) => return Ok(Taken::Absent),
            Some(e) if e.used => return Ok(Taken::AlreadyUsed(e.record.clone())),
            Some(_) => {}
            None => return Ok(Taken::Absent),
        }
        let Some(entry) = g.remove(&k) else {
            return Ok(Taken::Absent);
        };
        let taken = entry.record.clone();
        if let Some(until) = tombstone_until {
            let mut record = entry.record;
            record.expires_at = until;
            g.put(
                k,
                Entry {
                    record,
                    used: true,
                    count: 0,
                },
            );
        }
        Ok(Taken::Record(taken))
    }

    async fn increment(
        &self,
        kind: GrantKind,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        let mut g = lock(&self.grants);
        let k = (kind, key.to_owned());
        let count = match g.remove(&k) {
            Some(e) if e.record.is_live(now) => e.count.saturating_add(1),
            _ => 1,
        };
        g.put(
            k,
            Entry {
                record: GrantRecord::bare(now, expires_at),
                used: false,
                count,
            },
        );
        Ok(count)
    }

    async fn scan(
        &self,
        kind: GrantKind,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(String, GrantRecord)>, StoreError> {
        let g = lock(&self.grants);
        Ok(g.records
            .range((kind, String::new())..)
            .take_while(|((k, _), _)| *k == kind)
            .filter(|(_, e)| !e.used && e.record.is_live(now))
            .take(limit)
            .map(|((_, key), e)| (key.clone(), e.record.clone()))
            .collect())
    }

    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.grants).remove(&(kind, key.to_owned())).is_some())
    }

    async fn remove_owned(
        &self,
        kind: GrantKind,
        key: &str,
        owner: &str,
    ) -> Result<bool, StoreError> {
        let mut g = lock(&self.grants);
        let k = (kind, key.to_owned());
        if g.records
            .get(&k)
            .is_some_and(|e| e.record.client_id == owner)
        {
            g.remove(&k);
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
        Ok(keys
            .into_iter()
            .filter(|k| g.records.remove(k).is_some())
            .count())
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
            if g.records.get(&k).is_some_and(|e| !e.record.is_live(now)) {
                g.remove(&k);
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
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError> {
        check_names(collection, id, unique)?;
        let mut all = lock(&self.documents);
        let c = all.entry(collection.to_owned()).or_default();
        if c.docs.contains_key(id) || !c.free(id, unique) {
            return Err(StoreError::Conflict);
        }
        c.claim(id, unique);
        c.docs
            .insert(id.to_owned(), (1, body.clone(), unique.to_vec()));
        self.generations.bump(collection);
        Ok(1)
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
        let all = lock(&self.documents);
        Ok(all
            .get(collection)
            .and_then(|c| c.docs.get(id))
            .map(|(revision, body, _)| Document {
                id: id.to_owned(),
                revision: *revision,
                body: body.clone(),
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
        unique: &[UniqueKey],
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        check_names(collection, id, unique)?;
        let mut all = lock(&self.documents);
        let c = all.entry(collection.to_owned()).or_default();
        let Some((revision, _, old_keys)) = c.docs.get(id).cloned() else {
            return Err(StoreError::NotFound);
        };
        if expected.is_some_and(|e| e != revision) || !c.free(id, unique) {
            return Err(StoreError::Conflict);
        }
        c.release(&old_keys);
        c.claim(id, unique);
        let next = revision.saturating_add(1);
        c.docs
            .insert(id.to_owned(), (next, body.clone(), unique.to_vec()));
        self.generations.bump(collection);
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
        let Some((revision, _, keys)) = c.docs.get(id).cloned() else {
            return Ok(false);
        };
        if expected.is_some_and(|e| e != revision) {
            return Err(StoreError::Conflict);
        }
        c.release(&keys);
        c.docs.remove(id);
        self.generations.bump(collection);
        Ok(true)
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
        Ok(range
            .take(limit)
            .map(|(id, (revision, body, _))| Document {
                id: id.clone(),
                revision: *revision,
                body: body.clone(),
            })
            .collect())
    }
}
