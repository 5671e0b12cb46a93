//! The record stores on PostgreSQL: clients (with the notified cache), signing keys, users,
//! the shared configuration and scopes.

use crate::repo::client::Client;
use crate::repo::key::StoredKey;
use crate::repo::user::User;
use crate::store::{ClientStore, KeyStore, StoreError, UserStore};

use async_trait::async_trait;

use super::{Params, PgStore, decode, encode, map_err, p, secs};

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
impl crate::store::ConfigStore for PgStore {
    async fn get(&self) -> Result<Option<crate::store::StoredConfig>, StoreError> {
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
            Ok(Some(crate::store::StoredConfig {
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
impl crate::store::ScopeStore for PgStore {
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
