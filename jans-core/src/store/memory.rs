//! In-memory backend: for tests and embedders. Nothing survives the process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{ClientStore, GrantKind, GrantRecord, GrantStore, KeyStore, StoreError};
use crate::ctx::UnixTime;
use crate::keys::StoredKey;
use crate::oauth::client::Client;

type GrantKey = (GrantKind, String);

#[derive(Default)]
struct Grants {
    records: HashMap<GrantKey, GrantRecord>,
    /// (expires_at, key): the sweeper's index.
    expiry: BTreeSet<(UnixTime, GrantKey)>,
    /// family -> keys.
    families: HashMap<String, BTreeSet<GrantKey>>,
}

impl Grants {
    fn unlink(&mut self, key: &GrantKey, rec: &GrantRecord) {
        self.expiry.remove(&(rec.expires_at, key.clone()));
        if let Some(set) = self.families.get_mut(&rec.family) {
            set.remove(key);
            if set.is_empty() {
                self.families.remove(&rec.family);
            }
        }
    }

    fn remove(&mut self, key: &GrantKey) -> Option<GrantRecord> {
        let rec = self.records.remove(key)?;
        self.unlink(key, &rec);
        Some(rec)
    }
}

/// Every store trait over mutex-guarded maps.
#[derive(Default)]
pub struct MemoryStore {
    clients: Mutex<BTreeMap<String, Client>>,
    grants: Mutex<Grants>,
    keys: Mutex<BTreeMap<String, StoredKey>>,
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
impl ClientStore for MemoryStore {
    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        let mut m = lock(&self.clients);
        if m.contains_key(&client.client_id) {
            return Err(StoreError::Conflict);
        }
        m.insert(client.client_id.clone(), client.clone());
        Ok(())
    }

    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        Ok(lock(&self.clients).get(client_id).cloned())
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        let mut m = lock(&self.clients);
        match m.get_mut(&client.client_id) {
            Some(c) => {
                *c = client.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }

    async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.clients).remove(client_id).is_some())
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        Ok(lock(&self.clients).values().cloned().collect())
    }
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
            if old.is_live(now) {
                return Err(StoreError::Conflict);
            }
            g.remove(&k);
        }
        g.expiry.insert((record.expires_at, k.clone()));
        g.families
            .entry(record.family.clone())
            .or_default()
            .insert(k.clone());
        g.records.insert(k, record.clone());
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
            .filter(|r| r.is_live(now))
            .cloned())
    }

    async fn take(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError> {
        let mut g = lock(&self.grants);
        Ok(g.remove(&(kind, key.to_owned())).filter(|r| r.is_live(now)))
    }

    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.grants).remove(&(kind, key.to_owned())).is_some())
    }

    async fn remove_family(&self, family: &str) -> Result<usize, StoreError> {
        let mut g = lock(&self.grants);
        let keys = g.families.remove(family).unwrap_or_default();
        let mut n = 0;
        for k in keys {
            if let Some(rec) = g.records.remove(&k) {
                g.expiry.remove(&(rec.expires_at, k));
                n += 1;
            }
        }
        Ok(n)
    }

    async fn sweep(&self, now: UnixTime, limit: usize) -> Result<usize, StoreError> {
        let mut g = lock(&self.grants);
        let due: Vec<GrantKey> = g
            .expiry
            .iter()
            .take_while(|(exp, _)| *exp <= now)
            .take(limit)
            .map(|(_, k)| k.clone())
            .collect();
        let n = due.len();
        for k in due {
            g.remove(&k);
        }
        Ok(n)
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn put(&self, key: &StoredKey) -> Result<(), StoreError> {
        lock(&self.keys).insert(key.kid.clone(), key.clone());
        Ok(())
    }

    async fn list(&self) -> Result<Vec<StoredKey>, StoreError> {
        Ok(lock(&self.keys).values().cloned().collect())
    }

    async fn delete(&self, kid: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.keys).remove(kid).is_some())
    }
}
