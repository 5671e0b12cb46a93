//! The versioned schema: SQL migrations embedded in the binary, applied in order by
//! [`migrate`] (`jans migrate`), checked by [`status`] before a node serves.

use super::{PgStore, map_err};
use crate::store::StoreError;

/// Every migration: (version, name, SQL). Versions are consecutive from 1 and never edited
/// once released; a change to the schema is a new file.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "init", include_str!("migrations/0001_init.sql")),
    (2, "config", include_str!("migrations/0002_config.sql")),
    (
        3,
        "client_notify",
        include_str!("migrations/0003_client_notify.sql"),
    ),
    (4, "scope", include_str!("migrations/0004_scope.sql")),
    (
        5,
        "text_documents",
        include_str!("migrations/0005_text_documents.sql"),
    ),
    (
        6,
        "single_use_counters",
        include_str!("migrations/0006_single_use_counters.sql"),
    ),
    (
        7,
        "documents",
        include_str!("migrations/0007_documents.sql"),
    ),
    (
        8,
        "records_as_documents",
        include_str!("migrations/0008_records_as_documents.sql"),
    ),
    (
        9,
        "document_index",
        include_str!("migrations/0009_document_index.sql"),
    ),
    (
        10,
        "access_token_notify",
        include_str!("migrations/0010_access_token_notify.sql"),
    ),
];

/// The schema version this build needs.
pub const LATEST: i32 = 10;

/// Transaction-level advisory lock key serializing migrations across nodes ("jansmigr").
const MIGRATION_LOCK: i64 = 0x6a61_6e73_6d69_6772;

/// Where a database stands against this build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaStatus {
    /// At [`LATEST`].
    Current,
    /// No jans-rs schema at all.
    Missing,
    /// At this older version: `jans migrate` upgrades it.
    Old(i32),
    /// At this newer version: written by a newer jans; this build must not touch it.
    Newer(i32),
}

impl SchemaStatus {
    /// What an operator should do, or `None` when the schema is current.
    pub fn advice(self) -> Option<String> {
        match self {
            SchemaStatus::Current => None,
            SchemaStatus::Missing => {
                Some("the database has no jans schema: run `jans migrate` to create it".to_owned())
            }
            SchemaStatus::Old(v) => Some(format!(
                "the database schema is at version {v}, this jans needs {LATEST}: run `jans migrate`"
            )),
            SchemaStatus::Newer(v) => Some(format!(
                "the database schema is at version {v}, newer than this jans ({LATEST}): upgrade jans"
            )),
        }
    }
}

/// Read the schema version of the database.
pub async fn status(store: &PgStore) -> Result<SchemaStatus, StoreError> {
    store
        .run(|c| async move {
            let exists: bool = c
                .query_one("SELECT to_regclass('jans_schema') IS NOT NULL", &[])
                .await
                .map_err(map_err)?
                .try_get(0)
                .map_err(map_err)?;
            if !exists {
                return Ok(SchemaStatus::Missing);
            }
            let v: i32 = c
                .query_one("SELECT coalesce(max(version), 0) FROM jans_schema", &[])
                .await
                .map_err(map_err)?
                .try_get(0)
                .map_err(map_err)?;
            Ok(match v {
                0 => SchemaStatus::Missing,
                v if v < LATEST => SchemaStatus::Old(v),
                v if v > LATEST => SchemaStatus::Newer(v),
                _ => SchemaStatus::Current,
            })
        })
        .await
}

/// Create or upgrade the schema: every pending migration, in order, in one transaction under
/// an advisory lock, so nodes running it at once apply each migration exactly once and a
/// failure leaves the schema as it was. Returns the versions applied (empty when current).
pub async fn migrate(store: &PgStore) -> Result<Vec<i32>, StoreError> {
    migrate_to(store, LATEST).await
}

/// [`migrate`], stopping at version `target` (a database as an older `jans migrate` left it:
/// what the upgrade tests start from).
pub async fn migrate_to(store: &PgStore, target: i32) -> Result<Vec<i32>, StoreError> {
    store
        .run(move |mut c| async move {
            let tx = c.transaction().await.map_err(map_err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(map_err)?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS jans_schema (\
                   version integer PRIMARY KEY, \
                   name text NOT NULL, \
                   applied_at timestamptz NOT NULL DEFAULT now())",
            )
            .await
            .map_err(map_err)?;
            let current: i32 = tx
                .query_one("SELECT coalesce(max(version), 0) FROM jans_schema", &[])
                .await
                .map_err(map_err)?
                .try_get(0)
                .map_err(map_err)?;
            if current > LATEST {
                return Err(StoreError::Backend(
                    SchemaStatus::Newer(current).advice().unwrap_or_default(),
                ));
            }
            let mut applied = Vec::new();
            for (version, name, sql) in MIGRATIONS
                .iter()
                .filter(|(v, _, _)| *v > current && *v <= target)
            {
                tx.batch_execute(sql).await.map_err(map_err)?;
                tx.execute(
                    "INSERT INTO jans_schema (version, name) VALUES ($1, $2)",
                    &[version, name],
                )
                .await
                .map_err(map_err)?;
                applied.push(*version);
            }
            tx.commit().await.map_err(map_err)?;
            Ok(applied)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_consecutive_and_end_at_latest() {
        for (i, (v, _, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(usize::try_from(*v).ok(), Some(i + 1));
            assert!(!sql.trim().is_empty());
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(LATEST));
    }
}
