//! The embedded default backend: one sled database in a directory.
//!
//! Layout (one tree each): `clients` (id -> JSON), `keys` (kid -> JSON), `grants`
//! (kind byte + key -> JSON), `grant_fam` (family + 0 + kind + key -> ()) for family
//! revocation, `users` (inum -> JSON) and `users_uid` (lowercased uid -> inum). The sweeper's expiry index lives in memory: the first sweep after opening
//! scans `grants` once and fills it, later inserts add to it. Keeping it out of sled halves
//! the writes of a token issuance (sled copies a leaf on every write).
//!
//! Durability (DESIGN.md §4): every write, grant state included, is on disk before it
//! returns, through group commit (`flush`): concurrent writers wait for one shared flush,
//! so an acknowledged token, code or session survives `kill -9`.
//!
//! Tombstones left by [`GrantStore::take`] are the record's JSON behind a `USED` byte;
//! counters are records whose `data.count` holds the value.

mod flush;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    ClientStore, GrantKind, GrantRecord, GrantStore, KeyStore, StoreError, Taken, UserStore,
};
use crate::ctx::UnixTime;
use crate::repo::client::Client;
use crate::repo::key::StoredKey;
use crate::repo::user::User;

/// A sled database holding every store.
pub struct SledStore {
    clients: sled::Tree,
    keys: sled::Tree,
    grants: sled::Tree,
    grant_fam: sled::Tree,
    users: sled::Tree,
    users_uid: sled::Tree,
    config: sled::Tree,
    scopes: sled::Tree,
    /// Facts about the installation (the master key's check value).
    meta: sled::Tree,
    expiry: Mutex<ExpiryIndex>,
    commit: flush::GroupCommit,
}

/// The first byte of a tombstone (JSON records start with `{`).
const USED: u8 = b'U';

/// A stored grant value: the record and whether it is a tombstone.
fn decode_grant(v: &[u8]) -> Result<(GrantRecord, bool), StoreError> {
    match v.split_first() {
        Some((&USED, rest)) => Ok((decode(rest)?, true)),
        _ => Ok((decode(v)?, false)),
    }
}

fn encode_tombstone(record: &GrantRecord) -> Result<Vec<u8>, StoreError> {
    let mut v = vec![USED];
    serde_json::to_writer(&mut v, record).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(v)
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
            meta: tree("meta")?,
            expiry: Mutex::new(ExpiryIndex::default()),
            commit: flush::GroupCommit::start(db)?,
        })
    }

    /// Wait until what this caller wrote is on disk (one flush shared with every concurrent
    /// writer).
    async fn durable(&self) -> Result<(), StoreError> {
        self.commit.durable().await
    }

    /// Store `value` under a `key` that must be new (`Conflict` otherwise), durably.
    async fn insert_new<T: serde::Serialize + Sync>(
        &self,
        tree: &sled::Tree,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        tree.compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(encode(value)?))
            .map_err(map_err)?
            .map_err(|_| StoreError::Conflict)?;
        self.durable().await
    }

    /// Replace the value under an existing `key` (`NotFound` otherwise), durably.
    async fn replace<T: serde::Serialize + Sync>(
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
        self.durable().await
    }

    /// Remove `key`, durably; whether it existed.
    async fn remove_key(&self, tree: &sled::Tree, key: &str) -> Result<bool, StoreError> {
        let existed = tree.remove(key.as_bytes()).map_err(map_err)?.is_some();
        self.durable().await?;
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
        let Ok((rec, _)) = decode_grant(&v) else {
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
            .await
    }

    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        match self.clients.get(client_id.as_bytes()).map_err(map_err)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        self.replace(&self.clients, &client.client_id, client).await
    }

    async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.clients, client_id).await
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
        self.put_grant(&gk, encode(record)?, record, now)?;
        self.durable().await
    }

    async fn get(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError> {
        match self.grants.get(grant_key(kind, key)).map_err(map_err)? {
            Some(v) => {
                let (rec, used) = decode_grant(&v)?;
                Ok((!used && rec.is_live(now)).then_some(rec))
            }
            None => Ok(None),
        }
    }

    async fn take(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
        tombstone_until: Option<UnixTime>,
    ) -> Result<Taken, StoreError> {
        let gk = grant_key(kind, key);
        loop {
            let Some(current) = self.grants.get(&gk).map_err(map_err)? else {
                return Ok(Taken::Absent);
            };
            let (rec, used) = decode_grant(&current)?;
            if !rec.is_live(now) {
                return Ok(Taken::Absent);
            }
            if used {
                return Ok(Taken::AlreadyUsed(rec));
            }
            // One compare-and-swap from the record to its tombstone (or to nothing): of
            // concurrent callers exactly one swaps; the others see the tombstone and loop
            // to report it.
            let replacement = match tombstone_until {
                Some(until) => {
                    let mut tomb = rec.clone();
                    tomb.expires_at = until;
                    Some(encode_tombstone(&tomb)?)
                }
                None => None,
            };
            if self
                .grants
                .compare_and_swap(&gk, Some(&current), replacement.as_deref())
                .map_err(map_err)?
                .is_err()
            {
                continue;
            }
            match tombstone_until {
                Some(until) => self
                    .expiry()
                    .buckets
                    .entry(until)
                    .or_default()
                    .push(gk.clone()),
                None => self.unlink(&gk, &rec)?,
            }
            self.durable().await?;
            return Ok(Taken::Record(rec));
        }
    }

    async fn increment(
        &self,
        kind: GrantKind,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        let gk = grant_key(kind, key);
        let mut count = 0;
        let mut failure = None;
        // sled's fetch_and_update retries the closure until its compare-and-swap wins, so
        // no concurrent increment is lost.
        self.grants
            .fetch_and_update(&gk, |old| {
                let previous = old
                    .and_then(|v| decode_grant(v).ok())
                    .filter(|(r, used)| !used && r.is_live(now))
                    .and_then(|(r, _)| r.data.get("count").and_then(serde_json::Value::as_u64))
                    .unwrap_or(0);
                count = previous.saturating_add(1);
                let mut rec = GrantRecord::bare(now, expires_at);
                rec.data.insert("count".to_owned(), count.into());
                match encode(&rec) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        failure = Some(e);
                        old.map(<[u8]>::to_vec)
                    }
                }
            })
            .map_err(map_err)?;
        if let Some(e) = failure {
            return Err(e);
        }
        self.expiry()
            .buckets
            .entry(expires_at)
            .or_default()
            .push(gk);
        self.durable().await?;
        Ok(count)
    }

    async fn scan(
        &self,
        kind: GrantKind,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(String, GrantRecord)>, StoreError> {
        let mut out = Vec::new();
        for item in self.grants.scan_prefix([kind as u8]) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item.map_err(map_err)?;
            let (rec, used) = decode_grant(&v)?;
            if used || !rec.is_live(now) {
                continue;
            }
            let key = k.get(1..).unwrap_or_default();
            if let Ok(key) = std::str::from_utf8(key) {
                out.push((key.to_owned(), rec));
            }
        }
        Ok(out)
    }

    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError> {
        let gk = grant_key(kind, key);
        let existed = match self.grants.remove(&gk).map_err(map_err)? {
            Some(v) => {
                if let Ok((rec, _)) = decode_grant(&v) {
                    self.unlink(&gk, &rec)?;
                }
                true
            }
            None => false,
        };
        self.durable().await?;
        Ok(existed)
    }

    async fn remove_owned(
        &self,
        kind: GrantKind,
        key: &str,
        owner: &str,
    ) -> Result<bool, StoreError> {
        let gk = grant_key(kind, key);
        let Some(current) = self.grants.get(&gk).map_err(map_err)? else {
            return Ok(false);
        };
        let (rec, _) = decode_grant(&current)?;
        // Compare-and-swap on the value read: if another writer replaced it meanwhile (a new
        // holder), nothing is removed.
        if rec.client_id != owner
            || self
                .grants
                .compare_and_swap(&gk, Some(&current), None as Option<&[u8]>)
                .map_err(map_err)?
                .is_err()
        {
            return Ok(false);
        }
        self.unlink(&gk, &rec)?;
        self.durable().await?;
        Ok(true)
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
            loop {
                let Some(current) = self.grants.get(gk).map_err(map_err)? else {
                    // No record (yet): an insert writes the family entry before its record,
                    // so one may be landing now. The entry stays, for the revocation that
                    // follows every such insert (`family::settle`) to find.
                    break;
                };
                let (rec, _) = decode_grant(&current)?;
                if rec.family != family {
                    // A stale entry (an insert refused as a conflict): not this family's.
                    self.grant_fam.remove(&fk).map_err(map_err)?;
                    break;
                }
                if self
                    .grants
                    .compare_and_swap(gk, Some(&current), None as Option<&[u8]>)
                    .map_err(map_err)?
                    .is_ok()
                {
                    n += 1;
                    self.grant_fam.remove(&fk).map_err(map_err)?;
                    break;
                }
            }
        }
        self.durable().await?;
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
                if let Ok((rec, _)) = decode_grant(&v) {
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
        // Expired records are absent to every reader already: a crash that forgets a sweep
        // only makes the next one delete them again, so the sweep does not wait for a flush.
        Ok(n)
    }
}

impl SledStore {
    /// Write `value` (encoding `record`) at `gk` unless a live record (or tombstone) holds
    /// it; an expired one is replaced.
    fn put_grant(
        &self,
        gk: &[u8],
        value: Vec<u8>,
        record: &GrantRecord,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        // The family index first: an entry without its record is skipped.
        if !record.family.is_empty() {
            self.grant_fam
                .insert(fam_key(&record.family, gk), &[])
                .map_err(map_err)?;
        }
        let mut expected: Option<sled::IVec> = None;
        loop {
            match self
                .grants
                .compare_and_swap(gk, expected.as_ref(), Some(value.as_slice()))
                .map_err(map_err)?
            {
                Ok(()) => {
                    self.expiry()
                        .buckets
                        .entry(record.expires_at)
                        .or_default()
                        .push(gk.to_vec());
                    return Ok(());
                }
                Err(cas) => {
                    let Some(current) = cas.current else {
                        expected = None;
                        continue;
                    };
                    let (old, _) = decode_grant(&current)?;
                    if old.is_live(now) {
                        // The family entry written above is not the live record's.
                        if old.family != record.family && !record.family.is_empty() {
                            self.grant_fam
                                .remove(fam_key(&record.family, gk))
                                .map_err(map_err)?;
                        }
                        return Err(StoreError::Conflict);
                    }
                    // The expired record's family entry goes, unless it is the one just
                    // written for this record.
                    if old.family != record.family {
                        self.unlink(gk, &old)?;
                    }
                    expected = Some(current);
                }
            }
        }
    }
}

#[async_trait]
impl KeyStore for SledStore {
    async fn put(&self, key: &StoredKey) -> Result<(), StoreError> {
        self.keys
            .insert(key.kid.as_bytes(), encode(key)?)
            .map_err(map_err)?;
        self.durable().await
    }

    async fn list(&self) -> Result<Vec<StoredKey>, StoreError> {
        Self::values(&self.keys)
    }

    async fn delete(&self, kid: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.keys, kid).await
    }

    async fn master_key_check(&self, record: Option<&str>) -> Result<Option<String>, StoreError> {
        const KEY: &[u8] = b"master_key_check";
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let Some(r) = record else {
            return Ok(self.meta.get(KEY).map_err(map_err)?.map(|v| text(&v)));
        };
        match self
            .meta
            .compare_and_swap(KEY, None as Option<&[u8]>, Some(r.as_bytes()))
            .map_err(map_err)?
        {
            Ok(()) => {
                self.durable().await?;
                Ok(Some(r.to_owned()))
            }
            Err(cas) => Ok(cas.current.map(|v| text(&v))),
        }
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
        self.durable().await
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
        self.durable().await
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
        self.durable().await?;
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
        self.durable().await?;
        Ok(revision)
    }
}

#[async_trait]
impl super::ScopeStore for SledStore {
    async fn insert(&self, scope: &crate::repo::scope::Scope) -> Result<(), StoreError> {
        self.insert_new(&self.scopes, &scope.id, scope).await
    }

    async fn update(&self, scope: &crate::repo::scope::Scope) -> Result<(), StoreError> {
        self.replace(&self.scopes, &scope.id, scope).await
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.scopes, id).await
    }

    async fn list(&self) -> Result<Vec<crate::repo::scope::Scope>, StoreError> {
        Self::values(&self.scopes)
    }
}
