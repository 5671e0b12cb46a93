//! The grant store on sled: records by kind and key, families, single use by
//! compare-and-swap to a tombstone, counters, expiry and sweeping.

use crate::ctx::UnixTime;
use crate::store::{GrantKind, GrantRecord, GrantStore, StoreError, Taken};

use async_trait::async_trait;

use super::{SledStore, decode_grant, encode, encode_tombstone, fam_key, grant_key, map_err};

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

    async fn add(
        &self,
        kind: GrantKind,
        key: &str,
        by: u64,
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
                count = previous.saturating_add(by);
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

    async fn counter(&self, kind: GrantKind, key: &str, now: UnixTime) -> Result<u64, StoreError> {
        let found = self
            .grants
            .get(grant_key(kind, key))
            .map_err(map_err)?
            .map(|v| decode_grant(&v))
            .transpose()?;
        Ok(found
            .filter(|(r, used)| !used && r.is_live(now))
            .and_then(|(r, _)| r.data.get("count").and_then(serde_json::Value::as_u64))
            .unwrap_or(0))
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

    async fn family(
        &self,
        family: &str,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(GrantKind, String, GrantRecord)>, StoreError> {
        if family.is_empty() {
            return Ok(Vec::new());
        }
        let mut prefix = family.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for item in self.grant_fam.scan_prefix(&prefix) {
            if out.len() >= limit {
                break;
            }
            let (fk, _) = item.map_err(map_err)?;
            let gk = fk.get(prefix.len()..).unwrap_or_default();
            // An entry may outlive its record, or name a record another family now holds.
            let Some(v) = self.grants.get(gk).map_err(map_err)? else {
                continue;
            };
            let (rec, used) = decode_grant(&v)?;
            if used || !rec.is_live(now) || rec.family != family {
                continue;
            }
            let kind = gk.first().copied().and_then(GrantKind::from_u8);
            let key = gk.get(1..).and_then(|k| std::str::from_utf8(k).ok());
            if let (Some(kind), Some(key)) = (kind, key) {
                out.push((kind, key.to_owned(), rec));
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
    pub(super) fn put_grant(
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
