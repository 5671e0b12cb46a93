//! The document store on PostgreSQL (schema versions 7 and 9): `jans_document` rows with a
//! revision, `jans_document_key` rows whose primary key makes each unique key's value
//! one document's, `jans_document_index` rows for the index keys. A write and its keys share
//! one transaction; a revision check is part of the statement that writes, so of two racing
//! updates one wins.
//!
//! A query ([`DocumentStore::query`]) is one parameterized statement: the ids of each key
//! test read from both key tables on their `(collection, name, value)` indexes (key values
//! compare bytewise, `COLLATE "C"`), combined with `INTERSECT`/`UNION` as the filter's
//! `and`/`or` are, then the documents of those ids; every name and operand is a parameter,
//! never text of the statement.

use async_trait::async_trait;

use super::{PgStore, map_err};
use crate::store::StoreError;
use tokio_postgres::types::{ToSql, Type};

use crate::store::document::{
    Document, DocumentStore, Filter, Join, Key, Test, check_filter, check_names,
};

/// Most statements a connection keeps prepared before the query hook stops preparing the
/// shapes of filters it has not seen ([`PgStore::hook`]).
pub(super) const MAX_PREPARED: usize = 256;

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

/// The documents of rows of (id, revision, body).
fn documents(rows: &[tokio_postgres::Row]) -> Result<Vec<Document>, StoreError> {
    rows.iter()
        .map(|r| {
            row(
                r.try_get(0).map_err(map_err)?,
                r.try_get(1).map_err(map_err)?,
                r.try_get(2).map_err(map_err)?,
            )
        })
        .collect()
}

fn revision(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// Claim `keys` for `id` inside `tx`: a unique value another document holds is a unique
/// violation, which maps to `Conflict`. The index keys go in one statement.
async fn claim(
    tx: &deadpool_postgres::Transaction<'_>,
    collection: &str,
    id: &str,
    keys: &[Key],
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO jans_document_key (collection, name, value, id) VALUES ($1, $2, $3, $4)",
        )
        .await
        .map_err(map_err)?;
    for k in keys.iter().filter(|k| k.unique) {
        tx.execute(&stmt, &[&collection, &k.name, &k.value, &id])
            .await
            .map_err(map_err)?;
    }
    let (names, values): (Vec<&str>, Vec<&str>) = keys
        .iter()
        .filter(|k| !k.unique)
        .map(|k| (k.name.as_str(), k.value.as_str()))
        .unzip();
    if !names.is_empty() {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO jans_document_index (collection, name, value, id) \
                 SELECT $1, n, v, $4 FROM unnest($2::text[], $3::text[]) AS k (n, v)",
            )
            .await
            .map_err(map_err)?;
        tx.execute(&stmt, &[&collection, &names, &values, &id])
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

/// The SQL condition on a key table's `value` for `test`, its operands pushed to `params`.
fn value_sql(test: &Test, params: &mut Vec<String>) -> String {
    // Compared as the key tables' values are (bytewise), so that their indexes serve.
    let mut param = |v: &str| {
        params.push(v.to_owned());
        format!("(${}::text COLLATE \"C\")", params.len())
    };
    match test {
        Test::Eq(v) => format!("value = {}", param(v)),
        Test::StartsWith(v) => {
            let p = param(v);
            // A range of the index, then the prefix itself.
            let end = Test::after_prefix(v)
                .map(|end| format!(" AND value < {}", param(&end)))
                .unwrap_or_default();
            format!("value >= {p}{end} AND starts_with(value, {p})")
        }
        Test::EndsWith(v) => {
            let p = param(v);
            format!("right(value, char_length({p})) = {p}")
        }
        Test::Contains(v) => format!("strpos(value, {}) > 0", param(v)),
        Test::Gt(v) => format!("value > {}", param(v)),
        Test::Ge(v) => format!("value >= {}", param(v)),
        Test::Lt(v) => format!("value < {}", param(v)),
        Test::Le(v) => format!("value <= {}", param(v)),
        Test::Present => "true".to_owned(),
    }
}

/// A query of the ids of the documents passing `filter` (the collection is `$1`), its names
/// and operands pushed to `params`: a key test reads both key tables, `and` intersects and
/// `or` unites, so every test is an index range and the documents are joined once.
fn ids_sql(filter: &Filter, params: &mut Vec<String>) -> String {
    match filter {
        Filter::Key { name, test } => {
            params.push(name.clone());
            let name = format!("${}::text", params.len());
            let cond = value_sql(test, params);
            format!(
                "SELECT id FROM jans_document_key \
                 WHERE collection = $1 AND name = {name} AND {cond} \
                 UNION SELECT id FROM jans_document_index \
                 WHERE collection = $1 AND name = {name} AND {cond}"
            )
        }
        Filter::And(parts) if parts.is_empty() => {
            "SELECT id FROM jans_document WHERE collection = $1".to_owned()
        }
        Filter::Or(parts) if parts.is_empty() => "SELECT NULL::text WHERE false".to_owned(),
        Filter::And(parts) | Filter::Or(parts) => {
            let join = if matches!(filter, Filter::And(_)) {
                " INTERSECT "
            } else {
                " UNION "
            };
            let parts: Vec<String> = parts
                .iter()
                .map(|p| format!("({})", ids_sql(p, params)))
                .collect();
            parts.join(join)
        }
    }
}

impl PgStore {
    /// Run a statement of the query hook: `params` bound as text, then `limit`; its rows
    /// read by `read`. Statements are prepared once per connection (planning a filter's
    /// statement costs more than running it), up to [`MAX_PREPARED`] shapes per connection
    /// so that callers inventing filters cannot grow them without bound; past that, a
    /// statement for a single key test (of few shapes) still is, and any other is parsed,
    /// bound and run in one round trip, and not kept.
    async fn hook<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<String>,
        limit: i64,
        filter: &Filter,
        read: fn(&[tokio_postgres::Row]) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let simple = matches!(filter, Filter::Key { .. });
        self.run(move |c| async move {
            let mut typed: Vec<(&(dyn ToSql + Sync), Type)> =
                params.iter().map(|p| (p as _, Type::TEXT)).collect();
            typed.push((&limit, Type::INT8));
            let rows = if simple || c.statement_cache.size() < MAX_PREPARED {
                let types: Vec<Type> = typed.iter().map(|(_, t)| t.clone()).collect();
                let stmt = c
                    .prepare_typed_cached(&sql, &types)
                    .await
                    .map_err(map_err)?;
                let values: Vec<&(dyn ToSql + Sync)> = typed.iter().map(|(v, _)| *v).collect();
                c.query(&stmt, &values).await.map_err(map_err)?
            } else {
                c.query_typed(&sql, &typed).await.map_err(map_err)?
            };
            read(&rows)
        })
        .await
    }

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
        keys: &[Key],
    ) -> Result<u64, StoreError> {
        let keys = check_names(collection, id, keys)?;
        let (collection, id) = (collection.to_owned(), id.to_owned());
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
            claim(&tx, &collection, &id, &keys).await?;
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
        keys: &[Key],
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let forgotten = (collection.to_owned(), id.to_owned());
        let keys = check_names(collection, id, keys)?;
        let (collection, id) = (collection.to_owned(), id.to_owned());
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
                for table in ["jans_document_key", "jans_document_index"] {
                    let stmt = tx
                        .prepare_cached(&format!(
                            "DELETE FROM {table} WHERE collection = $1 AND id = $2"
                        ))
                        .await
                        .map_err(map_err)?;
                    tx.execute(&stmt, &[&collection, &id])
                        .await
                        .map_err(map_err)?;
                }
                claim(&tx, &collection, &id, &keys).await?;
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

    async fn query(
        &self,
        collection: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        check_filter(filter)?;
        let mut params = vec![collection.to_owned()];
        let ids = ids_sql(filter, &mut params);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT d.id, d.revision, d.body FROM jans_document d \
             WHERE d.collection = $1 AND d.id IN ({ids}) ORDER BY d.id LIMIT ${}",
            params.len() + 1
        );
        self.hook(sql, params, limit, filter, documents).await
    }

    async fn query_joined(
        &self,
        collection: &str,
        filter: &Filter,
        limit: usize,
        join: Join<'_>,
    ) -> Result<(Vec<Document>, Vec<Document>), StoreError> {
        check_filter(filter)?;
        let mut params = vec![collection.to_owned()];
        let ids = ids_sql(filter, &mut params);
        params.push(join.collection.to_owned());
        params.push(join.key.to_owned());
        let (j, k, l) = (params.len() - 1, params.len(), params.len() + 1);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // One statement: the documents found, then those of the joined collection whose key
        // holds one of their ids, marked by the first column.
        let sql = format!(
            "WITH found AS (SELECT d.id, d.revision, d.body FROM jans_document d \
             WHERE d.collection = $1 AND d.id IN ({ids}) ORDER BY d.id LIMIT ${l}) \
             SELECT false, id, revision, body FROM found \
             UNION ALL SELECT true, j.id, j.revision, j.body FROM jans_document j \
             WHERE j.collection = ${j}::text AND j.id IN (\
             SELECT id FROM jans_document_key WHERE collection = ${j}::text \
             AND name = ${k}::text AND value IN (SELECT id FROM found) \
             UNION SELECT id FROM jans_document_index WHERE collection = ${j}::text \
             AND name = ${k}::text AND value IN (SELECT id FROM found)) \
             ORDER BY 1, 2"
        );
        self.hook(sql, params, limit, filter, |rows| {
            let (mut found, mut joined) = (Vec::new(), Vec::new());
            for r in rows {
                let doc = row(
                    r.try_get(1).map_err(map_err)?,
                    r.try_get(2).map_err(map_err)?,
                    r.try_get(3).map_err(map_err)?,
                )?;
                if r.try_get::<_, bool>(0).map_err(map_err)? {
                    joined.push(doc);
                } else {
                    found.push(doc);
                }
            }
            Ok((found, joined))
        })
        .await
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
            // Two statements, not one with `$2 IS NULL OR id > $2`: a prepared statement
            // soon runs a generic plan, in which only an unconditional `id > $2` bounds the
            // index range; with the condition, every page read the collection from its start.
            let rows = match &after {
                Some(after) => {
                    let stmt = c
                        .prepare_cached(
                            "SELECT id, revision, body FROM jans_document \
                             WHERE collection = $1 AND id > $2 ORDER BY id LIMIT $3",
                        )
                        .await
                        .map_err(map_err)?;
                    c.query(&stmt, &[&collection, after, &limit]).await
                }
                None => {
                    let stmt = c
                        .prepare_cached(
                            "SELECT id, revision, body FROM jans_document \
                             WHERE collection = $1 ORDER BY id LIMIT $2",
                        )
                        .await
                        .map_err(map_err)?;
                    c.query(&stmt, &[&collection, &limit]).await
                }
            }
            .map_err(map_err)?;
            documents(&rows)
        })
        .await
    }
}
