use jans_core::jose::{Algorithm, jws};
use jans_core::keys::KeyStatus;
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Method, Request};

use super::harness::*;

fn kid_of(token: &str) -> String {
    jws::decode(token).unwrap().header().kid.clone().unwrap()
}

fn statuses(h: &Harness) -> Vec<(String, KeyStatus)> {
    h.engine
        .keys()
        .ring()
        .keys()
        .iter()
        .filter(|k| k.alg == Algorithm::ES256)
        .map(|k| (k.kid.clone(), k.status))
        .collect()
}

fn kid_with(h: &Harness, s: KeyStatus) -> Vec<String> {
    statuses(h)
        .into_iter()
        .filter(|(_, st)| *st == s)
        .map(|(k, _)| k)
        .collect()
}

#[test]
fn rotation_over_several_intervals() {
    // keyRegenerationInterval = 1 hour; the longest signed lifetime is the id token's 3600 s
    // plus 60 s skew, so a retired key stays published for 3660 s.
    let h = Harness::new();
    let c = h.register(
        serde_json::json!({"access_token_as_jwt": true, "access_token_signing_alg": "ES256"}),
    );
    let active0 = kid_with(&h, KeyStatus::Active);
    let next0 = kid_with(&h, KeyStatus::Next);
    assert_eq!((active0.len(), next0.len()), (1, 1));
    // Both are published from the start: the next key is known before it signs.
    let jwks = h.jwks();
    assert!(jwks.find(&active0[0]).is_some() && jwks.find(&next0[0]).is_some());
    let t0 = h.cc_token(&c);
    assert_eq!(kid_of(&t0), active0[0]);

    let mut retired_history = Vec::new();
    let mut previous_active = active0[0].clone();
    let mut expected_active = next0[0].clone();
    for round in 1..=3 {
        // Not yet due.
        h.clock.advance(3599);
        let early = block_on(h.engine.tick(&h.ctx())).unwrap();
        assert!(
            !early
                .key_changes
                .iter()
                .any(|c| matches!(c, jans_core::keys::rotation::Change::Promote(_))),
            "round {round}: not due one second early"
        );
        h.clock.advance(1);
        let report = block_on(h.engine.tick(&h.ctx())).unwrap();
        assert!(
            !report.key_changes.is_empty(),
            "round {round}: rotation due"
        );
        let active = kid_with(&h, KeyStatus::Active);
        assert_eq!(
            active,
            vec![expected_active.clone()],
            "round {round}: the published next key took over"
        );
        let token = h.cc_token(&c);
        assert_eq!(kid_of(&token), expected_active);
        let jwks = h.jwks();
        // The key that signed before is still published (tokens it signed are still valid)...
        assert!(
            jwks.find(&previous_active).is_some(),
            "round {round}: retired key still published"
        );
        assert!(kid_with(&h, KeyStatus::Retired).contains(&previous_active));
        // ...a token it signed before rotation still verifies against the JWKS...
        if round == 1 {
            jws::decode(&t0)
                .unwrap()
                .verify_with_jwks(&jwks, &[Algorithm::ES256], h.provider().as_ref())
                .unwrap();
        }
        // ...and a new next key is already published.
        let next = kid_with(&h, KeyStatus::Next);
        assert_eq!(next.len(), 1);
        assert!(jwks.find(&next[0]).is_some());
        retired_history.push(previous_active.clone());
        previous_active = expected_active.clone();
        expected_active = next[0].clone();
    }
    // After three rotations of 3600 s, keys retired more than 3660 s ago are archived:
    // out of the JWKS, served at /jwks/archived/{kid}.
    let archived = kid_with(&h, KeyStatus::Archived);
    assert!(archived.contains(&retired_history[0]), "{:?}", statuses(&h));
    // The key retired at the last-but-one rotation (7200 s) is still within its 3660 s.
    assert!(!archived.contains(&retired_history[1]));
    assert!(h.jwks().find(&retired_history[1]).is_some());
    h.clock.advance(60);
    block_on(h.engine.tick(&h.ctx())).unwrap();
    assert!(kid_with(&h, KeyStatus::Archived).contains(&retired_history[1]));
    let jwks = h.jwks();
    assert!(jwks.find(&retired_history[0]).is_none());
    let r = h.call(Request::new(
        AuthEndpoint::JwksArchived(retired_history[0].clone()),
        Method::Get,
    ));
    assert_eq!(r.status(), 200);
    assert_eq!(json(&r)["kid"], retired_history[0].as_str());
    assert!(json(&r).get("d").is_none(), "public half only");
    let r = h.call(Request::new(
        AuthEndpoint::JwksArchived(active0[0].clone() + "x"),
        Method::Get,
    ));
    assert_error(&r, 404, "not_found");
    // An archived key's private half is erased from the store.
    let stored = block_on(h.stores.keys.list()).unwrap();
    assert!(
        stored
            .iter()
            .filter(|k| k.status == KeyStatus::Archived)
            .all(|k| k.sealed_private.is_none())
    );
}

#[test]
fn forced_rotation_and_disabled_regeneration() {
    let h = Harness::new();
    let before = kid_with(&h, KeyStatus::Active);
    let next = kid_with(&h, KeyStatus::Next);
    block_on(h.engine.rotate_keys(&h.ctx(), true)).unwrap();
    assert_eq!(kid_with(&h, KeyStatus::Active), next);
    assert!(kid_with(&h, KeyStatus::Retired).contains(&before[0]));

    let mut config = config();
    config.key_regeneration_enabled = false;
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [3; 32]);
    assert_eq!(
        kid_with(&h, KeyStatus::Next).len(),
        0,
        "no next key when rotation is off"
    );
    h.clock.advance(10 * 3600);
    assert!(
        block_on(h.engine.tick(&h.ctx()))
            .unwrap()
            .key_changes
            .is_empty()
    );
}

#[test]
fn private_keys_are_sealed_with_the_master_key() {
    let stores = jans_core::repo::Stores::memory();
    let h = Harness::with(config(), stores.clone(), [9; 32]);
    let stored = block_on(stores.keys.list()).unwrap();
    assert!(stored.iter().all(|k| k.sealed_private.is_some()));
    // The same store under another master key cannot load the private halves.
    let other = jans_core::Engine::builder(config())
        .stores(stores)
        .master_key([10; 32])
        .provider(h.provider())
        .build()
        .unwrap();
    assert!(block_on(other.start(&h.ctx())).is_err());
}

#[test]
fn retention_covers_the_longest_client_lifetime() {
    let h = Harness::new();
    h.register(serde_json::json!({"access_token_as_jwt": true, "access_token_lifetime": 7200}));
    let active = kid_with(&h, KeyStatus::Active);
    block_on(h.engine.rotate_keys(&h.ctx(), true)).unwrap();
    let retired = block_on(h.stores.keys.list())
        .unwrap()
        .into_iter()
        .find(|k| k.kid == active[0])
        .unwrap();
    assert_eq!(retired.status, KeyStatus::Retired);
    // 7200 s (longer than the 3600 s id token lifetime) plus 60 s clock skew.
    assert_eq!(retired.publish_until, Some(T0 + 7200 + 60));
}

#[test]
fn one_process_at_a_time_rotates_and_sweeps() {
    use jans_core::store::{GrantKind, GrantRecord};
    // Stores shared with other processes, as PostgreSQL's are.
    let mut stores = jans_core::repo::Stores::memory();
    stores.shared = true;
    let h = Harness::with(config(), stores, [7; 32]);
    let held = || GrantRecord {
        family: String::new(),
        client_id: String::new(),
        subject: None,
        scope: String::new(),
        issued_at: h.clock.now(),
        expires_at: h.clock.now() + jans_core::engine::LEASE_SECONDS,
        data: serde_json::Map::new(),
    };
    // Another process holds both leases.
    for name in ["keys", "cleanup"] {
        block_on(h.stores.grants.insert(
            GrantKind::Lease,
            &format!("lease:{name}"),
            &held(),
            h.clock.now(),
        ))
        .unwrap();
    }
    let active = kid_with(&h, KeyStatus::Active);
    assert!(
        block_on(h.engine.rotate_keys(&h.ctx(), true))
            .unwrap()
            .is_empty()
    );
    assert_eq!(kid_with(&h, KeyStatus::Active), active, "nothing rotated");
    assert_eq!(block_on(h.engine.cleanup(&h.ctx())).unwrap(), None);
    // A holder that died frees its lease by expiry.
    h.clock.advance(jans_core::engine::LEASE_SECONDS);
    assert!(
        !block_on(h.engine.rotate_keys(&h.ctx(), true))
            .unwrap()
            .is_empty()
    );
    assert_ne!(kid_with(&h, KeyStatus::Active), active);
    assert!(block_on(h.engine.cleanup(&h.ctx())).unwrap().is_some());
    // Leases are released after the job: the next call gets them again.
    assert!(block_on(h.engine.cleanup(&h.ctx())).unwrap().is_some());
    // On shared stores the new next key signs only once every node can have loaded it.
    assert!(
        block_on(h.engine.rotate_keys(&h.ctx(), true))
            .unwrap()
            .is_empty()
    );
    h.clock
        .advance(jans_core::engine::key_reload_bound(&h.engine.config()));
    assert!(
        !block_on(h.engine.rotate_keys(&h.ctx(), true))
            .unwrap()
            .is_empty()
    );
}

/// A signing key's X.509 certificate (what SAML metadata and signatures carry, and SPs
/// often pin by fingerprint) is made once, with the key, and stored with it: every node
/// publishes the same bytes, and keeps them when its ring is rebuilt — with the build's
/// preferred provider too, aws-lc, whose ECDSA signatures are randomized. A stored
/// certificate of another key is not published.
#[test]
fn every_node_publishes_the_same_certificate_for_a_key() {
    let stores = jans_core::repo::Stores::memory();
    let provider = jans_core::crypto::default_provider();
    let node = |seed| {
        Harness::built(config(), stores.clone(), [7; 32], seed, |b| {
            b.provider(provider.clone())
        })
    };
    let certs = |h: &Harness| -> Vec<(String, Vec<u8>)> {
        h.engine
            .keys()
            .ring()
            .certificates()
            .into_iter()
            .map(|(k, c)| (k.to_owned(), c.to_vec()))
            .collect()
    };
    let a = node(1);
    let first = certs(&a);
    let ec: Vec<String> = a
        .engine
        .keys()
        .ring()
        .keys()
        .iter()
        .filter(|k| k.alg == Algorithm::ES256)
        .map(|k| k.kid.clone())
        .collect();
    assert_eq!(ec.len(), 2, "an active and a next ES256 key");
    assert!(ec.iter().all(|kid| first.iter().any(|(k, _)| k == kid)));
    // Another node over the same store: the same certificates, byte for byte.
    assert_eq!(certs(&node(2)), first);
    // A rotation rebuilds the ring: the keys that stay keep their certificates.
    block_on(a.engine.rotate_keys(&a.ctx(), true)).unwrap();
    let rotated = certs(&a);
    let kept: Vec<_> = rotated
        .iter()
        .filter(|(k, _)| first.iter().any(|(f, _)| f == k))
        .collect();
    assert!(!kept.is_empty(), "the next keys became active");
    for (kid, cert) in kept {
        assert_eq!(
            Some(cert),
            first.iter().find(|(k, _)| k == kid).map(|(_, c)| c),
            "{kid}"
        );
    }
    assert_eq!(certs(&node(3)), rotated);
    // A stored certificate that is another key's is not published: one of the key is.
    let mut keys = block_on(stores.keys.list()).unwrap();
    let (one, other) = (&rotated[0], &rotated[1]);
    let k = keys.iter_mut().find(|k| k.kid == one.0).unwrap();
    k.certificate = Some(jans_core::b64::encode_std(&other.1));
    block_on(stores.keys.put(k)).unwrap();
    let published = certs(&node(4));
    let cert = &published.iter().find(|(k, _)| *k == one.0).unwrap().1;
    let (jwk, _) = jans_core::x509::Certificate::parse(cert)
        .unwrap()
        .public_jwk()
        .unwrap();
    assert_eq!(jwk.thumbprint().unwrap(), one.0);
}
