//! The document store on sled: `docs` (collection + 0 + id -> revision, keys, body),
//! `doc_keys` (collection + 0 + key name + 0 + value -> id: the unique keys) and `doc_index`
//! (collection + 0 + key name + 0 + value + 0 + id -> nothing: the index keys). A document
//! and its keys change in one multi-tree transaction, so a unique key is never claimed
//! twice and no key is left behind; every write is durable before it returns (group
//! commit). Names, values and ids hold no NUL, so the separators are unambiguous and a key
//! tree orders its entries by value, then id.
//!
//! A query ([`DocumentStore::query`]) reads each key test as ranges of the two key trees
//! (an equality or a prefix is one short range; an order comparison a range from or to
//! its operand; `co`/`ew` every value of the name), combines the ids, then reads the
//! documents in id order, each checked against the filter on the keys it holds now.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sled::Transactional as _;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{SledStore, map_err};
use crate::store::StoreError;
use crate::store::document::{
    Document, DocumentStore, Filter, Key, Test, check_filter, check_names,
};

/// A document as stored.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    /// Revision.
    r: u64,
    /// Unique keys, as (name, value).
    #[serde(default)]
    pub(super) u: Vec<(String, String)>,
    /// Index keys, as (name, value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    i: Vec<(String, String)>,
    /// Body.
    b: serde_json::Value,
}

impl Stored {
    /// A document at revision `r` holding `u`.
    pub(super) fn new(r: u64, u: Vec<(String, String)>, b: serde_json::Value) -> Stored {
        Stored {
            r,
            u,
            i: Vec::new(),
            b,
        }
    }

    /// At revision `r`, holding `keys` (as [`check_names`] returned them).
    fn with_keys(r: u64, keys: &[Key], b: serde_json::Value) -> Stored {
        let pair = |k: &Key| (k.name.clone(), k.value.clone());
        Stored {
            r,
            u: keys.iter().filter(|k| k.unique).map(pair).collect(),
            i: keys.iter().filter(|k| !k.unique).map(pair).collect(),
            b,
        }
    }

    /// Every key it holds, as (name, value).
    fn keys(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.u
            .iter()
            .chain(&self.i)
            .map(|(n, v)| (n.as_str(), v.as_str()))
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

/// The `doc_index` entry of the index key `name` = `value` of the document `id`.
fn index_key(collection: &str, name: &str, value: &str, id: &str) -> Vec<u8> {
    let mut k = unique_key(collection, name, value);
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Whether, in a key tree's ascending order, no value from `value` on can pass `test`.
fn past(test: &Test, value: &str) -> bool {
    match test {
        Test::Eq(v) | Test::Le(v) => value > v.as_str(),
        Test::StartsWith(v) => value > v.as_str() && !value.starts_with(v.as_str()),
        Test::Lt(v) => value >= v.as_str(),
        _ => false,
    }
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

/// Add to `ids` the ids of the entries of `tree` under `base` (a collection and key name),
/// from `start` on, whose value passes `test`; `split` reads an entry (the key past `base`,
/// the value) as its key value and id.
fn scan(
    tree: &sled::Tree,
    base: &[u8],
    start: &[u8],
    test: &Test,
    ids: &mut BTreeSet<Vec<u8>>,
    split: impl for<'k> Fn(&'k [u8], &[u8]) -> Option<(&'k [u8], Vec<u8>)>,
) -> Result<(), StoreError> {
    for item in tree.range(start..) {
        let (k, v) = item.map_err(map_err)?;
        let Some(rest) = k.strip_prefix(base) else {
            break;
        };
        let Some((value, id)) = split(rest, &v) else {
            continue;
        };
        let value = String::from_utf8_lossy(value);
        if past(test, &value) {
            break;
        }
        if test.passes(&value) {
            ids.insert(id);
        }
    }
    Ok(())
}

type Tx = sled::transaction::TransactionalTree;

/// Claim `keys` for `id` inside a transaction: `Conflict` when a unique value is taken.
fn claim(
    unique: &Tx,
    index: &Tx,
    collection: &str,
    id: &str,
    keys: &[Key],
) -> Result<(), ConflictableTransactionError<StoreError>> {
    for k in keys {
        if k.unique {
            let uk = unique_key(collection, &k.name, &k.value);
            if unique.get(&uk)?.is_some() {
                return abort(StoreError::Conflict);
            }
            unique.insert(uk, id.as_bytes())?;
        } else {
            index.insert(index_key(collection, &k.name, &k.value, id), &[])?;
        }
    }
    Ok(())
}

/// Free the keys `current` holds, inside a transaction.
fn release(
    unique: &Tx,
    index: &Tx,
    collection: &str,
    id: &str,
    current: &Stored,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    for (name, value) in &current.u {
        unique.remove(unique_key(collection, name, value))?;
    }
    for (name, value) in &current.i {
        index.remove(index_key(collection, name, value, id))?;
    }
    Ok(())
}

impl SledStore {
    /// The ids of the documents holding a value of the key `name` that passes `test`, read
    /// from ranges of both key trees.
    fn key_ids(
        &self,
        collection: &str,
        name: &str,
        test: &Test,
    ) -> Result<BTreeSet<Vec<u8>>, StoreError> {
        let base = unique_key(collection, name, "");
        let mut start = base.clone();
        if let Test::Eq(v) | Test::StartsWith(v) | Test::Gt(v) | Test::Ge(v) = test {
            start.extend_from_slice(v.as_bytes());
        }
        let mut ids = BTreeSet::new();
        // Unique keys: value -> id.
        scan(&self.doc_keys, &base, &start, test, &mut ids, |rest, id| {
            Some((rest, id.to_vec()))
        })?;
        // Index keys: value + 0 + id -> nothing.
        scan(&self.doc_index, &base, &start, test, &mut ids, |rest, _| {
            let mut parts = rest.splitn(2, |b| *b == 0);
            Some((parts.next()?, parts.next()?.to_vec()))
        })?;
        Ok(ids)
    }

    /// The ids of the documents whose keys pass `filter`.
    fn filter_ids(
        &self,
        collection: &str,
        filter: &Filter,
    ) -> Result<BTreeSet<Vec<u8>>, StoreError> {
        match filter {
            Filter::Key { name, test } => self.key_ids(collection, name, test),
            Filter::And(parts) => {
                let mut parts = parts.iter();
                let Some(first) = parts.next() else {
                    // Nothing to hold: every document.
                    let prefix = doc_key(collection, "");
                    return self
                        .docs
                        .scan_prefix(&prefix)
                        .map(|item| {
                            let (k, _) = item.map_err(map_err)?;
                            Ok(k.strip_prefix(prefix.as_slice())
                                .unwrap_or_default()
                                .to_vec())
                        })
                        .collect();
                };
                let mut ids = self.filter_ids(collection, first)?;
                for part in parts {
                    if ids.is_empty() {
                        break;
                    }
                    let more = self.filter_ids(collection, part)?;
                    ids.retain(|id| more.contains(id));
                }
                Ok(ids)
            }
            Filter::Or(parts) => {
                let mut ids = BTreeSet::new();
                for part in parts {
                    ids.append(&mut self.filter_ids(collection, part)?);
                }
                Ok(ids)
            }
        }
    }
}

#[async_trait]
impl DocumentStore for SledStore {
    async fn insert(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        keys: &[Key],
    ) -> Result<u64, StoreError> {
        let all = check_names(collection, id, keys)?;
        let key = doc_key(collection, id);
        let value = encode(&Stored::with_keys(1, &all, body.clone()))?;
        settle((&self.docs, &self.doc_keys, &self.doc_index).transaction(
            |(docs, keys, index)| {
                if docs.get(&key)?.is_some() {
                    return abort(StoreError::Conflict);
                }
                claim(keys, index, collection, id, &all)?;
                docs.insert(key.as_slice(), value.as_slice())?;
                Ok(())
            },
        ))?;
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
        keys: &[Key],
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let all = check_names(collection, id, keys)?;
        let key = doc_key(collection, id);
        let revision = settle((&self.docs, &self.doc_keys, &self.doc_index).transaction(
            |(docs, keys, index)| {
                let Some(current) = current_at(docs, &key, expected)? else {
                    return abort(StoreError::NotFound);
                };
                release(keys, index, collection, id, &current)?;
                claim(keys, index, collection, id, &all)?;
                let next = current.r.saturating_add(1);
                let value = match encode(&Stored::with_keys(next, &all, body.clone())) {
                    Ok(v) => v,
                    Err(e) => return abort(e),
                };
                docs.insert(key.as_slice(), value)?;
                Ok(next)
            },
        ))?;
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
        let existed = settle((&self.docs, &self.doc_keys, &self.doc_index).transaction(
            |(docs, keys, index)| {
                let Some(current) = current_at(docs, &key, expected)? else {
                    return Ok(false);
                };
                release(keys, index, collection, id, &current)?;
                docs.remove(key.as_slice())?;
                Ok(true)
            },
        ))?;
        if existed {
            self.generations.bump(collection);
            self.durable().await?;
        }
        Ok(existed)
    }

    fn generation(&self, collection: &str) -> Option<u64> {
        Some(self.generations.current(collection))
    }

    async fn query(
        &self,
        collection: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        check_filter(filter)?;
        let mut out = Vec::new();
        for id in self.filter_ids(collection, filter)? {
            if out.len() == limit {
                break;
            }
            let Some(v) = self
                .docs
                .get(doc_key(collection, &String::from_utf8_lossy(&id)))
                .map_err(map_err)?
            else {
                continue;
            };
            let stored = decode(&v)?;
            // The document as it is now, if it still passes.
            if filter.matches(stored.keys()) {
                out.push(document(&id, stored));
            }
        }
        Ok(out)
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
