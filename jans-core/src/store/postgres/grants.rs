//! The grant store on PostgreSQL: one `jans_grant` table keyed by kind and key, inserts
//! batched into group commits (`batch`), single use by one `UPDATE ... RETURNING`,
//! counters by one upsert, families and expiry by index. Access tokens read are kept in the
//! process's document cache (`doc_cache`), forgotten here on every local change and on every
//! other node through migration 10's notifications: checking a bearer token, the hot read of
//! every resource request, costs no query once its token has been seen.

use crate::ctx::UnixTime;
use crate::store::{GrantKind, GrantRecord, GrantStore, StoreError, Taken};

use async_trait::async_trait;

use super::{Params, PgStore, batch, count, decode, encode, kind_tag, map_err, p, secs};

#[async_trait]
impl GrantStore for PgStore {
    async fn insert(
        &self,
        kind: GrantKind,
        key: &str,
        record: &GrantRecord,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        // An expired record under the same key is replaced; a live one is a conflict.
        let row = batch::Row {
            kind: kind_tag(kind),
            key: key.to_owned(),
            family: record.family.clone(),
            expires_at: secs(record.expires_at),
            doc: encode(record)?,
            now: secs(now),
        };
        // The writers run on the store's runtime; the channels work from any executor.
        let inserted = self.grants.insert(row).await;
        // Whatever happened (an expired record replaced), nothing cached of it stays.
        self.forget_grant(kind, key);
        if !inserted? {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    async fn get(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>, StoreError> {
        let cached_kind = kind == GrantKind::AccessToken;
        let mut epoch = None;
        if cached_kind {
            let (hit, at) = self.cache.get(&cache_collection(kind), key);
            if let Some(doc) = hit {
                let record: GrantRecord = serde_json::from_value(doc.body)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                return Ok(record.is_live(now).then_some(record));
            }
            epoch = at;
        }
        let found: Option<GrantRecord> = self
            .doc(
                "SELECT doc::text FROM jans_grant \
                 WHERE kind = $1 AND key = $2 AND expires_at > $3 AND NOT used",
                vec![p(kind_tag(kind)), p(key.to_owned()), p(secs(now))],
            )
            .await?;
        if cached_kind && let Some(record) = &found {
            let body =
                serde_json::to_value(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let doc = crate::store::document::Document {
                id: key.to_owned(),
                revision: 0,
                body,
            };
            self.cache.put(&cache_collection(kind), &doc, epoch);
        }
        Ok(found)
    }

    async fn take(
        &self,
        kind: GrantKind,
        key: &str,
        now: UnixTime,
        tombstone_until: Option<UnixTime>,
    ) -> Result<Taken, StoreError> {
        // One statement takes the row: of many concurrent callers on any number of nodes,
        // exactly one changes it (the others wait on its row lock, then find it used or
        // gone; DESIGN.md §4).
        let taken: Result<Option<GrantRecord>, StoreError> = match tombstone_until {
            Some(until) => {
                self.doc(
                    "UPDATE jans_grant SET used = true, expires_at = $4 \
                     WHERE kind = $1 AND key = $2 AND NOT used AND expires_at > $3 \
                     RETURNING doc::text",
                    vec![
                        p(kind_tag(kind)),
                        p(key.to_owned()),
                        p(secs(now)),
                        p(secs(until)),
                    ],
                )
                .await
            }
            None => self
                .doc::<GrantRecord>(
                    "DELETE FROM jans_grant WHERE kind = $1 AND key = $2 AND NOT used \
                     RETURNING doc::text",
                    vec![p(kind_tag(kind)), p(key.to_owned())],
                )
                .await
                .map(|r| r.filter(|r| r.is_live(now))),
        };
        self.forget_grant(kind, key);
        if let Some(record) = taken? {
            return Ok(Taken::Record(record));
        }
        let tombstone: Option<GrantRecord> = self
            .doc(
                "SELECT doc::text FROM jans_grant \
                 WHERE kind = $1 AND key = $2 AND used AND expires_at > $3",
                vec![p(kind_tag(kind)), p(key.to_owned()), p(secs(now))],
            )
            .await?;
        Ok(match tombstone {
            Some(t) => Taken::AlreadyUsed(t),
            None => Taken::Absent,
        })
    }

    async fn add(
        &self,
        kind: GrantKind,
        key: &str,
        by: u64,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        // One statement: ON CONFLICT DO UPDATE locks the row, so concurrent increments (from
        // any node) queue on it and none is lost.
        let doc = encode(&GrantRecord::bare(now, expires_at))?;
        let params: Params = vec![
            p(kind_tag(kind)),
            p(key.to_owned()),
            p(secs(expires_at)),
            p(doc),
            p(secs(now)),
            p(i64::try_from(by).unwrap_or(i64::MAX)),
        ];
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "INSERT INTO jans_grant (kind, key, family, expires_at, doc, used, counter) \
                     VALUES ($1, $2, '', $3, $4, false, $6) \
                     ON CONFLICT (kind, key) DO UPDATE SET \
                       counter = CASE WHEN jans_grant.expires_at > $5 AND NOT jans_grant.used \
                                      THEN jans_grant.counter + $6 ELSE $6 END, \
                       expires_at = EXCLUDED.expires_at, doc = EXCLUDED.doc, \
                       family = '', used = false \
                     RETURNING counter",
                )
                .await
                .map_err(map_err)?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as _).collect();
            let row = c.query_one(&stmt, &refs).await.map_err(map_err)?;
            let n: i64 = row.try_get(0).map_err(map_err)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn counter(&self, kind: GrantKind, key: &str, now: UnixTime) -> Result<u64, StoreError> {
        let params: Params = vec![p(kind_tag(kind)), p(key.to_owned()), p(secs(now))];
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "SELECT counter FROM jans_grant \
                     WHERE kind = $1 AND key = $2 AND expires_at > $3 AND NOT used",
                )
                .await
                .map_err(map_err)?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as _).collect();
            let row = c.query_opt(&stmt, &refs).await.map_err(map_err)?;
            match row {
                Some(r) => {
                    let n: i64 = r.try_get(0).map_err(map_err)?;
                    Ok(u64::try_from(n).unwrap_or(0))
                }
                None => Ok(0),
            }
        })
        .await
    }

    async fn scan(
        &self,
        kind: GrantKind,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(String, GrantRecord)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params: Params = vec![p(kind_tag(kind)), p(secs(now)), p(limit)];
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "SELECT key, doc::text FROM jans_grant \
                     WHERE kind = $1 AND expires_at > $2 AND NOT used LIMIT $3",
                )
                .await
                .map_err(map_err)?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as _).collect();
            let rows = c.query(&stmt, &refs).await.map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    let key: String = r.try_get(0).map_err(map_err)?;
                    let doc: String = r.try_get(1).map_err(map_err)?;
                    Ok((key, decode(&doc)?))
                })
                .collect()
        })
        .await
    }

    async fn family(
        &self,
        family: &str,
        now: UnixTime,
        limit: usize,
    ) -> Result<Vec<(GrantKind, String, GrantRecord)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params: Params = vec![p(family.to_owned()), p(secs(now)), p(limit)];
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "SELECT kind, key, doc::text FROM jans_grant \
                     WHERE family = $1 AND expires_at > $2 AND NOT used LIMIT $3",
                )
                .await
                .map_err(map_err)?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as _).collect();
            let rows = c.query(&stmt, &refs).await.map_err(map_err)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let tag: i16 = r.try_get(0).map_err(map_err)?;
                let key: String = r.try_get(1).map_err(map_err)?;
                let doc: String = r.try_get(2).map_err(map_err)?;
                let kind = u8::try_from(tag)
                    .ok()
                    .and_then(GrantKind::from_u8)
                    .ok_or_else(|| StoreError::Corrupt(format!("grant kind {tag}")))?;
                out.push((kind, key, decode(&doc)?));
            }
            Ok(out)
        })
        .await
    }

    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM jans_grant WHERE kind = $1 AND key = $2",
                vec![p(kind_tag(kind)), p(key.to_owned())],
            )
            .await;
        self.forget_grant(kind, key);
        Ok(n? > 0)
    }

    async fn remove_owned(
        &self,
        kind: GrantKind,
        key: &str,
        owner: &str,
    ) -> Result<bool, StoreError> {
        // One statement: the row goes only if it still names `owner`.
        let n = self
            .execute(
                "DELETE FROM jans_grant WHERE kind = $1 AND key = $2 \
                 AND doc::json->>'client_id' = $3",
                vec![p(kind_tag(kind)), p(key.to_owned()), p(owner.to_owned())],
            )
            .await;
        self.forget_grant(kind, key);
        Ok(n? > 0)
    }

    async fn remove_family(&self, family: &str) -> Result<usize, StoreError> {
        if family.is_empty() {
            return Ok(0);
        }
        // The access tokens that go are forgotten here at once; other nodes hear of them.
        let (family, access) = (family.to_owned(), kind_tag(GrantKind::AccessToken));
        let (n, keys): (i64, Vec<String>) = self
            .run(move |c| async move {
                let stmt = c
                    .prepare_cached(
                        "WITH gone AS (DELETE FROM jans_grant WHERE family = $1 \
                         RETURNING kind, key) \
                         SELECT count(*), coalesce(array_agg(key) FILTER (WHERE kind = $2), '{}') \
                         FROM gone",
                    )
                    .await
                    .map_err(map_err)?;
                let row = c
                    .query_one(&stmt, &[&family, &access])
                    .await
                    .map_err(map_err)?;
                Ok((
                    row.try_get(0).map_err(map_err)?,
                    row.try_get(1).map_err(map_err)?,
                ))
            })
            .await?;
        for key in &keys {
            self.forget_grant(GrantKind::AccessToken, key);
        }
        Ok(count(u64::try_from(n).unwrap_or(0)))
    }

    async fn sweep(&self, now: UnixTime, limit: usize) -> Result<usize, StoreError> {
        // A bounded batch: short transactions, so a sweep never holds many row locks.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let n = self
            .execute(
                "DELETE FROM jans_grant WHERE ctid IN \
                 (SELECT ctid FROM jans_grant WHERE expires_at <= $1 LIMIT $2)",
                vec![p(secs(now)), p(limit)],
            )
            .await?;
        Ok(count(n))
    }
}

/// The document cache's name for grants of `kind` (as migration 10 notifies them).
fn cache_collection(kind: GrantKind) -> String {
    format!("jans_grant.{}", kind_tag(kind))
}

impl PgStore {
    /// Forget a cached grant this node changed, whatever the change's outcome (a read
    /// that raced it cannot cache the old record after this: `DocCache::put`'s epoch
    /// rule), ahead of the notification other nodes get.
    fn forget_grant(&self, kind: GrantKind, key: &str) {
        if kind == GrantKind::AccessToken {
            self.cache.forget(&cache_collection(kind), key);
        }
    }
}
