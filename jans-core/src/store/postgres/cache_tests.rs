//! The per-process caches on a real PostgreSQL server: documents and access tokens kept
//! right across nodes by notifications, and the query hook's prepared statements bounded.

use std::sync::Arc;

use super::schema;
use super::tests::{Env, env, fresh_store, rec};
use super::*;
use crate::store::conformance::block_on;
use crate::store::{GrantKind, GrantStore};

/// Two stores on one fresh, migrated database: what two nodes see.
fn two_nodes(env: &Env) -> (PgStore, PgStore) {
    let (a, url) = fresh_store(env);
    block_on(schema::migrate(&a)).unwrap();
    let b = PgStore::connect(&url, 4, env.rt.handle().clone()).unwrap();
    (a, b)
}

#[test]
fn a_client_changed_by_another_process_is_never_served_stale() {
    use crate::repo::client::{ClientMetadata, Clients};
    let env = env();
    let (a, b) = two_nodes(&env);
    let (raw, a, b) = (
        a.clone(),
        Clients::new(Arc::new(a)),
        Clients::new(Arc::new(b)),
    );
    // Let both listeners connect, then fill b's cache.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut client = crate::repo::client::Client {
        client_id: "cached".into(),
        client_secret_sealed: None,
        client_id_issued_at: 1,
        client_secret_expires_at: 0,
        disabled: false,
        registration_access_token_hash: None,
        description: None,
        metadata: ClientMetadata::default(),
    };
    block_on(a.insert(&client)).unwrap();
    for _ in 0..3 {
        assert_eq!(
            block_on(b.get("cached")).unwrap().map(|c| c.disabled),
            Some(false)
        );
    }
    let eventually = |want: Option<bool>| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let got = block_on(b.get("cached")).unwrap().map(|c| c.disabled);
            if got == want {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "b still serves {got:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    client.disabled = true;
    block_on(a.update(&client)).unwrap();
    eventually(Some(true));
    // A write that bypasses jans-rs entirely is seen too (the trigger notifies).
    block_on(raw.run(|c| async move {
        c.execute(
            "UPDATE jans_document SET body = jsonb_set(body::jsonb, '{disabled}', 'false')::text \
             WHERE collection = 'clients' AND id = 'cached'",
            &[],
        )
        .await
        .map_err(map_err)
    }))
    .unwrap();
    eventually(Some(false));
    block_on(a.delete("cached")).unwrap();
    eventually(None);
}

/// Access tokens checked on a node are kept there (migration 10, `grants.rs`); revoking one
/// on the same node is seen at once, even by a read racing the revocation, and on another
/// node, or by a write that bypasses jans-rs, as soon as the notification arrives.
#[test]
fn an_access_token_revoked_anywhere_is_never_served_stale() {
    let env = env();
    let (a, b) = two_nodes(&env);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let at = GrantKind::AccessToken;
    let live = |s: &PgStore, key: &str| block_on(s.get(at, key, 2000)).unwrap().is_some();
    let eventually_gone = |key: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while live(&b, key) {
            assert!(std::time::Instant::now() < deadline, "b still serves {key}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    // Revoked on another node.
    block_on(a.insert(at, "t1", &rec("f1", 5000), 1000)).unwrap();
    for _ in 0..3 {
        assert!(live(&b, "t1"));
    }
    assert!(block_on(a.remove(at, "t1")).unwrap());
    eventually_gone("t1");
    // Its family ended on another node.
    block_on(a.insert(at, "t2", &rec("f2", 5000), 1000)).unwrap();
    assert!(live(&b, "t2"));
    assert_eq!(block_on(a.remove_family("f2")).unwrap(), 1);
    eventually_gone("t2");
    // Deleted by hand.
    block_on(a.insert(at, "t3", &rec("f3", 5000), 1000)).unwrap();
    assert!(live(&b, "t3"));
    block_on(a.run(|c| async move {
        c.execute("DELETE FROM jans_grant WHERE key = 't3'", &[])
            .await
            .map_err(map_err)
    }))
    .unwrap();
    eventually_gone("t3");
    // A cached token is judged by the clock it is read at.
    block_on(a.insert(at, "t4", &rec("", 3000), 1000)).unwrap();
    assert!(live(&b, "t4"));
    assert!(block_on(b.get(at, "t4", 3000)).unwrap().is_none());
    // On the node that revokes, at once, whatever read races the revocation: by key, by
    // family (with a refresh token and a token of another family beside it).
    for round in 0..20 {
        let (key, family) = (format!("r{round}"), format!("fr{round}"));
        block_on(b.insert(at, &key, &rec(&family, 5000), 1000)).unwrap();
        block_on(b.insert(at, "other", &rec("keep", 5000), 1000)).ok();
        block_on(b.insert(GrantKind::RefreshToken, &key, &rec(&family, 5000), 1000)).unwrap();
        assert!(live(&b, &key));
        let stop = std::sync::atomic::AtomicBool::new(false);
        let served = std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    live(&b, &key);
                }
            });
            let removed = if round % 2 == 0 {
                usize::from(block_on(b.remove(at, &key)).unwrap())
            } else {
                block_on(b.remove_family(&family)).unwrap() - 1
            };
            let served = (0..20).filter(|_| live(&b, &key)).count();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            (removed, served)
        });
        assert_eq!(
            served,
            (1, 0),
            "round {round}: (removed, reads served after)"
        );
        assert!(live(&b, "other"));
    }
}

/// The query hook prepares the statements of the filters it meets, up to
/// `MAX_PREPARED` per connection: filters of ever new shapes still answer, unprepared.
#[test]
fn filters_of_new_shapes_do_not_grow_prepared_statements_without_bound() {
    use crate::store::document::{DocumentStore, Filter, Key, Test};
    let env = env();
    let url = env.rt.block_on(env.server.create_database()).unwrap();
    let store = PgStore::connect(&url, 1, env.rt.handle().clone()).unwrap();
    block_on(schema::migrate(&store)).unwrap();
    let keys = [Key::index("k", "v")];
    block_on(DocumentStore::insert(
        &store,
        "shapes",
        "d",
        &serde_json::json!({}),
        &keys,
    ))
    .unwrap();
    let shapes = super::documents::MAX_PREPARED + 40;
    for n in 1..=shapes {
        // An `or` of n tests: a shape of its own.
        let mut tests = vec![Filter::key("k", Test::Eq("v".into()))];
        tests.extend((1..n).map(|i| Filter::key("k", Test::Eq(format!("x{i}")))));
        let found = block_on(store.query("shapes", &Filter::Or(tests), 10)).unwrap();
        assert_eq!(found.len(), 1, "shape {n}");
    }
    let prepared = block_on(store.run(|c| async move { Ok(c.statement_cache.size()) })).unwrap();
    assert!(
        (super::documents::MAX_PREPARED..super::documents::MAX_PREPARED + 10).contains(&prepared),
        "{prepared} statements prepared"
    );
}
