//! The embedded default backend: one sled database in a directory.
//!
//! Layout (one tree each): `grants` (kind byte + key -> JSON), `grant_fam` (family + 0 +
//! kind + key -> ()) for family revocation, and the documents of every collection in
//! `docs`, `doc_keys` and `doc_index` (`documents`). Databases of older versions, with a tree per
//! aggregate, are moved to documents when opened (`upgrade`). The sweeper's expiry index
//! lives in memory: the first sweep after opening scans `grants` once and fills it, later
//! inserts add to it. Keeping it out of sled halves the writes of a token issuance (sled
//! copies a leaf on every write).
//!
//! Durability (DESIGN.md §4): every write, grant state included, is on disk before it
//! returns, through group commit (`flush`): concurrent writers wait for one shared flush,
//! so an acknowledged token, code or session survives `kill -9`.
//!
//! Tombstones left by [`crate::store::GrantStore::take`] are the record's JSON behind a `USED` byte;
//! counters are records whose `data.count` holds the value.

mod documents;
mod flush;
mod grants;
mod upgrade;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use super::{GrantKind, GrantRecord, StoreError};
use crate::ctx::UnixTime;

/// A sled database holding every store.
pub struct SledStore {
    grants: sled::Tree,
    grant_fam: sled::Tree,
    /// Documents of every collection, their unique keys and their index keys (`documents`).
    docs: sled::Tree,
    doc_keys: sled::Tree,
    doc_index: sled::Tree,
    /// Write counters of the collections (`DocumentStore::generation`).
    generations: crate::store::document::Generations,
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
        let (docs, doc_keys) = (tree("docs")?, tree("doc_keys")?);
        upgrade::records_to_documents(&db, &docs, &doc_keys)?;
        Ok(SledStore {
            grants: tree("grants")?,
            grant_fam: tree("grant_fam")?,
            docs,
            doc_keys,
            doc_index: tree("doc_index")?,
            generations: Default::default(),
            expiry: Mutex::new(ExpiryIndex::default()),
            commit: flush::GroupCommit::start(db)?,
        })
    }

    /// Wait until what this caller wrote is on disk (one flush shared with every concurrent
    /// writer).
    async fn durable(&self) -> Result<(), StoreError> {
        self.commit.durable().await
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
