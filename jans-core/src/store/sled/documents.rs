//! The document store on sled: `docs` (collection + 0 + id -> revision, unique keys, body)
//! and `doc_keys` (collection + 0 + key name + 0 + value -> id). A document and its keys
//! change in one multi-tree transaction, so a unique key is never claimed twice nor left
//! behind; every write is durable before it returns (group commit).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sled::Transactional as _;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{SledStore, map_err};
use crate::store::StoreError;
use crate::store::document::{Document, DocumentStore, UniqueKey, check_names};

/// A document as stored.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    /// Revision.
    r: u64,
    /// Unique keys, as (name, value).
    #[serde(default)]
    pub(super) u: Vec<(String, String)>,
    /// Body.
    b: serde_json::Value,
}

impl Stored {
    /// A document at revision `r` holding `u`.
    pub(super) fn new(r: u64, u: Vec<(String, String)>, b: serde_json::Value) -> Stored {
        Stored { r, u, b }
    }
}

pub(super) fn doc_key(collection: &str, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(collection.len() + 1 + id.len());
    k.extend_from_slice(collection.as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

pub(super) fn unique_key(collection: &str, name: &str, value: &str) -> Vec<u8> {
    let mut k = doc_key(collection, name);
    k.push(0);
    k.extend_from_slice(value.as_bytes());
    k
}

fn encode(s: &Stored) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode(v: &[u8]) -> Result<Stored, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn pairs(unique: &[UniqueKey]) -> Vec<(String, String)> {
    unique
        .iter()
        .map(|k| (k.name.clone(), k.value.clone()))
        .collect()
}

/// The outcome of a transaction whose closure aborts with a `StoreError`.
fn settle<T>(r: Result<T, TransactionError<StoreError>>) -> Result<T, StoreError> {
    match r {
        Ok(v) => Ok(v),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(map_err(e)),
    }
}

fn abort<T>(e: StoreError) -> Result<T, ConflictableTransactionError<StoreError>> {
    Err(ConflictableTransactionError::Abort(e))
}

fn document(id: &[u8], stored: Stored) -> Document {
    Document {
        id: String::from_utf8_lossy(id).into_owned(),
        revision: stored.r,
        body: stored.b,
    }
}

/// The stored document at `key` inside a transaction, if it is at `expected` (when given):
/// `Conflict` at another revision.
fn current_at(
    docs: &sled::transaction::TransactionalTree,
    key: &[u8],
    expected: Option<u64>,
) -> Result<Option<Stored>, ConflictableTransactionError<StoreError>> {
    let Some(current) = docs.get(key)? else {
        return Ok(None);
    };
    let current = match decode(&current) {
        Ok(c) => c,
        Err(e) => return abort(e),
    };
    if expected.is_some_and(|e| e != current.r) {
        return abort(StoreError::Conflict);
    }
    Ok(Some(current))
}

#[async_trait]
impl DocumentStore for SledStore {
    async fn insert(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError> {
        check_names(collection, id, unique)?;
        let key = doc_key(collection, id);
        let value = encode(&Stored {
            r: 1,
            u: pairs(unique),
            b: body.clone(),
        })?;
        settle((&self.docs, &self.doc_keys).transaction(|(docs, keys)| {
            if docs.get(&key)?.is_some() {
                return abort(StoreError::Conflict);
            }
            for k in unique {
                let uk = unique_key(collection, &k.name, &k.value);
                if keys.get(&uk)?.is_some() {
                    return abort(StoreError::Conflict);
                }
                keys.insert(uk, id.as_bytes())?;
            }
            docs.insert(key.as_slice(), value.as_slice())?;
            Ok(())
        }))?;
        self.generations.bump(collection);
        self.durable().await?;
        Ok(1)
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
        match self.docs.get(doc_key(collection, id)).map_err(map_err)? {
            Some(v) => Ok(Some(document(id.as_bytes(), decode(&v)?))),
            None => Ok(None),
        }
    }

    async fn find(
        &self,
        collection: &str,
        name: &str,
        value: &str,
    ) -> Result<Option<Document>, StoreError> {
        let Some(id) = self
            .doc_keys
            .get(unique_key(collection, name, value))
            .map_err(map_err)?
        else {
            return Ok(None);
        };
        let id = String::from_utf8_lossy(&id).into_owned();
        DocumentStore::get(self, collection, &id).await
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
        let key = doc_key(collection, id);
        let revision = settle((&self.docs, &self.doc_keys).transaction(|(docs, keys)| {
            let Some(current) = current_at(docs, &key, expected)? else {
                return abort(StoreError::NotFound);
            };
            for (name, value) in &current.u {
                keys.remove(unique_key(collection, name, value))?;
            }
            for k in unique {
                let uk = unique_key(collection, &k.name, &k.value);
                if keys.get(&uk)?.is_some() {
                    return abort(StoreError::Conflict);
                }
                keys.insert(uk, id.as_bytes())?;
            }
            let next = current.r.saturating_add(1);
            let value = match encode(&Stored {
                r: next,
                u: pairs(unique),
                b: body.clone(),
            }) {
                Ok(v) => v,
                Err(e) => return abort(e),
            };
            docs.insert(key.as_slice(), value)?;
            Ok(next)
        }))?;
        self.generations.bump(collection);
        self.durable().await?;
        Ok(revision)
    }

    async fn delete(
        &self,
        collection: &str,
        id: &str,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        let key = doc_key(collection, id);
        let existed = settle((&self.docs, &self.doc_keys).transaction(|(docs, keys)| {
            let Some(current) = current_at(docs, &key, expected)? else {
                return Ok(false);
            };
            for (name, value) in &current.u {
                keys.remove(unique_key(collection, name, value))?;
            }
            docs.remove(key.as_slice())?;
            Ok(true)
        }))?;
        if existed {
            self.generations.bump(collection);
            self.durable().await?;
        }
        Ok(existed)
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
        let prefix = doc_key(collection, "");
        let start = match after {
            Some(a) => {
                // Just past `after`: its key followed by the smallest byte.
                let mut k = doc_key(collection, a);
                k.push(0);
                k
            }
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for item in self.docs.range(start..) {
            if out.len() == limit {
                break;
            }
            let (k, v) = item.map_err(map_err)?;
            let Some(id) = k.strip_prefix(prefix.as_slice()) else {
                break;
            };
            out.push(document(id, decode(&v)?));
        }
        Ok(out)
    }
}
