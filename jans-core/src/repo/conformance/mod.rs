//! The repositories over each backend's primitives (feature `test-util`): clients,
//! signing keys, users (with the uid key and the index keys), scopes, groups (compare-and-set, raced), the
//! shared configuration's compare-and-set and the master key's check value, and all of
//! them across a restart.
//! The primitives themselves are checked by [`crate::store::conformance`]; these cases run
//! the same [`Harness`] so a backend's tests call both.

use crate::repo::Stores;
use crate::repo::client::{Client, ClientMetadata};
use crate::repo::key::{KeyStatus, StoredKey};
use crate::repo::user::User;
use crate::store::conformance::{CaseResult, Failure, Harness, block_on, e, ensure};
use crate::store::{GrantKind, StoreError};

mod indexed;

/// A confidential client `id` (also the upgrade tests' sample record).
pub fn client(id: &str) -> Client {
    Client {
        client_id: id.to_owned(),
        client_secret_sealed: Some("sealed".to_owned()),
        client_id_issued_at: 1,
        client_secret_expires_at: 0,
        disabled: false,
        registration_access_token_hash: None,
        description: None,
        metadata: ClientMetadata {
            client_name: Some(format!("client {id}")),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientMetadata::default()
        },
    }
}

/// An active ES256 key `kid` with a sealed private half.
pub fn key(kid: &str) -> StoredKey {
    StoredKey {
        kid: kid.to_owned(),
        alg: crate::jose::Algorithm::ES256.into(),
        status: KeyStatus::Active,
        created_at: 1,
        activated_at: Some(1),
        retired_at: None,
        publish_until: None,
        sealed_private: Some("sealed".to_owned()),
        public_jwk: crate::jose::Jwk {
            kty: "EC".to_owned(),
            kid: Some(kid.to_owned()),
            ..crate::jose::Jwk::default()
        },
        certificate: None,
    }
}

fn clients_crud(s: &Stores) -> CaseResult {
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
fn master_key_check(s: &Stores) -> CaseResult {
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

fn keys_crud(s: &Stores) -> CaseResult {
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

/// A person `inum` who signs in as `uid`.
pub fn user(inum: &str, uid: &str) -> User {
    User {
        inum: inum.to_owned(),
        uid: uid.to_owned(),
        mail: Some(format!("{uid}@example.com")),
        password_hash: Some("$argon2id$stub".to_owned()),
        ..User::default()
    }
}

fn users_crud(s: &Stores) -> CaseResult {
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

fn groups_compare_and_set(s: &Stores) -> CaseResult {
    use crate::repo::group::{Group, Member, MemberKind};
    block_on(async {
        let member = |v: &str| Member {
            value: v.into(),
            kind: MemberKind::User,
        };
        let admins = Group {
            inum: "g1".into(),
            display_name: "Admins".into(),
            members: vec![member("i1"), member("i2")],
            ..Default::default()
        };
        ensure!(
            e(s.groups.insert(&admins).await)? == 1,
            "first revision is 1"
        );
        ensure!(
            s.groups.insert(&admins).await == Err(StoreError::Conflict),
            "inum is unique"
        );
        let staff = Group {
            inum: "g0".into(),
            display_name: "Staff".into(),
            members: vec![member("i2")],
            ..Default::default()
        };
        e(s.groups.insert(&staff).await)?;
        let (rev, read) = e(s.groups.get("g1").await)?.ok_or("g1 missing")?;
        ensure!(read == admins && rev == 1, "read back as written");
        // Two updates from the same revision: the second is a conflict and changes nothing.
        let mut one = read.clone();
        one.members.retain(|m| m.value != "i1");
        let mut two = read.clone();
        two.display_name = "Administrators".into();
        ensure!(
            e(s.groups.update(&one, rev).await)? == 2,
            "first update wins"
        );
        ensure!(
            s.groups.update(&two, rev).await == Err(StoreError::Conflict),
            "a stale revision is a conflict"
        );
        let (rev, now) = e(s.groups.get("g1").await)?.ok_or("g1 missing")?;
        ensure!(
            rev == 2 && now.display_name == "Admins" && now.members == [member("i2")],
            "the losing update left nothing"
        );
        let of = |v: Vec<Group>| v.into_iter().map(|g| g.inum).collect::<Vec<_>>();
        ensure!(
            of(e(s.groups.of_member("i2").await)?) == ["g0", "g1"],
            "groups of a member, ordered by inum"
        );
        ensure!(
            e(s.groups.of_member("i1").await)?.is_empty(),
            "a removed member is in no group"
        );
        ensure!(
            s.groups.update(&staff, 9).await == Err(StoreError::Conflict),
            "a wrong revision is a conflict"
        );
        // As a race: eight writers read revision 1 of Staff, then each renames it.
        let (rev, _) = e(s.groups.get("g0").await)?.ok_or("g0 missing")?;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let racers: Vec<_> = (0..8)
            .map(|i| {
                let (s, barrier, mut g) = (s.clone(), barrier.clone(), staff.clone());
                g.display_name = format!("Staff {i}");
                std::thread::spawn(move || {
                    barrier.wait();
                    block_on(s.groups.update(&g, rev))
                })
            })
            .collect();
        let outcomes: Vec<Result<u64, StoreError>> = racers
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or(Err(StoreError::Backend("panicked".into())))
            })
            .collect();
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        let lost = outcomes
            .iter()
            .filter(|o| **o == Err(StoreError::Conflict))
            .count();
        ensure!(won == 1 && lost == 7, "one racer wins, got {outcomes:?}");
        let (rev, now_staff) = e(s.groups.get("g0").await)?.ok_or("g0 missing")?;
        ensure!(
            rev == 2 && now_staff.display_name.starts_with("Staff "),
            "the winner's write is the one stored"
        );
        ensure!(e(s.groups.delete("g1").await)?, "delete existing");
        ensure!(e(s.groups.get("g1").await)?.is_none(), "deleted");
        let mut gone = now;
        gone.display_name = "x".into();
        ensure!(
            matches!(
                s.groups.update(&gone, 2).await,
                Err(StoreError::NotFound | StoreError::Conflict)
            ),
            "updating a deleted group fails"
        );
        Ok(())
    })
}

/// An OpenID scope `id` releasing `email`.
pub fn scope(id: &str) -> crate::repo::scope::Scope {
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

fn scopes_crud(s: &Stores) -> CaseResult {
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

/// The shared configuration: compare-and-set on the revision, so of two writers that read
/// the same revision one wins and the other is told to re-read.
fn config_compare_and_set(s: &Stores) -> CaseResult {
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
            got == Some(crate::repo::shared_config::StoredConfig {
                revision: 2,
                doc: b
            }),
            "reads the last write: {got:?}"
        );
        Ok(())
    })
}

/// JSON allows any character in a string, NUL included (a client name sent as `%00`):
/// a repository's values round-trip whatever they hold.
fn values_keep_every_character(s: &Stores) -> CaseResult {
    block_on(async {
        let mut c = client("odd");
        c.metadata.client_name = Some("a\u{0}b\u{7f}\u{1f600}\"\\".to_owned());
        e(s.clients.insert(&c).await)?;
        ensure!(
            e(s.clients.get("odd").await)? == Some(c),
            "a client's metadata round-trips"
        );
        Ok(())
    })
}

/// What each repository acknowledged survives a restart.
fn durable(h: &mut dyn Harness) -> CaseResult {
    let s = Stores::new(h.backend());
    block_on(async {
        e(s.clients.insert(&client("durable")).await)?;
        e(s.keys.put(&key("durable-key")).await)?;
        e(s.users.insert(&user("durable-user", "dora")).await)?;
        e(s.config
            .put(&serde_json::json!({"issuer": "https://durable"}), 0)
            .await)?;
        e(s.scopes.insert(&scope("durable")).await)?;
        Ok::<_, String>(())
    })?;
    drop(s);
    let Some(backend) = h.reopen() else {
        return Ok(());
    };
    let s = Stores::new(backend);
    block_on(async {
        ensure!(
            e(s.clients.get("durable").await)? == Some(client("durable")),
            "client survives reopen"
        );
        ensure!(
            e(s.keys.list().await)?
                .iter()
                .any(|k| k.kid == "durable-key"),
            "key survives reopen"
        );
        ensure!(
            e(s.users.by_uid("DORA").await)? == Some(user("durable-user", "dora")),
            "user and uid index survive reopen"
        );
        ensure!(
            e(s.config.get().await)?.map(|c| c.revision) == Some(1),
            "configuration survives reopen"
        );
        ensure!(
            e(s.scopes.list().await)? == vec![scope("durable")],
            "scope survives reopen"
        );
        Ok(())
    })
}

/// Sessions and consents: typed grant records, read back whole.
fn sessions_and_consents(s: &Stores) -> CaseResult {
    use crate::repo::consent::Consent;
    use crate::repo::session::{Session, Sessions, StoredSession};
    block_on(async {
        let session = Session {
            sid: "sid".to_owned(),
            user_inum: "i1".to_owned(),
            auth_time: 1000,
            acr: "simple_password_auth".to_owned(),
            amr: vec!["pwd".to_owned()],
            opbs: "opbs".to_owned(),
            clients: Vec::new(),
        };
        e(s.sessions.insert("k", &session, 1000, 2000).await)?;
        let mut stored = e(s.sessions.get("k", 1000).await)?
            .ok_or_else(|| "a stored session reads back".to_owned())?;
        ensure!(
            stored
                == StoredSession {
                    session: session.clone(),
                    created_at: 1000,
                    expires_at: 2000
                },
            "session and lifetime: {stored:?}"
        );
        stored.expires_at = 3000;
        stored.session.clients.push("c1".to_owned());
        e(s.sessions.put("k", &stored, 1500).await)?;
        ensure!(
            e(s.sessions.get("k", 2500).await)? == Some(stored),
            "an extended session lives on with its clients"
        );
        ensure!(
            e(s.grants.remove_family(&Sessions::family_of("i1")).await)? == 1,
            "a user's sessions share a family"
        );
        ensure!(
            e(s.sessions.get("k", 2500).await)?.is_none(),
            "ended with its family"
        );
        ensure!(
            e(s.consents.get("i1", "c1", 1000).await)? == Consent::default(),
            "no consent at first"
        );
        let consent = Consent(vec!["openid".to_owned(), "email".to_owned()]);
        e(s.consents.put("i1", "c1", &consent, 1000, 2000).await)?;
        ensure!(
            e(s.consents.get("i1", "c1", 1500).await)? == consent,
            "consent reads back"
        );
        ensure!(
            e(s.consents.get("i1", "c2", 1500).await)? == Consent::default(),
            "consent is per client"
        );
        ensure!(
            e(s.consents.get("i1", "c1", 2000).await)? == Consent::default(),
            "consent expires"
        );
        ensure!(
            e(s.grants.scan(GrantKind::Consent, 1500, 10).await)?.len() == 1,
            "one record per person and client"
        );
        Ok(())
    })
}

/// Two sets of repositories over one backend (two engines, or the CLI beside the server in
/// one process) see each other's writes at once, whatever either has read before.
fn handles_over_one_backend_agree(h: &mut dyn Harness) -> CaseResult {
    let (a, b) = (Stores::new(h.backend()), Stores::new(h.backend()));
    block_on(async {
        e(a.clients.insert(&client("shared")).await)?;
        for _ in 0..2 {
            ensure!(
                e(a.clients.get("shared").await)?.is_some_and(|c| !c.disabled),
                "read back"
            );
        }
        let mut changed = client("shared");
        changed.disabled = true;
        e(b.clients.update(&changed).await)?;
        ensure!(
            e(a.clients.get("shared").await)?.is_some_and(|c| c.disabled),
            "the other handle's update is seen"
        );
        e(b.config.put(&serde_json::json!({"n": 1}), 0).await)?;
        e(a.config.get().await)?;
        e(b.config.put(&serde_json::json!({"n": 2}), 1).await)?;
        ensure!(
            e(a.config.get().await)?.map(|c| (c.revision, c.doc))
                == Some((2, serde_json::json!({"n": 2}))),
            "the other handle's configuration is seen with its revision"
        );
        ensure!(e(b.clients.delete("shared").await)?, "delete");
        ensure!(
            e(a.clients.get("shared").await)?.is_none(),
            "the other handle's delete is seen"
        );
        Ok(())
    })
}

/// Run every case over fresh backends from `fresh()`; returns the failures.
pub fn run_all(fresh: &mut dyn FnMut() -> Box<dyn Harness>) -> Vec<Failure> {
    type Case = (&'static str, fn(&Stores) -> CaseResult);
    let cases: [Case; 10] = [
        ("clients_crud", clients_crud),
        ("master_key_check", master_key_check),
        ("keys_crud", keys_crud),
        ("users_crud", users_crud),
        ("config_compare_and_set", config_compare_and_set),
        ("scopes_crud", scopes_crud),
        ("values_keep_every_character", values_keep_every_character),
        ("sessions_and_consents", sessions_and_consents),
        ("groups_compare_and_set", groups_compare_and_set),
        (
            "users_and_groups_indexed",
            indexed::users_and_groups_indexed,
        ),
    ];
    let mut failures = Vec::new();
    for (case, f) in cases {
        let h = fresh();
        if let Err(detail) = f(&Stores::new(h.backend())) {
            failures.push(Failure { case, detail });
        }
    }
    type HarnessCase = (&'static str, fn(&mut dyn Harness) -> CaseResult);
    let with_harness: [HarnessCase; 2] = [
        ("repositories_durable_on_ack", durable),
        (
            "handles_over_one_backend_agree",
            handles_over_one_backend_agree,
        ),
    ];
    for (case, f) in with_harness {
        let mut h = fresh();
        if let Err(detail) = f(h.as_mut()) {
            failures.push(Failure { case, detail });
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::run_all;
    use crate::store::conformance::MemoryHarness;

    #[test]
    fn repositories_conform_in_memory() {
        let failures = run_all(&mut || Box::new(MemoryHarness::new()));
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[cfg(feature = "sled")]
    #[test]
    fn repositories_conform_on_sled() {
        use crate::store::conformance::sled_harness::SledHarness;
        let failures = run_all(&mut || Box::new(SledHarness::new()));
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
