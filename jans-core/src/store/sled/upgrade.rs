//! Databases written before the document primitive (jans-rs up to schema version 7 on
//! PostgreSQL) kept one sled tree per aggregate: `clients`, `keys`, `users` with
//! `users_uid`, `config`, `scopes` and `meta`. Opening such a database moves their
//! entries into `docs`/`doc_keys`, as the repositories of [`crate::repo`] name them, then
//! drops the old trees.
//!
//! The move is idempotent: entries are copied only where no document exists yet, every
//! tree is copied and flushed before any is dropped, so a crash in between leaves a
//! database the next open finishes.

use super::documents::{Stored, doc_key, unique_key};
use super::map_err;
use crate::store::StoreError;

/// The old trees and the collection each became (names as `crate::repo` uses them).
const PLAIN: [(&str, &str); 3] = [
    ("clients", "clients"),
    ("keys", "keys"),
    ("scopes", "scopes"),
];

fn json(bytes: &[u8]) -> Result<serde_json::Value, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("old record: {e}")))
}

/// Move what the old trees hold into `docs`/`doc_keys`; a database without them is left
/// as it is.
pub(super) fn records_to_documents(
    db: &sled::Db,
    docs: &sled::Tree,
    doc_keys: &sled::Tree,
) -> Result<(), StoreError> {
    let names: Vec<String> = db
        .tree_names()
        .into_iter()
        .map(|n| String::from_utf8_lossy(&n).into_owned())
        .collect();
    let old: Vec<&str> = [
        "clients",
        "keys",
        "scopes",
        "users",
        "users_uid",
        "config",
        "meta",
    ]
    .into_iter()
    .filter(|t| names.iter().any(|n| n == t))
    .collect();
    if old.is_empty() {
        return Ok(());
    }
    let put = |collection: &str, id: &[u8], stored: Stored| -> Result<(), StoreError> {
        let id = String::from_utf8_lossy(id).into_owned();
        let key = doc_key(collection, &id);
        if docs.contains_key(&key).map_err(map_err)? {
            return Ok(());
        }
        for (name, value) in &stored.u {
            doc_keys
                .insert(unique_key(collection, name, value), id.as_bytes())
                .map_err(map_err)?;
        }
        let bytes = serde_json::to_vec(&stored).map_err(|e| StoreError::Backend(e.to_string()))?;
        docs.insert(key, bytes).map_err(map_err)?;
        Ok(())
    };
    let tree = |name: &str| db.open_tree(name).map_err(map_err);
    for (name, collection) in PLAIN {
        if old.contains(&name) {
            for entry in tree(name)?.iter() {
                let (id, v) = entry.map_err(map_err)?;
                put(collection, &id, Stored::new(1, Vec::new(), json(&v)?))?;
            }
        }
    }
    if old.contains(&"users") {
        // users_uid: lowercased uid -> inum; each user's key comes from there.
        let mut uid_of = std::collections::HashMap::new();
        if old.contains(&"users_uid") {
            for entry in tree("users_uid")?.iter() {
                let (uid, inum) = entry.map_err(map_err)?;
                uid_of.insert(inum.to_vec(), String::from_utf8_lossy(&uid).into_owned());
            }
        }
        for entry in tree("users")?.iter() {
            let (inum, v) = entry.map_err(map_err)?;
            let body = json(&v)?;
            let uid = match uid_of.remove(inum.as_ref()) {
                Some(uid) => uid,
                None => body
                    .get("uid")
                    .and_then(|u| u.as_str())
                    .map(str::to_lowercase)
                    .ok_or_else(|| StoreError::Corrupt("old user without uid".to_owned()))?,
            };
            put(
                "users",
                &inum,
                Stored::new(1, vec![("uid".to_owned(), uid)], body),
            )?;
        }
    }
    if old.contains(&"config") {
        for entry in tree("config")?.iter() {
            let (id, v) = entry.map_err(map_err)?;
            let (revision, doc): (u64, serde_json::Value) = serde_json::from_slice(&v)
                .map_err(|e| StoreError::Corrupt(format!("old configuration: {e}")))?;
            put("config", &id, Stored::new(revision, Vec::new(), doc))?;
        }
    }
    if old.contains(&"meta") {
        for entry in tree("meta")?.iter() {
            let (id, v) = entry.map_err(map_err)?;
            let body = serde_json::json!({ "value": String::from_utf8_lossy(&v) });
            put("meta", &id, Stored::new(1, Vec::new(), body))?;
        }
    }
    db.flush().map_err(map_err)?;
    for name in old {
        db.drop_tree(name).map_err(map_err)?;
    }
    db.flush().map_err(map_err)?;
    tracing::info!("moved the records of an older database into documents");
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::repo::Stores;
    use crate::repo::conformance::{client, scope, user};
    use crate::store::StoreError;
    use crate::testing::block_on;

    /// A database as the versions before documents wrote it (a tree per aggregate, the
    /// record's JSON as the value) reads the same through the repositories once opened.
    #[test]
    fn a_database_of_trees_per_aggregate_keeps_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let (client, user, scope) = (client("old"), user("inum-1", "Alice"), scope("s1"));
        {
            let db = sled::open(dir.path()).unwrap();
            let put = |tree: &str, k: &str, v: Vec<u8>| {
                db.open_tree(tree).unwrap().insert(k, v).unwrap();
            };
            put("clients", "old", json(&client));
            put("users", "inum-1", json(&user));
            put("users_uid", "alice", b"inum-1".to_vec());
            put("scopes", &scope.id, json(&scope));
            put(
                "config",
                "jansConfDyn",
                json(&(5u64, serde_json::json!({"issuer": "https://old.example"}))),
            );
            put("meta", "master_key_check", b"kcv-old".to_vec());
            db.flush().unwrap();
        }
        {
            let stores = Stores::sled(dir.path()).unwrap();
            block_on(async {
                assert_eq!(
                    stores.clients.get("old").await.unwrap(),
                    Some(client.clone())
                );
                assert_eq!(
                    stores.users.by_uid("ALICE").await.unwrap(),
                    Some(user.clone())
                );
                let mut taken = user.clone();
                taken.inum = "inum-2".into();
                assert_eq!(stores.users.insert(&taken).await, Err(StoreError::Conflict));
                assert_eq!(stores.scopes.list().await.unwrap(), vec![scope.clone()]);
                let config = stores.config.get().await.unwrap().unwrap();
                assert_eq!(config.revision, 5);
                assert_eq!(config.doc["issuer"], "https://old.example");
                assert_eq!(
                    stores
                        .keys
                        .master_key_check(Some("kcv-new"))
                        .await
                        .unwrap()
                        .as_deref(),
                    Some("kcv-old")
                );
            });
        }
        // The old trees are gone, and opening again changes nothing.
        {
            let stores = Stores::sled(dir.path()).unwrap();
            block_on(async {
                assert_eq!(stores.clients.list().await.unwrap(), vec![client]);
                assert_eq!(stores.users.list().await.unwrap(), vec![user]);
            });
        }
        let db = sled::open(dir.path()).unwrap();
        let names: Vec<_> = db.tree_names();
        for old in ["clients", "users", "users_uid", "scopes", "config", "meta"] {
            assert!(
                !names.iter().any(|n| n.as_ref() == old.as_bytes()),
                "{old} was dropped"
            );
        }
    }

    fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
        serde_json::to_vec(v).unwrap()
    }
}
