//! The document store on PostgreSQL (schema version 7): `jans_document` rows with a
//! revision, `jans_document_key` rows whose primary key makes each unique key's value
//! one document's. A write and its keys share one transaction; a revision check is part of
//! the statement that writes, so of two racing updates one wins.

use async_trait::async_trait;

use super::{PgStore, map_err};
use crate::store::StoreError;
use crate::store::document::{Document, DocumentStore, UniqueKey, check_names};

fn encode(body: &serde_json::Value) -> Result<String, StoreError> {
    serde_json::to_string(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn row(id: String, revision: i64, body: &str) -> Result<Document, StoreError> {
    Ok(Document {
        id,
        revision: u64::try_from(revision).unwrap_or(0),
        body: serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

fn revision(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// Claim `unique` for `id` inside `tx`: a value another document holds is a unique
/// violation, which maps to `Conflict`.
async fn claim(
    tx: &deadpool_postgres::Transaction<'_>,
    collection: &str,
    id: &str,
    unique: &[UniqueKey],
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO jans_document_key (collection, name, value, id) VALUES ($1, $2, $3, $4)",
        )
        .await
        .map_err(map_err)?;
    for k in unique {
        tx.execute(&stmt, &[&collection, &k.name, &k.value, &id])
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

impl PgStore {
    /// The document `id`, from the database.
    async fn read(&self, collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
        let (collection, id) = (collection.to_owned(), id.to_owned());
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "SELECT revision, body FROM jans_document WHERE collection = $1 AND id = $2",
                )
                .await
                .map_err(map_err)?;
            match c
                .query_opt(&stmt, &[&collection, &id])
                .await
                .map_err(map_err)?
            {
                Some(r) => Ok(Some(row(
                    id,
                    r.try_get(0).map_err(map_err)?,
                    r.try_get(1).map_err(map_err)?,
                )?)),
                None => Ok(None),
            }
        })
        .await
    }
}

#[async_trait]
impl DocumentStore for PgStore {
    async fn insert(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError> {
        check_names(collection, id, unique)?;
        let (collection, id, unique) = (collection.to_owned(), id.to_owned(), unique.to_vec());
        let text = encode(body)?;
        self.run(move |mut c| async move {
            let tx = c.transaction().await.map_err(map_err)?;
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO jans_document (collection, id, revision, body) \
                     VALUES ($1, $2, 1, $3)",
                )
                .await
                .map_err(map_err)?;
            tx.execute(&stmt, &[&collection, &id, &text])
                .await
                .map_err(map_err)?;
            claim(&tx, &collection, &id, &unique).await?;
            tx.commit().await.map_err(map_err)?;
            Ok(1)
        })
        .await
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
        let (cached, epoch) = self.cache.get(collection, id);
        if cached.is_some() {
            return Ok(cached);
        }
        let found = self.read(collection, id).await?;
        if let Some(doc) = &found {
            self.cache.put(collection, doc, epoch);
        }
        Ok(found)
    }

    async fn find(
        &self,
        collection: &str,
        name: &str,
        value: &str,
    ) -> Result<Option<Document>, StoreError> {
        let (collection, name, value) = (collection.to_owned(), name.to_owned(), value.to_owned());
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "SELECT d.id, d.revision, d.body FROM jans_document_key k \
                     JOIN jans_document d ON d.collection = k.collection AND d.id = k.id \
                     WHERE k.collection = $1 AND k.name = $2 AND k.value = $3",
                )
                .await
                .map_err(map_err)?;
            match c
                .query_opt(&stmt, &[&collection, &name, &value])
                .await
                .map_err(map_err)?
            {
                Some(r) => Ok(Some(row(
                    r.try_get(0).map_err(map_err)?,
                    r.try_get(1).map_err(map_err)?,
                    r.try_get(2).map_err(map_err)?,
                )?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn replace(
        &self,
        collection: &str,
        id: &str,
        body: &serde_json::Value,
        unique: &[UniqueKey],
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let forgotten = (collection.to_owned(), id.to_owned());
        check_names(collection, id, unique)?;
        let (collection, id, unique) = (collection.to_owned(), id.to_owned(), unique.to_vec());
        let text = encode(body)?;
        let expected = expected.map(revision);
        let written = self
            .run(move |mut c| async move {
                let tx = c.transaction().await.map_err(map_err)?;
                // The row lock taken here orders racing writers of one document.
                let stmt = tx
                    .prepare_cached(
                        "UPDATE jans_document SET revision = revision + 1, body = $3 \
                     WHERE collection = $1 AND id = $2 AND ($4::bigint IS NULL OR revision = $4) \
                     RETURNING revision",
                    )
                    .await
                    .map_err(map_err)?;
                let updated = tx
                    .query_opt(&stmt, &[&collection, &id, &text, &expected])
                    .await
                    .map_err(map_err)?;
                let Some(updated) = updated else {
                    let exists = tx
                        .query_opt(
                            "SELECT 1 FROM jans_document WHERE collection = $1 AND id = $2",
                            &[&collection, &id],
                        )
                        .await
                        .map_err(map_err)?;
                    return Err(if exists.is_some() {
                        StoreError::Conflict
                    } else {
                        StoreError::NotFound
                    });
                };
                let next: i64 = updated.try_get(0).map_err(map_err)?;
                tx.execute(
                    "DELETE FROM jans_document_key WHERE collection = $1 AND id = $2",
                    &[&collection, &id],
                )
                .await
                .map_err(map_err)?;
                claim(&tx, &collection, &id, &unique).await?;
                tx.commit().await.map_err(map_err)?;
                Ok(u64::try_from(next).unwrap_or(0))
            })
            .await;
        // Whatever happened, what this process cached of it is no longer to be trusted.
        self.cache.forget(&forgotten.0, &forgotten.1);
        written
    }

    async fn delete(
        &self,
        collection: &str,
        id: &str,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        let forgotten = (collection.to_owned(), id.to_owned());
        let (collection, id) = (collection.to_owned(), id.to_owned());
        let expected = expected.map(revision);
        let written = self
            .run(move |c| async move {
                // Its keys go with it (ON DELETE CASCADE).
                let stmt = c
                    .prepare_cached(
                        "DELETE FROM jans_document WHERE collection = $1 AND id = $2 \
                     AND ($3::bigint IS NULL OR revision = $3)",
                    )
                    .await
                    .map_err(map_err)?;
                let n = c
                    .execute(&stmt, &[&collection, &id, &expected])
                    .await
                    .map_err(map_err)?;
                if n > 0 {
                    return Ok(true);
                }
                if expected.is_none() {
                    return Ok(false);
                }
                let exists = c
                    .query_opt(
                        "SELECT 1 FROM jans_document WHERE collection = $1 AND id = $2",
                        &[&collection, &id],
                    )
                    .await
                    .map_err(map_err)?;
                match exists {
                    Some(_) => Err(StoreError::Conflict),
                    None => Ok(false),
                }
            })
            .await;
        // Whatever happened, what this process cached of it is no longer to be trusted.
        self.cache.forget(&forgotten.0, &forgotten.1);
        written
    }

    async fn list(
        &self,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        let (collection, after) = (collection.to_owned(), after.map(str::to_owned));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |c| async move {
            let stmt = c
                .prepare_cached(
                    "SELECT id, revision, body FROM jans_document \
                     WHERE collection = $1 AND ($2::text IS NULL OR id > $2) \
                     ORDER BY id LIMIT $3",
                )
                .await
                .map_err(map_err)?;
            let rows = c
                .query(&stmt, &[&collection, &after, &limit])
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    row(
                        r.try_get(0).map_err(map_err)?,
                        r.try_get(1).map_err(map_err)?,
                        r.try_get(2).map_err(map_err)?,
                    )
                })
                .collect()
        })
        .await
    }
}
