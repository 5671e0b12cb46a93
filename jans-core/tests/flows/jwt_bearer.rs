//! The JWT bearer grant (RFC 7523 §2.1; issue 16 item 9): assertions of trusted issuers
//! (inline keys and a `jwks_uri`, fetched and cached) exchanged for a person's access token;
//! every rule of RFC 7523 §3 refused with `invalid_grant` and nothing stored; single use;
//! issuers restricted to clients; the configuration's checks.

use std::sync::Arc;

use jans_core::config::grants::{SubjectAttribute, TrustedIssuer};
use jans_core::crypto::rustcrypto::RustCryptoProvider;
use jans_core::crypto::{CryptoProvider, SigningKey};
use jans_core::jose::{Algorithm, Jwks, jws};
use jans_core::testing::SeededRandom;
use jans_core::{Config, RegisteredClient, Response};
use serde_json::{Value, json};

use super::harness::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TOKEN_URL: &str = "https://id.example.com/jans-auth/restv1/token";
pub(crate) const PARTNER: &str = "https://partner.example";
const ROLLING: &str = "https://rolling.example";
const ROLLING_KEYS: &str = "https://rolling.example/keys";

pub(crate) struct Issuer {
    key: Arc<dyn SigningKey>,
    kid: String,
}

impl Issuer {
    pub(crate) fn new(seed: u64, alg: Algorithm) -> Issuer {
        let key = RustCryptoProvider
            .generate(alg, &SeededRandom::new(seed))
            .unwrap();
        let kid = key.public_jwk().thumbprint().unwrap();
        Issuer { key, kid }
    }

    pub(crate) fn jwks(&self) -> Jwks {
        let mut jwk = self.key.public_jwk();
        jwk.kid = Some(self.kid.clone());
        Jwks { keys: vec![jwk] }
    }

    pub(crate) fn sign(&self, claims: &Value) -> String {
        let mut header = jws::Header::new(self.key.algorithm());
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jws::sign(
            &header,
            &serde_json::to_vec(claims).unwrap(),
            self.key.as_ref(),
            &SeededRandom::new(1),
        )
        .unwrap()
    }
}

pub(crate) fn claims(iss: &str, sub: &str, jti: &str) -> Value {
    json!({"iss": iss, "sub": sub, "aud": TOKEN_URL, "iat": T0, "exp": T0 + 300, "jti": jti})
}

/// An engine trusting the partner (inline keys, `sub` a uid) and the rolling issuer (keys at
/// a `jwks_uri`, `sub` an inum, for `rolling_clients` only when not empty).
fn setup(partner: &Issuer, rolling_clients: &[&str]) -> (Harness, RegisteredClient) {
    let mut config = config();
    config.jwt_bearer_trusted_issuers = vec![
        TrustedIssuer {
            issuer: PARTNER.into(),
            jwks: Some(partner.jwks()),
            ..TrustedIssuer::default()
        },
        TrustedIssuer {
            issuer: ROLLING.into(),
            jwks_uri: Some(ROLLING_KEYS.into()),
            subject_attribute: SubjectAttribute::Inum,
            clients: rolling_clients.iter().map(|c| (*c).to_owned()).collect(),
            ..TrustedIssuer::default()
        },
    ];
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    h.add_user("alice");
    let c = h.register(json!({"grant_types": [GRANT], "scope": "read write"}));
    (h, c)
}

fn exchange(h: &Harness, c: &RegisteredClient, assertion: &str, scope: Option<&str>) -> Response {
    let mut form = vec![("grant_type", GRANT), ("assertion", assertion)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    h.token(&form, Some(basic(c)))
}

#[test]
fn a_trusted_assertion_gets_the_persons_token_once() {
    let partner = Issuer::new(11, Algorithm::ES256);
    let (h, c) = setup(&partner, &[]);
    let a = partner.sign(&claims(PARTNER, "alice", "a-1"));
    let r = exchange(&h, &c, &a, Some("read"));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let body = json(&r);
    assert_eq!(body["scope"], "read");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let alice = jans_core::testing::block_on(h.engine.user("alice"))
        .unwrap()
        .unwrap();
    let info = h.introspect(&c, body["access_token"].as_str().unwrap());
    assert_eq!(info["sub"], alice.inum.as_str());
    assert_eq!(info["client_id"], c.client.client_id.as_str());
    // RFC 7523 §3 item 7: once.
    assert_error(&exchange(&h, &c, &a, None), 400, "invalid_grant");
    // Without a scope: what the client registered.
    let r = exchange(
        &h,
        &c,
        &partner.sign(&claims(PARTNER, "alice", "a-2")),
        None,
    );
    assert_eq!(json(&r)["scope"], "read write");
}

#[test]
fn every_rule_of_rfc_7523_is_a_refusal_that_stores_nothing() {
    let partner = Issuer::new(12, Algorithm::ES256);
    let stranger = Issuer::new(13, Algorithm::ES256);
    let (h, c) = setup(&partner, &["only-this-client"]);
    h.add_user("bob");
    let bob = jans_core::testing::block_on(h.engine.user("bob"))
        .unwrap()
        .unwrap();
    jans_core::testing::block_on(h.stores.users.update(&jans_core::repo::user::User {
        status: jans_core::repo::user::UserStatus::Inactive,
        ..bob
    }))
    .unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(PARTNER, "alice", "x");
        f(&mut c);
        partner.sign(&c)
    };
    let cases: Vec<(&str, String)> = vec![
        ("garbage", "a.b.c".into()),
        (
            "untrusted issuer",
            with(&|c| c["iss"] = "https://evil.example".into()),
        ),
        (
            "signed by another key",
            stranger.sign(&claims(PARTNER, "alice", "x")),
        ),
        (
            "wrong aud",
            with(&|c| c["aud"] = "https://other.example/token".into()),
        ),
        (
            "no aud",
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
        ),
        ("expired", with(&|c| c["exp"] = (T0 - 61).into())),
        (
            "no exp",
            with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
        ),
        ("lives too long", with(&|c| c["exp"] = (T0 + 7200).into())),
        ("not yet valid", with(&|c| c["nbf"] = (T0 + 600).into())),
        (
            "no sub",
            with(&|c| {
                c.as_object_mut().unwrap().remove("sub");
            }),
        ),
        ("unknown person", with(&|c| c["sub"] = "mallory".into())),
        ("inactive person", with(&|c| c["sub"] = "bob".into())),
        (
            "no jti",
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                jans_core::b64::encode(br#"{"alg":"none"}"#),
                jans_core::b64::encode(claims(PARTNER, "alice", "n").to_string().as_bytes())
            ),
        ),
        (
            "an issuer limited to other clients",
            partner.sign(&claims(ROLLING, "alice", "r")),
        ),
    ];
    h.count_grants();
    for (why, assertion) in cases {
        let r = exchange(&h, &c, &assertion, None);
        assert_eq!(r.status(), 400, "{why}: {:?}", r.body);
        assert_eq!(json(&r)["error"], "invalid_grant", "{why}");
        assert_eq!(h.count_grants(), 0, "{why}: nothing stored");
    }
    // A scope the client lacks is refused before the assertion is spent.
    let a = partner.sign(&claims(PARTNER, "alice", "s"));
    assert_error(&exchange(&h, &c, &a, Some("admin")), 400, "invalid_scope");
    assert_eq!(exchange(&h, &c, &a, Some("read")).status(), 200);
    // A client not registered for the grant, and the grant not enabled.
    let other = h.register(json!({"scope": "read"}));
    assert_error(
        &exchange(
            &h,
            &other,
            &partner.sign(&claims(PARTNER, "alice", "o")),
            None,
        ),
        400,
        "unauthorized_client",
    );
    // The grant is supported by default, and trusts no issuer until told.
    let plain = Harness::new();
    plain.add_user("alice");
    let c = plain.register(json!({"grant_types": [GRANT], "scope": "read"}));
    let a = partner.sign(&claims(PARTNER, "alice", "p"));
    assert_error(&exchange(&plain, &c, &a, None), 400, "invalid_grant");
}

#[test]
fn an_issuers_jwks_uri_is_fetched_cached_and_refetched_for_a_new_key() {
    let partner = Issuer::new(14, Algorithm::ES256);
    let (h, c) = setup(&partner, &[]);
    let first = Issuer::new(15, Algorithm::EdDSA);
    h.http.docs.lock().unwrap().insert(
        ROLLING_KEYS.into(),
        serde_json::to_vec(&first.jwks()).unwrap(),
    );
    let alice = jans_core::testing::block_on(h.engine.user("alice"))
        .unwrap()
        .unwrap();
    for jti in ["k1", "k2"] {
        let r = exchange(
            &h,
            &c,
            &first.sign(&claims(ROLLING, &alice.inum, jti)),
            None,
        );
        assert_eq!(r.status(), 200, "{:?}", r.body);
    }
    assert_eq!(*h.http.fetches.lock().unwrap(), 1, "cached");
    // A uid is not an inum for this issuer.
    let r = exchange(&h, &c, &first.sign(&claims(ROLLING, "alice", "k3")), None);
    assert_error(&r, 400, "invalid_grant");
    let next = Issuer::new(16, Algorithm::ES256);
    h.http.docs.lock().unwrap().insert(
        ROLLING_KEYS.into(),
        serde_json::to_vec(&next.jwks()).unwrap(),
    );
    let r = exchange(
        &h,
        &c,
        &next.sign(&claims(ROLLING, &alice.inum, "k4")),
        None,
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(
        *h.http.fetches.lock().unwrap(),
        2,
        "fetched again for the new kid"
    );
}

#[test]
fn trusted_issuers_are_checked_in_the_configuration() {
    let partner = Issuer::new(17, Algorithm::ES256);
    let good = TrustedIssuer {
        issuer: PARTNER.into(),
        jwks: Some(partner.jwks()),
        ..TrustedIssuer::default()
    };
    for (bad, why) in [
        (
            TrustedIssuer {
                jwks_uri: Some(ROLLING_KEYS.into()),
                ..good.clone()
            },
            "exactly one",
        ),
        (
            TrustedIssuer {
                jwks: None,
                ..good.clone()
            },
            "exactly one",
        ),
        (
            TrustedIssuer {
                issuer: String::new(),
                ..good.clone()
            },
            "no issuer",
        ),
        (good.clone(), "twice"),
    ] {
        let config = Config {
            jwt_bearer_trusted_issuers: if why == "twice" {
                vec![good.clone(), bad]
            } else {
                vec![bad]
            },
            ..Config::default()
        };
        let e = config.validate().unwrap_err();
        assert_eq!(e.key, "jwtBearerTrustedIssuers");
        assert!(e.message.contains(why), "{}", e.message);
    }
    let loaded = Config::load(
        Some((
            r#"[[jwtBearerTrustedIssuers]]
issuer = "https://partner.example"
jwksUri = "https://partner.example/keys"
subjectAttribute = "inum"
"#,
            true,
        )),
        [],
    )
    .unwrap();
    assert_eq!(
        loaded.jwt_bearer_trusted_issuers[0].subject_attribute,
        SubjectAttribute::Inum
    );
}
