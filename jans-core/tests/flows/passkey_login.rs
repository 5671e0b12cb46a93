//! Passkey and security-key sign-in at the auth-server (issue 12 item 9): `acr_values`
//! picks the method, the interaction API carries the WebAuthn options and takes the
//! assertion, `acr`/`amr` in the ID token say what happened, and a weaker session steps up.

use jans_core::auth::authn::interaction::{LoginResult, Stage};
use jans_core::jose::{Algorithm, jws, jwt};
use jans_core::request::Fido2Endpoint;
use jans_core::testing::authenticator::{Attestation, SoftAuthenticator};
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Method, Request, Response};
use serde_json::json;

use super::authorize::{VERIFIER, authorize, harness, location, q, redeem, rp, std_params};
use super::harness::*;

const ORIGIN: &str = "https://id.example.com";

/// alice's passkey, registered through the FIDO2 API in a session of hers.
fn alice_passkey(h: &Harness) -> SoftAuthenticator {
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let cookie = h.ctx().random_token(16);
    let s = jans_core::repo::session::Session {
        sid: "s".into(),
        user_inum: alice.inum.clone(),
        auth_time: h.clock.now(),
        acr: "simple_password_auth".into(),
        amr: vec!["pwd".into()],
        opbs: String::new(),
        clients: Vec::new(),
    };
    block_on(h.stores.sessions.insert(
        &jans_core::repo::grant::token_key(&cookie),
        &s,
        h.clock.now(),
        h.clock.now() + 60,
    ))
    .unwrap();
    let mut req = Request::new(Fido2Endpoint::AttestationOptions, Method::Post);
    req.body = serde_json::to_vec(&json!({"username": "alice", "session_id": cookie})).unwrap();
    let options = json(&h.call(req));
    let mut a =
        SoftAuthenticator::new(h.provider().as_ref(), Algorithm::ES256, h.rng.as_ref()).unwrap();
    let resp = a
        .register(&options, ORIGIN, Attestation::None, h.rng.as_ref())
        .unwrap();
    let mut req = Request::new(Fido2Endpoint::AttestationResult, Method::Post);
    req.body = serde_json::to_vec(&resp).unwrap();
    assert_eq!(h.call(req).status(), 200);
    a
}

/// The claims of the ID token a code redeems to.
pub(crate) fn id_token_claims(
    h: &Harness,
    c: &jans_core::RegisteredClient,
    cb: &str,
) -> serde_json::Value {
    let r = redeem(h, c, &q(cb, "code").expect("a code"), VERIFIER);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let t = json(&r)["id_token"].as_str().unwrap().to_owned();
    let payload = jws::decode(&t)
        .unwrap()
        .verify_with_jwks(&h.jwks(), &[Algorithm::ES256], h.provider().as_ref())
        .unwrap();
    serde_json::Value::Object(jwt::parse_claims(&payload).unwrap())
}

pub(crate) fn with_acr<'a>(
    c: &'a jans_core::RegisteredClient,
    acr: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut p = std_params(c);
    p.push(("acr_values", acr));
    p
}

pub(crate) fn done(r: LoginResult) -> Response {
    match r {
        LoginResult::Done(r) => r,
        other => panic!("expected the flow to move on, got {other:?}"),
    }
}

pub(crate) fn session_cookie(r: &Response) -> String {
    r.headers
        .iter()
        .find(|(n, v)| *n == "set-cookie" && v.starts_with("session_id="))
        .map(|(_, v)| {
            let first = v.split(';').next().unwrap();
            first.strip_prefix("session_id=").unwrap().to_owned()
        })
        .expect("a session cookie")
}

#[test]
fn discovery_lists_the_webauthn_methods() {
    let h = harness();
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["acr_values_supported"],
        json!(["simple_password_auth", "passkey", "fido2", "otp", "casa"])
    );
}

#[test]
fn passkey_sign_in_without_a_username() {
    let h = harness();
    let c = rp(&h, json!({"trusted_client": true}));
    let mut key = alice_passkey(&h);
    let start = authorize(&h, &with_acr(&c, "passkey"), None);
    let id = q(&location(&start), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.stage, Stage::Login);
    assert_eq!(view.acr, "passkey");
    let options = view.webauthn.clone().expect("request options for the page");
    assert_eq!(options["allowCredentials"], json!([]), "usernameless");
    assert_eq!(options["userVerification"], "required");

    // A refused assertion (another origin) is a failed attempt; the page may try again.
    let bad = key
        .assert(&options, "https://evil.example", h.rng.as_ref())
        .unwrap();
    let r = block_on(h.engine.interaction_webauthn(
        &id,
        &view.csrf,
        &serde_json::to_vec(&bad).unwrap(),
        &h.ctx(),
    ))
    .unwrap();
    // Counted like a wrong password (loginMaxFailures 5).
    assert!(matches!(r, LoginResult::Retry { remaining: 4 }), "{r:?}");
    // A key that does not verify the user is no passkey sign-in.
    key.user_verifying = false;
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let no_uv = key
        .assert(view.webauthn.as_ref().unwrap(), ORIGIN, h.rng.as_ref())
        .unwrap();
    let r = block_on(h.engine.interaction_webauthn(
        &id,
        &view.csrf,
        &serde_json::to_vec(&no_uv).unwrap(),
        &h.ctx(),
    ))
    .unwrap();
    assert!(matches!(r, LoginResult::Retry { remaining: 3 }), "{r:?}");
    key.user_verifying = true;

    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let signed = key
        .assert(view.webauthn.as_ref().unwrap(), ORIGIN, h.rng.as_ref())
        .unwrap();
    let r = done(
        block_on(h.engine.interaction_webauthn(
            &id,
            &view.csrf,
            &serde_json::to_vec(&signed).unwrap(),
            &h.ctx(),
        ))
        .unwrap(),
    );
    let cb = location(&r);
    let claims = id_token_claims(&h, &c, &cb);
    assert_eq!(claims["acr"], "passkey");
    assert_eq!(claims["amr"], json!(["hwk", "user", "mfa"]));
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    assert_eq!(claims["sub"], alice.inum.as_str());
}

#[test]
fn fido2_is_a_second_factor_and_a_weaker_session_steps_up() {
    let h = harness();
    let c = rp(&h, json!({"trusted_client": true}));
    let mut key = alice_passkey(&h);
    // First a password session.
    let start = authorize(&h, &std_params(&c), None);
    let id = q(&location(&start), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let r = done(
        block_on(h.engine.interaction_login(
            &id,
            &view.csrf,
            "alice",
            "correct horse battery",
            &h.ctx(),
        ))
        .unwrap(),
    );
    let cookie = session_cookie(&r);
    assert_eq!(
        id_token_claims(&h, &c, &location(&r))["acr"],
        "simple_password_auth"
    );

    // The same browser asks for fido2: the password session is not enough.
    let start = authorize(&h, &with_acr(&c, "fido2"), Some(&cookie));
    let id = q(&location(&start), "interaction").expect("a sign-in, not a code");
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!((view.stage, view.acr.as_str()), (Stage::Login, "fido2"));
    let r = done(
        block_on(h.engine.interaction_login(
            &id,
            &view.csrf,
            "alice",
            "correct horse battery",
            &h.ctx(),
        ))
        .unwrap(),
    );
    // The password was right: the second factor, on a new interaction.
    assert!(
        r.headers.iter().all(|(n, _)| *n != "set-cookie"),
        "no session yet"
    );
    let id2 = q(&location(&r), "interaction").unwrap();
    assert_ne!(id2, id);
    let view = block_on(h.engine.interaction(&id2, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.stage, Stage::SecondFactor);
    let options = view.webauthn.clone().unwrap();
    assert_eq!(
        options["allowCredentials"][0]["id"],
        jans_core::b64::encode(&key.credential_id)
    );
    // Bob's key is not alice's second factor.
    block_on(h.engine.add_user(
        jans_core::repo::user::User {
            uid: "bob".into(),
            ..Default::default()
        },
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap();
    let mut bobs =
        SoftAuthenticator::new(h.provider().as_ref(), Algorithm::ES256, h.rng.as_ref()).unwrap();
    bobs.user_handle = Some(b"bob".to_vec());
    let wrong = bobs.assert(&options, ORIGIN, h.rng.as_ref()).unwrap();
    let r = block_on(h.engine.interaction_webauthn(
        &id2,
        &view.csrf,
        &serde_json::to_vec(&wrong).unwrap(),
        &h.ctx(),
    ))
    .unwrap();
    assert!(matches!(r, LoginResult::Retry { .. }));
    // A password cannot be sent at this stage.
    assert!(
        block_on(h.engine.interaction_login(
            &id2,
            &view.csrf,
            "alice",
            "correct horse battery",
            &h.ctx()
        ))
        .is_err()
    );
    let view = block_on(h.engine.interaction(&id2, &h.ctx()))
        .unwrap()
        .unwrap();
    let signed = key
        .assert(view.webauthn.as_ref().unwrap(), ORIGIN, h.rng.as_ref())
        .unwrap();
    let r = done(
        block_on(h.engine.interaction_webauthn(
            &id2,
            &view.csrf,
            &serde_json::to_vec(&signed).unwrap(),
            &h.ctx(),
        ))
        .unwrap(),
    );
    let strong = session_cookie(&r);
    let claims = id_token_claims(&h, &c, &location(&r));
    assert_eq!(claims["acr"], "fido2");
    assert_eq!(claims["amr"], json!(["pwd", "hwk", "user", "mfa"]));

    // The fido2 session satisfies passkey and password requests without a sign-in.
    for acr in ["passkey", "simple_password_auth"] {
        let r = authorize(&h, &with_acr(&c, acr), Some(&strong));
        let cb = location(&r);
        assert!(q(&cb, "code").is_some(), "{acr}: {cb}");
        assert_eq!(id_token_claims(&h, &c, &cb)["acr"], "fido2");
    }
}
