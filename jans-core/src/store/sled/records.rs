//! The record stores on sled: clients, signing keys, users (with the uid index), the
//! shared configuration and scopes.

use crate::repo::client::Client;
use crate::repo::key::StoredKey;
use crate::repo::user::User;
use crate::store::{ClientStore, KeyStore, StoreError, UserStore};

use async_trait::async_trait;

use super::{SledStore, decode, encode, map_err};

#[async_trait]
impl ClientStore for SledStore {
    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        self.insert_new(&self.clients, &client.client_id, client)
            .await
    }

    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        match self.clients.get(client_id.as_bytes()).map_err(map_err)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        self.replace(&self.clients, &client.client_id, client).await
    }

    async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.clients, client_id).await
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        Self::values(&self.clients)
    }
}

#[async_trait]
impl KeyStore for SledStore {
    async fn put(&self, key: &StoredKey) -> Result<(), StoreError> {
        self.keys
            .insert(key.kid.as_bytes(), encode(key)?)
            .map_err(map_err)?;
        self.durable().await
    }

    async fn list(&self) -> Result<Vec<StoredKey>, StoreError> {
        Self::values(&self.keys)
    }

    async fn delete(&self, kid: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.keys, kid).await
    }

    async fn master_key_check(&self, record: Option<&str>) -> Result<Option<String>, StoreError> {
        const KEY: &[u8] = b"master_key_check";
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let Some(r) = record else {
            return Ok(self.meta.get(KEY).map_err(map_err)?.map(|v| text(&v)));
        };
        match self
            .meta
            .compare_and_swap(KEY, None as Option<&[u8]>, Some(r.as_bytes()))
            .map_err(map_err)?
        {
            Ok(()) => {
                self.durable().await?;
                Ok(Some(r.to_owned()))
            }
            Err(cas) => Ok(cas.current.map(|v| text(&v))),
        }
    }
}

#[async_trait]
impl UserStore for SledStore {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let v = encode(user)?;
        let key = User::uid_key(&user.uid);
        // Claim the uid first: of two racing inserts only one gets it.
        self.users_uid
            .compare_and_swap(
                key.as_bytes(),
                None as Option<&[u8]>,
                Some(user.inum.as_bytes()),
            )
            .map_err(map_err)?
            .map_err(|_| StoreError::Conflict)?;
        let stored = self
            .users
            .compare_and_swap(user.inum.as_bytes(), None as Option<&[u8]>, Some(v))
            .map_err(map_err)?;
        if stored.is_err() {
            self.users_uid.remove(key.as_bytes()).map_err(map_err)?;
            return Err(StoreError::Conflict);
        }
        self.durable().await
    }

    async fn get(&self, inum: &str) -> Result<Option<User>, StoreError> {
        match self.users.get(inum.as_bytes()).map_err(map_err)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    async fn by_uid(&self, uid: &str) -> Result<Option<User>, StoreError> {
        match self
            .users_uid
            .get(User::uid_key(uid).as_bytes())
            .map_err(map_err)?
        {
            Some(inum) => match self.users.get(&inum).map_err(map_err)? {
                Some(v) => Ok(Some(decode(&v)?)),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    async fn update(&self, user: &User) -> Result<(), StoreError> {
        let Some(old) = self.users.get(user.inum.as_bytes()).map_err(map_err)? else {
            return Err(StoreError::NotFound);
        };
        let old: User = decode(&old)?;
        let (old_key, new_key) = (User::uid_key(&old.uid), User::uid_key(&user.uid));
        if old_key != new_key {
            self.users_uid
                .compare_and_swap(
                    new_key.as_bytes(),
                    None as Option<&[u8]>,
                    Some(user.inum.as_bytes()),
                )
                .map_err(map_err)?
                .map_err(|_| StoreError::Conflict)?;
        }
        self.users
            .insert(user.inum.as_bytes(), encode(user)?)
            .map_err(map_err)?;
        if old_key != new_key {
            self.users_uid.remove(old_key.as_bytes()).map_err(map_err)?;
        }
        self.durable().await
    }

    async fn delete(&self, inum: &str) -> Result<bool, StoreError> {
        let Some(old) = self.users.remove(inum.as_bytes()).map_err(map_err)? else {
            return Ok(false);
        };
        if let Ok(old) = decode::<User>(&old) {
            self.users_uid
                .remove(User::uid_key(&old.uid).as_bytes())
                .map_err(map_err)?;
        }
        self.durable().await?;
        Ok(true)
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        Self::values(&self.users)
    }
}

/// The one key of the `config` tree.
const CONFIG_KEY: &[u8] = b"jansConfDyn";

#[async_trait]
impl crate::store::ConfigStore for SledStore {
    async fn get(&self) -> Result<Option<crate::store::StoredConfig>, StoreError> {
        let Some(v) = self.config.get(CONFIG_KEY).map_err(map_err)? else {
            return Ok(None);
        };
        let (revision, doc): (u64, serde_json::Value) = decode(&v)?;
        Ok(Some(crate::store::StoredConfig { revision, doc }))
    }

    async fn put(&self, doc: &serde_json::Value, expected: u64) -> Result<u64, StoreError> {
        let old = self.config.get(CONFIG_KEY).map_err(map_err)?;
        let current = match &old {
            Some(v) => decode::<(u64, serde_json::Value)>(v)?.0,
            None => 0,
        };
        if current != expected {
            return Err(StoreError::Conflict);
        }
        let revision = expected + 1;
        self.config
            .compare_and_swap(CONFIG_KEY, old, Some(encode(&(revision, doc))?))
            .map_err(map_err)?
            .map_err(|_| StoreError::Conflict)?;
        self.durable().await?;
        Ok(revision)
    }
}

#[async_trait]
impl crate::store::ScopeStore for SledStore {
    async fn insert(&self, scope: &crate::repo::scope::Scope) -> Result<(), StoreError> {
        self.insert_new(&self.scopes, &scope.id, scope).await
    }

    async fn update(&self, scope: &crate::repo::scope::Scope) -> Result<(), StoreError> {
        self.replace(&self.scopes, &scope.id, scope).await
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.remove_key(&self.scopes, id).await
    }

    async fn list(&self) -> Result<Vec<crate::repo::scope::Scope>, StoreError> {
        Self::values(&self.scopes)
    }
}
