//! The embedded default backend: one sled database in a directory.
//!
//! Layout (one tree each): `clients` (id -> JSON), `keys` (kid -> JSON), `grants`
//! (kind byte + key -> JSON), `grant_fam` (family + 0 + kind + key -> ()) for family
//! revocation, `users` (inum -> JSON) and `users_uid` (lowercased uid -> inum). The sweeper's expiry index lives in memory: the first sweep after opening
//! scans `grants` once and fills it, later inserts add to it. Keeping it out of sled halves
//! the writes of a token issuance (sled copies a leaf on every write).
//!
//! Durability: clients and keys are flushed to disk before a write returns; grant state
//! (tokens, codes, used assertion ids) is written without waiting for the flush, which sled
//! performs every 500 ms, so a crash may forget grants issued in the last half second.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{ClientStore, GrantKind, GrantRecord, GrantStore, KeyStore, StoreError, UserStore};
use crate::authn::user::User;
use crate::ctx::UnixTime;
use crate::keys::StoredKey;
use crate::oauth::client::Client;

/// A sled database holding every store.
pub struct SledStore {
    db: sled::Db,
    clients: sled::Tree,
    keys: sled::Tree,
    grants: sled::Tree,
    grant_fam: sled::Tree,
    users: sled::Tree,
    users_uid: sled::Tree,
    config: sled::Tree,
    scopes: sled::Tree,
    expiry: Mutex<ExpiryIndex>,
}

/// expires_at -> grant keys. Entries are not removed on take/remove: the sweeper checks the
/// record before deleting.
#[derive(Default)]
struct ExpiryIndex {
    buckets: BTreeMap<UnixTime, Vec<Vec<u8>>>,
    /// Whether `grants` has been scanned since opening.
    complete: bool,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SledStore")
    }
}

fn map_err(e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) => StoreError::Unavailable(io.to_string()),
        sled::Error::Corruption { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Backend(other.to_string()),
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn grant_key(kind: GrantKind, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + key.len());
    k.push(kind as u8);
    k.extend_from_slice(key.as_bytes());
    k
}

fn fam_key(family: &str, gk: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(family.len() + 1 + gk.len());
    k.extend_from_slice(family.as_bytes());
    k.push(0);
    k.extend_from_slice(gk);
    k
}

impl SledStore {
    /// Open (or create) the database in `path`. Fails with [`StoreError::Locked`] when
    /// another process has it open.
    pub fn open(path: &Path) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(32 * 1024 * 1024)
            .flush_every_ms(Some(500))
            .open()
            .map_err(|e| match e {
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    StoreError::Locked(path.display().to_string())
                }
                other => map_err(other),
            })?;
        let tree = |name: &str| db.open_tree(name).map_err(map_err);
        Ok(SledStore {
            clients: tree("clients")?,
            keys: tree("keys")?,
            grants: tree("grants")?,
            grant_fam: tree("grant_fam")?,
            users: tree("users")?,
            users_uid: tree("users_uid")?,
            config: tree("config")?,
            scopes: tree("scopes")?,
            expiry: Mutex::new(ExpiryIndex::default()),
            db,
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(map_err)
    }

    /// Store `value` under a `key` that must be new (`Conflict` otherwise), durably.
    fn insert_new<T: serde::Serialize>(
        &self,
        tree: &sled::Tree,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        tree.compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(encode(value)?))
            .map_err(map_err)?
            .map_err(|_| StoreError::Conflict)?;
        self.flush()
    }

    /// Replace the value under an existing `key` (`NotFound` otherwise), durably.
    fn replace<T: serde::Serialize>(
        &self,
        tree: &sled::Tree,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let v = encode(value)?;
        let mut done = false;
        tree.fetch_and_update(key.as_bytes(), |old| {
            done = old.is_some();
            old.map(|_| v.clone())
        })
        .map_err(map_err)?;
        if !done {
            return Err(StoreError::NotFound);
        }
        self.flush()
    }

    /// Remove `key`, durably; whether it existed.
    fn remove_key(&self, tree: &sled::Tree, key: &str) -> Result<bool, StoreError> {
        let existed = tree.remove(key.as_bytes()).map_err(map_err)?.is_some();
        self.flush()?;
        Ok(existed)
    }

    /// Every value of `tree`, in key order.
    fn values<T: serde::de::DeserializeOwned>(tree: &sled::Tree) -> Result<Vec<T>, StoreError> {
        tree.iter()
            .map(|r| r.map_err(map_err).and_then(|(_, v)| decode(&v)))
            .collect()
    }

    fn unlink(&self, gk: &[u8], rec: &GrantRecord) -> Result<(), StoreError> {
        if !rec.family.is_empty() {
            self.grant_fam
                .remove(fam_key(&rec.family, gk))
                .map_err(map_err)?;
        }
        Ok(())
    }

    fn expiry(&self) -> MutexGuard<'_, ExpiryIndex> {
        self.expiry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Delete `gk` if its record is still the expired one; true when deleted.
    fn delete_if_expired(&self, gk: &[u8], now: UnixTime) -> Result<bool, StoreError> {
        let Some(v) = self.grants.get(gk).map_err(map_err)? else {
            return Ok(false);
        };
        let Ok(rec) = decode::<GrantRecord>(&v) else {
            return Ok(false);
        };
        if rec.is_live(now)
            || self
                .grants
                .compare_and_swap(gk, Some(&v), None as Option<&[u8]>)
                .map_err(map_err)?
                .is_err()
        {
            return Ok(false);
        }
        self.unlink(gk, &rec)?;
        Ok(true)
    }
}

#[async_trait]
impl ClientStore for SledStore {
    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        self.insert_new(&self.clients, &client.client_id, client)
    }

    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        match self.clients.get(client_id.as_bytes()).map_err(map_err)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        self.replace(&self.clients, &client.client_id, client)
    }

    async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.clients, client_id)
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        Self::values(&self.clients)
    }
}

#[async_trait]
impl GrantStore for SledStore {
    async fn insert(
        &self,
        kind: GrantKind,
        key: &str,
        record: &GrantRecord,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let gk = grant_key(kind, key);
        let v = encode(record)?;
        // The family index first: an entry without its record is skipped.
        if !record.family.is_empty() {
            self.grant_fam
                .insert(fam_key(&record.family, &gk), &[])
                .map_err(map_err)?;
        }
        let mut expected: Option<sled::IVec> = None;
        loop {
            match self
                .grants
                .compare_and_swap(&gk, expected.as_ref(), Some(v.as_slice()))
                .map_err(map_err)?
            {
                Ok(()) => {
                    self.expiry()
                        .buckets
                        .entry(record.expires_at)
                        .or_default()
                        .push(gk);
                    return Ok(());
                }
                Err(cas) => {
                    let Some(current) = cas.current else {
                        expected = None;
                        continue;
                    };
                    let old: GrantRecord = decode(&current)?;
                    if old.is_live(now) {
                        return Err(StoreError::Conflict);
                    }
                    self.unlink(&gk, &old)?;
                    expected = Some(current);
                }
            }
        }
    }

    async fn get(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError> {
        match self.grants.get(grant_key(kind, key)).map_err(map_err)? {
            Some(v) => {
                let rec: GrantRecord = decode(&v)?;
                Ok(rec.is_live(now).then_some(rec))
            }
            None => Ok(None),
        }
    }

    async fn take(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError> {
        let gk = grant_key(kind, key);
        // sled's remove is atomic: of concurrent callers only one sees the old value.
        match self.grants.remove(&gk).map_err(map_err)? {
            Some(v) => {
                let rec: GrantRecord = decode(&v)?;
                self.unlink(&gk, &rec)?;
                Ok(rec.is_live(now).then_some(rec))
            }
            None => Ok(None),
        }
    }

    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError> {
        let gk = grant_key(kind, key);
        match self.grants.remove(&gk).map_err(map_err)? {
            Some(v) => {
                if let Ok(rec) = decode::<GrantRecord>(&v) {
                    self.unlink(&gk, &rec)?;
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn remove_family(&self, family: &str) -> Result<usize, StoreError> {
        if family.is_empty() {
            return Ok(0);
        }
        let mut prefix = family.as_bytes().to_vec();
        prefix.push(0);
        let mut n = 0;
        for item in self.grant_fam.scan_prefix(&prefix) {
            let (fk, _) = item.map_err(map_err)?;
            let gk = fk.get(prefix.len()..).unwrap_or_default();
            if self.grants.remove(gk).map_err(map_err)?.is_some() {
                n += 1;
            }
            self.grant_fam.remove(&fk).map_err(map_err)?;
        }
        Ok(n)
    }

    async fn sweep(&self, now: UnixTime, limit: usize) -> Result<usize, StoreError> {
        let mut n = 0;
        let complete = self.expiry().complete;
        if !complete {
            // First sweep since opening: one pass over every grant builds the index.
            let mut found: Vec<(UnixTime, Vec<u8>)> = Vec::new();
            for item in self.grants.iter() {
                let (k, v) = item.map_err(map_err)?;
                if let Ok(rec) = decode::<GrantRecord>(&v) {
                    found.push((rec.expires_at, k.to_vec()));
                }
            }
            let mut index = self.expiry();
            for (exp, k) in found {
                index.buckets.entry(exp).or_default().push(k);
            }
            index.complete = true;
        }
        while n < limit {
            let next = {
                let mut index = self.expiry();
                let Some(mut bucket) = index.buckets.first_entry() else {
                    break;
                };
                if *bucket.key() > now {
                    break;
                }
                let k = bucket.get_mut().pop();
                if bucket.get().is_empty() {
                    bucket.remove();
                }
                k
            };
            if let Some(gk) = next
                && self.delete_if_expired(&gk, now)?
            {
                n += 1;
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl KeyStore for SledStore {
    async fn put(&self, key: &StoredKey) -> Result<(), StoreError> {
        self.keys
            .insert(key.kid.as_bytes(), encode(key)?)
            .map_err(map_err)?;
        self.flush()
    }

    async fn list(&self) -> Result<Vec<StoredKey>, StoreError> {
        Self::values(&self.keys)
    }

    async fn delete(&self, kid: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.keys, kid)
    }
}

#[async_trait]
impl UserStore for SledStore {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let v = encode(user)?;
        let key = User::uid_key(&user.uid);
        // Claim the uid first: of two racing inserts only one gets it.
        self.users_uid
            .compare_and_swap(
                key.as_bytes(),
                None as Option<&[u8]>,
                Some(user.inum.as_bytes()),
            )
            .map_err(map_err)?
            .map_err(|_| StoreError::Conflict)?;
        let stored = self
            .users
            .compare_and_swap(user.inum.as_bytes(), None as Option<&[u8]>, Some(v))
            .map_err(map_err)?;
        if stored.is_err() {
            self.users_uid.remove(key.as_bytes()).map_err(map_err)?;
            return Err(StoreError::Conflict);
        }
        self.flush()
    }

    async fn get(&self, inum: &str) -> Result<Option<User>, StoreError> {
        match self.users.get(inum.as_bytes()).map_err(map_err)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    async fn by_uid(&self, uid: &str) -> Result<Option<User>, StoreError> {
        match self
            .users_uid
            .get(User::uid_key(uid).as_bytes())
            .map_err(map_err)?
        {
            Some(inum) => match self.users.get(&inum).map_err(map_err)? {
                Some(v) => Ok(Some(decode(&v)?)),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    async fn update(&self, user: &User) -> Result<(), StoreError> {
        let Some(old) = self.users.get(user.inum.as_bytes()).map_err(map_err)? else {
            return Err(StoreError::NotFound);
        };
        let old: User = decode(&old)?;
        let (old_key, new_key) = (User::uid_key(&old.uid), User::uid_key(&user.uid));
        if old_key != new_key {
            self.users_uid
                .compare_and_swap(
                    new_key.as_bytes(),
                    None as Option<&[u8]>,
                    Some(user.inum.as_bytes()),
                )
                .map_err(map_err)?
                .map_err(|_| StoreError::Conflict)?;
        }
        self.users
            .insert(user.inum.as_bytes(), encode(user)?)
            .map_err(map_err)?;
        if old_key != new_key {
            self.users_uid.remove(old_key.as_bytes()).map_err(map_err)?;
        }
        self.flush()
    }

    async fn delete(&self, inum: &str) -> Result<bool, StoreError> {
        let Some(old) = self.users.remove(inum.as_bytes()).map_err(map_err)? else {
            return Ok(false);
        };
        if let Ok(old) = decode::<User>(&old) {
            self.users_uid
                .remove(User::uid_key(&old.uid).as_bytes())
                .map_err(map_err)?;
        }
        self.flush()?;
        Ok(true)
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        Self::values(&self.users)
    }
}

/// The one key of the `config` tree.
const CONFIG_KEY: &[u8] = b"jansConfDyn";

#[async_trait]
impl super::ConfigStore for SledStore {
    async fn get(&self) -> Result<Option<super::StoredConfig>, StoreError> {
        let Some(v) = self.config.get(CONFIG_KEY).map_err(map_err)? else {
            return Ok(None);
        };
        let (revision, doc): (u64, serde_json::Value) = decode(&v)?;
        Ok(Some(super::StoredConfig { revision, doc }))
    }

    async fn put(&self, doc: &serde_json::Value, expected: u64) -> Result<u64, StoreError> {
        let old = self.config.get(CONFIG_KEY).map_err(map_err)?;
        let current = match &old {
            Some(v) => decode::<(u64, serde_json::Value)>(v)?.0,
            None => 0,
        };
        if current != expected {
            return Err(StoreError::Conflict);
        }
        let revision = expected + 1;
        self.config
            .compare_and_swap(CONFIG_KEY, old, Some(encode(&(revision, doc))?))
            .map_err(map_err)?
            .map_err(|_| StoreError::Conflict)?;
        self.flush()?;
        Ok(revision)
    }
}

#[async_trait]
impl super::ScopeStore for SledStore {
    async fn insert(&self, scope: &crate::scope::Scope) -> Result<(), StoreError> {
        self.insert_new(&self.scopes, &scope.id, scope)
    }

    async fn update(&self, scope: &crate::scope::Scope) -> Result<(), StoreError> {
        self.replace(&self.scopes, &scope.id, scope)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.scopes, id)
    }

    async fn list(&self) -> Result<Vec<crate::scope::Scope>, StoreError> {
        Self::values(&self.scopes)
    }
}
