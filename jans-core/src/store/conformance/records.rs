//! Conformance of the record stores: clients, signing keys, users (with the uid index),
//! scopes, the shared configuration's compare-and-set and the master key's check value.

use super::{CaseResult, block_on, client, e, key};
use crate::repo::key::KeyStatus;
use crate::repo::user::User;
use crate::store::{StoreError, Stores};

pub(super) fn clients_crud(s: &Stores) -> CaseResult {
    block_on(async {
        e(s.clients.insert(&client("b")).await)?;
        e(s.clients.insert(&client("a")).await)?;
        ensure!(
            s.clients.insert(&client("a")).await == Err(StoreError::Conflict),
            "duplicate insert must be Conflict"
        );
        ensure!(
            e(s.clients.get("a").await)? == Some(client("a")),
            "get after insert"
        );
        ensure!(
            e(s.clients.get("zz").await)?.is_none(),
            "get missing must be None"
        );
        let mut changed = client("a");
        changed.disabled = true;
        e(s.clients.update(&changed).await)?;
        ensure!(
            e(s.clients.get("a").await)? == Some(changed),
            "update visible"
        );
        ensure!(
            s.clients.update(&client("zz")).await == Err(StoreError::NotFound),
            "update of missing must be NotFound"
        );
        let ids: Vec<String> = e(s.clients.list().await)?
            .into_iter()
            .map(|c| c.client_id)
            .collect();
        ensure!(ids == ["a", "b"], "list ordered by id, got {ids:?}");
        ensure!(e(s.clients.delete("a").await)?, "delete existing is true");
        ensure!(!e(s.clients.delete("a").await)?, "delete missing is false");
        ensure!(e(s.clients.get("a").await)?.is_none(), "deleted is gone");
        Ok(())
    })
}

/// The master key's check value: the first recorded stays.
pub(super) fn master_key_check(s: &Stores) -> CaseResult {
    block_on(async {
        ensure!(
            e(s.keys.master_key_check(None).await)?.is_none(),
            "nothing recorded at first"
        );
        ensure!(
            e(s.keys.master_key_check(Some("kcv-a")).await)?.as_deref() == Some("kcv-a"),
            "the first record is kept"
        );
        ensure!(
            e(s.keys.master_key_check(Some("kcv-b")).await)?.as_deref() == Some("kcv-a"),
            "a later record does not replace it"
        );
        ensure!(
            e(s.keys.master_key_check(None).await)?.as_deref() == Some("kcv-a"),
            "reads give it back"
        );
        Ok(())
    })
}

pub(super) fn keys_crud(s: &Stores) -> CaseResult {
    block_on(async {
        e(s.keys.put(&key("k1")).await)?;
        e(s.keys.put(&key("k2")).await)?;
        let mut k1 = key("k1");
        k1.status = KeyStatus::Retired;
        e(s.keys.put(&k1).await)?;
        let list = e(s.keys.list().await)?;
        ensure!(list.len() == 2, "two keys after upsert, got {}", list.len());
        ensure!(
            list.iter()
                .any(|k| k.kid == "k1" && k.status == KeyStatus::Retired),
            "upsert replaced k1"
        );
        ensure!(e(s.keys.delete("k2").await)?, "delete existing key");
        ensure!(!e(s.keys.delete("k2").await)?, "delete missing key");
        Ok(())
    })
}

pub(super) fn user(inum: &str, uid: &str) -> User {
    User {
        inum: inum.to_owned(),
        uid: uid.to_owned(),
        mail: Some(format!("{uid}@example.com")),
        password_hash: Some("$argon2id$stub".to_owned()),
        ..User::default()
    }
}

pub(super) fn users_crud(s: &Stores) -> CaseResult {
    block_on(async {
        e(s.users.insert(&user("i2", "Bob")).await)?;
        e(s.users.insert(&user("i1", "alice")).await)?;
        ensure!(
            s.users.insert(&user("i3", "ALICE")).await == Err(StoreError::Conflict),
            "uid is unique case-insensitively"
        );
        ensure!(
            s.users.insert(&user("i1", "carol")).await == Err(StoreError::Conflict),
            "inum is unique"
        );
        ensure!(
            e(s.users.by_uid("carol").await)?.is_none(),
            "a refused insert leaves no trace"
        );
        ensure!(
            e(s.users.insert(&user("i3", "carol")).await).is_ok(),
            "carol's uid is free"
        );
        ensure!(
            e(s.users.by_uid("bob").await)? == Some(user("i2", "Bob")),
            "lookup ignores case"
        );
        ensure!(
            e(s.users.get("i1").await)? == Some(user("i1", "alice")),
            "get by inum"
        );
        ensure!(e(s.users.get("zz").await)?.is_none(), "missing inum");
        ensure!(e(s.users.by_uid("zz").await)?.is_none(), "missing uid");
        // Renaming moves the uid; taking someone else's is a conflict.
        e(s.users.update(&user("i1", "alicia")).await)?;
        ensure!(
            e(s.users.by_uid("alice").await)?.is_none(),
            "old uid released"
        );
        ensure!(
            e(s.users.by_uid("alicia").await)?.is_some(),
            "new uid indexed"
        );
        ensure!(
            s.users.update(&user("i1", "bob")).await == Err(StoreError::Conflict),
            "renaming onto a taken uid is a conflict"
        );
        ensure!(
            e(s.users.get("i1").await)?.map(|u| u.uid) == Some("alicia".to_owned()),
            "a refused rename changes nothing"
        );
        ensure!(
            s.users.update(&user("zz", "zz")).await == Err(StoreError::NotFound),
            "update of missing is NotFound"
        );
        let inums: Vec<String> = e(s.users.list().await)?
            .into_iter()
            .map(|u| u.inum)
            .collect();
        ensure!(
            inums == ["i1", "i2", "i3"],
            "list ordered by inum, got {inums:?}"
        );
        ensure!(e(s.users.delete("i2").await)?, "delete existing");
        ensure!(!e(s.users.delete("i2").await)?, "delete missing");
        ensure!(
            e(s.users.by_uid("bob").await)?.is_none(),
            "deleted uid released"
        );
        e(s.users.insert(&user("i4", "bob")).await)?;
        Ok(())
    })
}

/// The shared configuration: compare-and-set on the revision, so of two writers that read
/// the same revision one wins and the other is told to re-read.
pub(super) fn scope(id: &str) -> crate::repo::scope::Scope {
    crate::repo::scope::Scope {
        id: id.to_owned(),
        inum: format!("inum-{id}"),
        description: None,
        scope_type: crate::repo::scope::ScopeType::Openid,
        claims: vec!["email".to_owned()],
        default_scope: false,
        attributes: crate::repo::scope::ScopeAttributes::default(),
    }
}

pub(super) fn scopes_crud(s: &Stores) -> CaseResult {
    block_on(async {
        let mut defaults = crate::repo::scope::defaults();
        ensure!(
            e(s.scopes.list().await)?.is_empty(),
            "a new store has no scopes"
        );
        for scope in &defaults {
            e(s.scopes.insert(scope).await)?;
        }
        ensure!(
            s.scopes.insert(&scope("profile")).await == Err(StoreError::Conflict),
            "duplicate scope insert must be Conflict"
        );
        defaults.sort_by(|a, b| a.id.cmp(&b.id));
        ensure!(
            e(s.scopes.list().await)? == defaults,
            "list returns every scope, ordered by id"
        );
        let mut changed = defaults
            .first()
            .cloned()
            .ok_or_else(|| "no default scopes".to_owned())?;
        changed.claims.push("nickname".to_owned());
        e(s.scopes.update(&changed).await)?;
        let mut missing = changed.clone();
        missing.id = "missing".to_owned();
        ensure!(
            s.scopes.update(&missing).await == Err(StoreError::NotFound),
            "update of a missing scope must be NotFound"
        );
        ensure!(
            e(s.scopes.list().await)?.first() == Some(&changed),
            "update is visible"
        );
        ensure!(e(s.scopes.delete(&changed.id).await)?, "delete existing");
        ensure!(!e(s.scopes.delete(&changed.id).await)?, "delete missing");
        ensure!(
            e(s.scopes.list().await)?.len() == defaults.len() - 1,
            "deleted scope gone"
        );
        Ok(())
    })
}

pub(super) fn config_compare_and_set(s: &Stores) -> CaseResult {
    block_on(async {
        ensure!(
            e(s.config.get().await)?.is_none(),
            "no configuration at first"
        );
        let a = serde_json::json!({"issuer": "https://a.example"});
        let b = serde_json::json!({"issuer": "https://b.example"});
        ensure!(
            e(s.config.put(&a, 0).await)? == 1,
            "first write is revision 1"
        );
        ensure!(
            s.config.put(&b, 0).await == Err(StoreError::Conflict),
            "a second first write conflicts"
        );
        ensure!(
            s.config.put(&b, 5).await == Err(StoreError::Conflict),
            "a write from a stale or unknown revision conflicts"
        );
        ensure!(e(s.config.put(&b, 1).await)? == 2, "the next revision");
        let got = e(s.config.get().await)?;
        ensure!(
            got == Some(crate::store::StoredConfig {
                revision: 2,
                doc: b
            }),
            "reads the last write: {got:?}"
        );
        Ok(())
    })
}
