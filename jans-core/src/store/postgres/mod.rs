//! The PostgreSQL backend (feature `postgres`): every store in one database, so that many
//! `jans` processes can share it (DESIGN.md §4). Records are the JSON the sled backend
//! writes, in `text` columns (`jsonb` refuses the `\u0000` JSON allows, migration 5); the
//! columns beside them are what queries filter on (`migrations/`). Every statement is parameterized and prepared once per connection.
//!
//! Single use is one statement: [`crate::store::GrantStore::take`] is `UPDATE ... SET used = true ...
//! WHERE NOT used RETURNING` (or `DELETE ... RETURNING` without a tombstone), so of many
//! callers on many nodes exactly one gets the row, and the others find it used. Writes are committed before they return
//! (PostgreSQL's own durability, `synchronous_commit` as the server is configured).
//!
//! tokio-postgres needs a Tokio runtime: calls made inside one run there; calls from
//! anywhere else (a plain executor, the conformance suite) run as tasks on the runtime whose
//! handle the store was opened with.

mod batch;
mod doc_cache;
mod documents;
mod grants;
pub mod schema;
pub mod test_server;
pub mod tls;

#[cfg(test)]
mod cache_tests;
#[cfg(test)]
mod tests;

use std::future::Future;

use deadpool_postgres::{Object, Pool};

use super::{GrantKind, StoreError};
use crate::ctx::UnixTime;

/// Connections to one PostgreSQL database holding every store.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    runtime: tokio::runtime::Handle,
    /// Documents read, kept right by notifications (`doc_cache`).
    cache: std::sync::Arc<doc_cache::DocCache>,
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
        let cache = std::sync::Arc::new(doc_cache::DocCache::default());
        let (stop, stopped) = tokio::sync::watch::channel(());
        doc_cache::spawn_listener(
            &runtime,
            pg.clone(),
            tls.clone(),
            std::sync::Arc::downgrade(&cache),
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
            cache,
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
