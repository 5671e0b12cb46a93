//! Typed repositories over the grant primitive (DESIGN.md §4): one [`GrantKind`] read and
//! written as its [`GrantData`] struct, so protocol code holds a `Session`, an interaction
//! or a consent, never a record's members.

use std::marker::PhantomData;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::ctx::UnixTime;
use crate::store::{GrantData, GrantKind, GrantRecord, GrantStore, StoreError};

/// The storage key of a bearer value (token, code, cookie, interaction id): base64url
/// SHA-256, so a read of the database does not yield usable secrets.
pub fn token_key(token: &str) -> String {
    crate::b64::encode(&Sha256::digest(token.as_bytes()))
}

/// The records of one kind, as `T`.
pub struct GrantRecords<T> {
    grants: Arc<dyn GrantStore>,
    kind: GrantKind,
    _values: PhantomData<fn() -> T>,
}

impl<T> Clone for GrantRecords<T> {
    fn clone(&self) -> Self {
        GrantRecords {
            grants: self.grants.clone(),
            kind: self.kind,
            _values: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for GrantRecords<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrantRecords({:?})", self.kind)
    }
}

impl<T: GrantData> GrantRecords<T> {
    /// The grant store the records are kept in.
    pub fn store(&self) -> &Arc<dyn GrantStore> {
        &self.grants
    }

    /// The records of `kind` in `grants`.
    pub fn new(grants: Arc<dyn GrantStore>, kind: GrantKind) -> GrantRecords<T> {
        GrantRecords {
            grants,
            kind,
            _values: PhantomData,
        }
    }

    /// Store `value` under `key` in the record `stamp` (its family, owner, lifetime);
    /// `Conflict` when a live record has the key. Durable when it returns.
    pub async fn insert(
        &self,
        key: &str,
        stamp: GrantRecord,
        value: &T,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.grants
            .insert_owned(self.kind, key, stamp.with(value)?, now)
            .await
    }

    /// Store `value` under `key` whether or not a record is there (remove, then insert).
    pub async fn replace(
        &self,
        key: &str,
        stamp: GrantRecord,
        value: &T,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.grants.remove(self.kind, key).await?;
        self.insert(key, stamp, value, now).await
    }

    /// The live record under `key` and its value.
    pub async fn get(
        &self,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<(std::sync::Arc<GrantRecord>, T)>, StoreError> {
        match self.grants.get_shared(self.kind, key, now).await? {
            Some(rec) => {
                let value = rec.read()?;
                Ok(Some((rec, value)))
            }
            None => Ok(None),
        }
    }

    /// The live value under `key` (the record itself not copied where the backend keeps
    /// it in memory).
    pub async fn read(&self, key: &str, now: UnixTime) -> Result<Option<T>, StoreError> {
        self.grants
            .get_shared(self.kind, key, now)
            .await?
            .map(|r| r.read())
            .transpose()
    }

    /// Atomically take the live value under `key`: of concurrent callers, one gets it.
    pub async fn take(&self, key: &str, now: UnixTime) -> Result<Option<T>, StoreError> {
        self.grants
            .take(self.kind, key, now, None)
            .await?
            .record()
            .map(|r| r.read())
            .transpose()
    }

    /// Remove the record under `key`; whether it existed.
    pub async fn remove(&self, key: &str) -> Result<bool, StoreError> {
        self.grants.remove(self.kind, key).await
    }
}
