//! The PostgreSQL backend (feature `postgres`): every store in one database, so that many
//! `jans` processes can share it (DESIGN.md §4). Records are the JSON the sled backend
//! writes, in `text` columns (`jsonb` refuses the `\u0000` JSON allows, migration 5); the
//! columns beside them are what queries filter on (`migrations/`). Every statement is parameterized and prepared once per connection.
//!
//! Single use is one statement: [`GrantStore::take`] is `UPDATE ... SET used = true ...
//! WHERE NOT used RETURNING` (or `DELETE ... RETURNING` without a tombstone), so of many
//! callers on many nodes exactly one gets the row, and the others find it used. Writes are committed before they return
//! (PostgreSQL's own durability, `synchronous_commit` as the server is configured).
//!
//! tokio-postgres needs a Tokio runtime: calls made inside one run there; calls from
//! anywhere else (a plain executor, the conformance suite) run as tasks on the runtime whose
//! handle the store was opened with.

mod batch;
mod client_cache;
mod documents;
pub mod schema;
pub mod test_server;
pub mod tls;

#[cfg(test)]
mod tests;

use std::future::Future;

use async_trait::async_trait;
use deadpool_postgres::{Object, Pool};

use super::{
    ClientStore, GrantKind, GrantRecord, GrantStore, KeyStore, StoreError, Taken, UserStore,
};
use crate::ctx::UnixTime;
use crate::repo::client::Client;
use crate::repo::key::StoredKey;
use crate::repo::user::User;

/// Connections to one PostgreSQL database holding every store.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    runtime: tokio::runtime::Handle,
    clients: std::sync::Arc<client_cache::ClientCache>,
    /// Grant inserts, committed in batches.
    grants: batch::Batcher,
    /// Dropped with the last handle of the store: stops the cache's listener.
    _listener: std::sync::Arc<tokio::sync::watch::Sender<()>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgStore")
            .field("max_size", &status.max_size)
            .field("size", &status.size)
            .finish()
    }
}

/// Map a driver error: unique violations are conflicts, lost connections make the store
/// unavailable (hosts answer 503), the rest is a backend failure. Messages carry no values.
pub(crate) fn map_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
            return StoreError::Conflict;
        }
        return StoreError::Backend(format!("{}: {}", db.code().code(), db.message()));
    }
    if e.is_closed() || e.code().is_none() {
        return StoreError::Unavailable(crate::error::with_causes(&e));
    }
    StoreError::Backend(crate::error::with_causes(&e))
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => map_err(e),
        other => StoreError::Unavailable(other.to_string()),
    }
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn encode<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

/// Seconds as a `bigint` (saturating: no instant we store comes near it).
fn secs(t: UnixTime) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

fn kind_tag(kind: GrantKind) -> i16 {
    i16::from(kind as u8)
}

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl PgStore {
    /// A pool of at most `max_connections` connections to `url` (a libpq URL or key=value
    /// string), created lazily on `runtime`. Nothing is contacted yet: see
    /// [`schema::status`] and [`schema::migrate`].
    pub fn connect(
        url: &str,
        max_connections: usize,
        runtime: tokio::runtime::Handle,
    ) -> Result<PgStore, StoreError> {
        PgStore::connect_tls(
            url,
            max_connections,
            runtime,
            tls::RustlsConnect::new(None)?,
        )
    }

    /// [`PgStore::connect`] verifying the server's certificate with `tls` (see [`tls`]).
    pub fn connect_tls(
        url: &str,
        max_connections: usize,
        runtime: tokio::runtime::Handle,
        tls: tls::RustlsConnect,
    ) -> Result<PgStore, StoreError> {
        let pg: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| {
            StoreError::Backend(format!("database URL: {e}"))
        })?;
        let clients = std::sync::Arc::new(client_cache::ClientCache::default());
        let (stop, stopped) = tokio::sync::watch::channel(());
        client_cache::spawn_listener(
            &runtime,
            pg.clone(),
            tls.clone(),
            std::sync::Arc::downgrade(&clients),
            stopped,
        );
        let manager = deadpool_postgres::Manager::from_config(
            pg,
            tls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(5)))
            .create_timeout(Some(std::time::Duration::from_secs(5)))
            .recycle_timeout(Some(std::time::Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let grants = batch::Batcher::start(pool.clone(), &runtime);
        Ok(PgStore {
            pool,
            runtime,
            clients,
            grants,
            _listener: std::sync::Arc::new(stop),
        })
    }

    /// Run `f` with a pooled connection, on a Tokio runtime.
    pub(crate) async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let task = async move {
            let client = pool.get().await.map_err(pool_err)?;
            f(client).await
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            task.await
        } else {
            self.runtime
                .spawn(task)
                .await
                .map_err(|e| StoreError::Backend(e.to_string()))?
        }
    }

    /// One statement, its affected-row count.
    async fn execute(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn tokio_postgres::types::ToSql + Send + Sync>>,
    ) -> Result<u64, StoreError> {
        self.run(move |c| async move {
            let stmt = c.prepare_cached(sql).await.map_err(map_err)?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as _).collect();
            c.execute(&stmt, &refs).await.map_err(map_err)
        })
        .await
    }

    /// One query, the text of its first column in every row.
    async fn texts(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn tokio_postgres::types::ToSql + Send + Sync>>,
    ) -> Result<Vec<String>, StoreError> {
        self.run(move |c| async move {
            let stmt = c.prepare_cached(sql).await.map_err(map_err)?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as _).collect();
            let rows = c.query(&stmt, &refs).await.map_err(map_err)?;
            rows.iter()
                .map(|r| r.try_get::<_, String>(0).map_err(map_err))
                .collect()
        })
        .await
    }
}

impl PgStore {
    /// One statement writing document `$2` under key `$1`; `otherwise` when it touched no
    /// row (an insert that met the key, an update that did not).
    async fn write_doc(
        &self,
        sql: &'static str,
        key: String,
        doc: String,
        otherwise: StoreError,
    ) -> Result<(), StoreError> {
        if self.execute(sql, vec![p(key), p(doc)]).await? == 0 {
            return Err(otherwise);
        }
        Ok(())
    }

    /// One query whose first column is a JSON document, decoded row by row.
    async fn docs<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        params: Params,
    ) -> Result<Vec<T>, StoreError> {
        self.texts(sql, params)
            .await?
            .iter()
            .map(|t| decode(t))
            .collect()
    }

    /// [`PgStore::docs`] of a query that returns at most one row.
    async fn doc<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        params: Params,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.docs(sql, params).await?.into_iter().next())
    }
}

type Params = Vec<Box<dyn tokio_postgres::types::ToSql + Send + Sync>>;

fn p<T: tokio_postgres::types::ToSql + Send + Sync + 'static>(
    v: T,
) -> Box<dyn tokio_postgres::types::ToSql + Send + Sync> {
    Box::new(v)
}

#[async_trait]
impl ClientStore for PgStore {
    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        self.write_doc(
            "INSERT INTO jans_client (client_id, doc) VALUES ($1, $2) \
             ON CONFLICT (client_id) DO NOTHING",
            client.client_id.clone(),
            encode(client)?,
            StoreError::Conflict,
        )
        .await
    }

    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let (cached, epoch) = self.clients.get(client_id);
        if cached.is_some() {
            return Ok(cached);
        }
        let client: Option<Client> = self
            .doc(
                "SELECT doc::text FROM jans_client WHERE client_id = $1",
                vec![p(client_id.to_owned())],
            )
            .await?;
        if let Some(c) = &client {
            self.clients.put(c, epoch);
        }
        Ok(client)
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        let written = self
            .write_doc(
                "UPDATE jans_client SET doc = $2 WHERE client_id = $1",
                client.client_id.clone(),
                encode(client)?,
                StoreError::NotFound,
            )
            .await;
        self.clients.forget(&client.client_id);
        written
    }

    async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM jans_client WHERE client_id = $1",
                vec![p(client_id.to_owned())],
            )
            .await?;
        self.clients.forget(client_id);
        Ok(n > 0)
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        self.docs(
            "SELECT doc::text FROM jans_client ORDER BY client_id",
            Vec::new(),
        )
        .await
    }
}

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
        if !self.grants.insert(row).await? {
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
        self.doc(
            "SELECT doc::text FROM jans_grant \
             WHERE kind = $1 AND key = $2 AND expires_at > $3 AND NOT used",
            vec![p(kind_tag(kind)), p(key.to_owned()), p(secs(now))],
        )
        .await
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
        let taken: Option<GrantRecord> = match tombstone_until {
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
                .await?
            }
            None => self
                .doc::<GrantRecord>(
                    "DELETE FROM jans_grant WHERE kind = $1 AND key = $2 AND NOT used \
                     RETURNING doc::text",
                    vec![p(kind_tag(kind)), p(key.to_owned())],
                )
                .await?
                .filter(|r| r.is_live(now)),
        };
        if let Some(record) = taken {
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

    async fn increment(
        &self,
        kind: GrantKind,
        key: &str,
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
        ];
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "INSERT INTO jans_grant (kind, key, family, expires_at, doc, used, counter) \
                     VALUES ($1, $2, '', $3, $4, false, 1) \
                     ON CONFLICT (kind, key) DO UPDATE SET \
                       counter = CASE WHEN jans_grant.expires_at > $5 AND NOT jans_grant.used \
                                      THEN jans_grant.counter + 1 ELSE 1 END, \
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

    async fn remove(&self, kind: GrantKind, key: &str) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM jans_grant WHERE kind = $1 AND key = $2",
                vec![p(kind_tag(kind)), p(key.to_owned())],
            )
            .await?;
        Ok(n > 0)
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
            .await?;
        Ok(n > 0)
    }

    async fn remove_family(&self, family: &str) -> Result<usize, StoreError> {
        if family.is_empty() {
            return Ok(0);
        }
        let n = self
            .execute(
                "DELETE FROM jans_grant WHERE family = $1",
                vec![p(family.to_owned())],
            )
            .await?;
        Ok(count(n))
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

#[async_trait]
impl KeyStore for PgStore {
    async fn put(&self, key: &StoredKey) -> Result<(), StoreError> {
        let params: Params = vec![p(key.kid.clone()), p(encode(key)?)];
        self.execute(
            "INSERT INTO jans_key (kid, doc) VALUES ($1, $2) \
             ON CONFLICT (kid) DO UPDATE SET doc = EXCLUDED.doc",
            params,
        )
        .await?;
        Ok(())
    }

    async fn list(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.docs("SELECT doc::text FROM jans_key ORDER BY kid", Vec::new())
            .await
    }

    async fn delete(&self, kid: &str) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM jans_key WHERE kid = $1",
                vec![p(kid.to_owned())],
            )
            .await?;
        Ok(n > 0)
    }

    async fn master_key_check(&self, record: Option<&str>) -> Result<Option<String>, StoreError> {
        if let Some(r) = record {
            self.execute(
                "INSERT INTO jans_meta (name, value) VALUES ('master_key_check', $1) \
                 ON CONFLICT (name) DO NOTHING",
                vec![p(r.to_owned())],
            )
            .await?;
        }
        Ok(self
            .texts(
                "SELECT value FROM jans_meta WHERE name = 'master_key_check'",
                Vec::new(),
            )
            .await?
            .into_iter()
            .next())
    }
}

#[async_trait]
impl UserStore for PgStore {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        // A duplicate inum or uid violates a unique constraint: Conflict.
        let params: Params = vec![
            p(user.inum.clone()),
            p(User::uid_key(&user.uid)),
            p(encode(user)?),
        ];
        self.execute(
            "INSERT INTO jans_user (inum, uid_key, doc) VALUES ($1, $2, $3)",
            params,
        )
        .await?;
        Ok(())
    }

    async fn get(&self, inum: &str) -> Result<Option<User>, StoreError> {
        self.doc(
            "SELECT doc::text FROM jans_user WHERE inum = $1",
            vec![p(inum.to_owned())],
        )
        .await
    }

    async fn by_uid(&self, uid: &str) -> Result<Option<User>, StoreError> {
        self.doc(
            "SELECT doc::text FROM jans_user WHERE uid_key = $1",
            vec![p(User::uid_key(uid))],
        )
        .await
    }

    async fn update(&self, user: &User) -> Result<(), StoreError> {
        let params: Params = vec![
            p(user.inum.clone()),
            p(User::uid_key(&user.uid)),
            p(encode(user)?),
        ];
        let n = self
            .execute(
                "UPDATE jans_user SET uid_key = $2, doc = $3 WHERE inum = $1",
                params,
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete(&self, inum: &str) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM jans_user WHERE inum = $1",
                vec![p(inum.to_owned())],
            )
            .await?;
        Ok(n > 0)
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        self.docs(
            "SELECT doc::text FROM jans_user ORDER BY uid_key",
            Vec::new(),
        )
        .await
    }
}

#[async_trait]
impl super::ConfigStore for PgStore {
    async fn get(&self) -> Result<Option<super::StoredConfig>, StoreError> {
        self.run(|c| async move {
            let stmt = c
                .prepare_cached(
                    "SELECT revision, doc::text FROM jans_config WHERE id = 'jansConfDyn'",
                )
                .await
                .map_err(map_err)?;
            let Some(row) = c.query_opt(&stmt, &[]).await.map_err(map_err)? else {
                return Ok(None);
            };
            let revision: i64 = row.try_get(0).map_err(map_err)?;
            let doc: String = row.try_get(1).map_err(map_err)?;
            Ok(Some(super::StoredConfig {
                revision: u64::try_from(revision).unwrap_or(0),
                doc: decode(&doc)?,
            }))
        })
        .await
    }

    async fn put(&self, doc: &serde_json::Value, expected: u64) -> Result<u64, StoreError> {
        let text = encode(doc)?;
        let expected = secs(expected);
        // Compare-and-set in one statement: the first revision is an insert that loses to a
        // concurrent one; later ones update only the revision the writer read.
        let sql = if expected == 0 {
            "INSERT INTO jans_config (id, revision, doc) VALUES ('jansConfDyn', 1, $1) \
             ON CONFLICT (id) DO NOTHING"
        } else {
            "UPDATE jans_config SET revision = revision + 1, doc = $1 \
             WHERE id = 'jansConfDyn' AND revision = $2"
        };
        let params: Params = if expected == 0 {
            vec![p(text)]
        } else {
            vec![p(text), p(expected)]
        };
        let n = self.execute(sql, params).await?;
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(u64::try_from(expected).unwrap_or(0) + 1)
    }
}

#[async_trait]
impl super::ScopeStore for PgStore {
    async fn insert(&self, scope: &crate::repo::scope::Scope) -> Result<(), StoreError> {
        self.write_doc(
            "INSERT INTO jans_scope (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            scope.id.clone(),
            encode(scope)?,
            StoreError::Conflict,
        )
        .await
    }

    async fn update(&self, scope: &crate::repo::scope::Scope) -> Result<(), StoreError> {
        self.write_doc(
            "UPDATE jans_scope SET doc = $2 WHERE id = $1",
            scope.id.clone(),
            encode(scope)?,
            StoreError::NotFound,
        )
        .await
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .execute(
                "DELETE FROM jans_scope WHERE id = $1",
                vec![p(id.to_owned())],
            )
            .await?
            > 0)
    }

    async fn list(&self) -> Result<Vec<crate::repo::scope::Scope>, StoreError> {
        self.docs("SELECT doc::text FROM jans_scope ORDER BY id", Vec::new())
            .await
    }
}
