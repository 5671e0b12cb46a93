use std::sync::Arc;

use jans_core::auth::oauth::client_auth::JWT_BEARER_ASSERTION;
use jans_core::crypto::SigningKey;
use jans_core::jose::{Algorithm, Jwks, jws};
use jans_core::{AuthEndpoint, RegisteredClient};

use super::harness::*;

const TOKEN_URL: &str = "https://id.example.com/jans-auth/restv1/token";

fn claims(client_id: &str, aud: &str, jti: &str, exp: u64) -> serde_json::Value {
    serde_json::json!({"iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "exp": exp, "iat": T0})
}

fn hs_assertion(c: &RegisteredClient, claims: &serde_json::Value) -> String {
    jws::sign_hmac(
        &jws::Header::new(Algorithm::HS256),
        &serde_json::to_vec(claims).unwrap(),
        Algorithm::HS256,
        c.client_secret.as_deref().unwrap().as_bytes(),
    )
    .unwrap()
}

fn key_assertion(
    h: &Harness,
    key: &dyn SigningKey,
    kid: Option<&str>,
    claims: &serde_json::Value,
) -> String {
    let mut header = jws::Header::new(key.algorithm());
    header.kid = kid.map(str::to_owned);
    jws::sign(
        &header,
        &serde_json::to_vec(claims).unwrap(),
        key,
        h.rng.as_ref(),
    )
    .unwrap()
}

fn with_assertion(
    h: &Harness,
    endpoint: AuthEndpoint,
    assertion: &str,
    extra: &[(&str, &str)],
) -> jans_core::Response {
    let mut form = vec![
        ("client_assertion_type", JWT_BEARER_ASSERTION),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    h.post(endpoint, &form, None)
}

fn cc(h: &Harness, assertion: &str) -> jans_core::Response {
    with_assertion(
        h,
        AuthEndpoint::Token,
        assertion,
        &[("grant_type", "client_credentials")],
    )
}

fn client_key(h: &Harness, alg: Algorithm) -> (Arc<dyn SigningKey>, String, Jwks) {
    let key = h.provider().generate(alg, h.rng.as_ref()).unwrap();
    let mut jwk = key.public_jwk();
    let kid = jwk.thumbprint().unwrap();
    jwk.kid = Some(kid.clone());
    (key, kid, Jwks { keys: vec![jwk] })
}

#[test]
fn client_secret_jwt() {
    let h = Harness::new();
    let c = h.register(serde_json::json!({"token_endpoint_auth_method": "client_secret_jwt"}));
    let id = c.client.client_id.clone();
    let a = hs_assertion(&c, &claims(&id, TOKEN_URL, "j1", T0 + 60));
    assert_eq!(cc(&h, &a).status(), 200);
    // RFC 7523 §3 item 7: a jti is used once.
    assert_error(&cc(&h, &a), 401, "invalid_client");
    // The issuer is an accepted audience too; arrays are fine.
    let a = hs_assertion(&c, &claims(&id, ISSUER, "j2", T0 + 60));
    assert_eq!(cc(&h, &a).status(), 200);
    let mut arr = claims(&id, "", "j3", T0 + 60);
    arr["aud"] = serde_json::json!(["https://other.example", TOKEN_URL]);
    assert_eq!(cc(&h, &hs_assertion(&c, &arr)).status(), 200);
    for (name, bad) in [
        (
            "wrong aud",
            claims(&id, "https://evil.example/token", "k1", T0 + 60),
        ),
        ("expired", claims(&id, TOKEN_URL, "k2", T0 - 120)),
        ("too long-lived", claims(&id, TOKEN_URL, "k3", T0 + 7200)),
        ("wrong iss", {
            let mut c2 = claims(&id, TOKEN_URL, "k4", T0 + 60);
            c2["iss"] = "someone-else".into();
            c2
        }),
        ("no jti", {
            let mut c2 = claims(&id, TOKEN_URL, "k5", T0 + 60);
            c2.as_object_mut().unwrap().remove("jti");
            c2
        }),
        ("no exp", {
            let mut c2 = claims(&id, TOKEN_URL, "k6", T0 + 60);
            c2.as_object_mut().unwrap().remove("exp");
            c2
        }),
    ] {
        assert_error(&cc(&h, &hs_assertion(&c, &bad)), 401, "invalid_client");
        let _ = name;
    }
    // Signed with the wrong secret.
    let wrong = jws::sign_hmac(
        &jws::Header::new(Algorithm::HS256),
        &serde_json::to_vec(&claims(&id, TOKEN_URL, "k7", T0 + 60)).unwrap(),
        Algorithm::HS256,
        b"not-the-secret-not-the-secret-xx",
    )
    .unwrap();
    assert_error(&cc(&h, &wrong), 401, "invalid_client");
    // client_id in the form must match the assertion's subject.
    let a = hs_assertion(&c, &claims(&id, TOKEN_URL, "k8", T0 + 60));
    let r = with_assertion(
        &h,
        AuthEndpoint::Token,
        &a,
        &[("grant_type", "client_credentials"), ("client_id", "other")],
    );
    assert_error(&r, 401, "invalid_client");
}

#[test]
fn private_key_jwt_inline_jwks() {
    let h = Harness::new();
    let (key, kid, jwks) = client_key(&h, Algorithm::ES256);
    let c = h.register(serde_json::json!({
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": jwks,
    }));
    let id = c.client.client_id.clone();
    let ok = key_assertion(
        &h,
        key.as_ref(),
        Some(&kid),
        &claims(&id, TOKEN_URL, "p1", T0 + 60),
    );
    assert_eq!(cc(&h, &ok).status(), 200);
    assert_error(&cc(&h, &ok), 401, "invalid_client");
    // Without kid the single fitting key is used.
    let no_kid = key_assertion(
        &h,
        key.as_ref(),
        None,
        &claims(&id, TOKEN_URL, "p2", T0 + 60),
    );
    assert_eq!(cc(&h, &no_kid).status(), 200);
    // Wrong kid.
    let wrong_kid = key_assertion(
        &h,
        key.as_ref(),
        Some("nope"),
        &claims(&id, TOKEN_URL, "p3", T0 + 60),
    );
    assert_error(&cc(&h, &wrong_kid), 401, "invalid_client");
    // Signed by a key the client did not register.
    let (other, _, _) = client_key(&h, Algorithm::ES256);
    let forged = key_assertion(
        &h,
        other.as_ref(),
        Some(&kid),
        &claims(&id, TOKEN_URL, "p4", T0 + 60),
    );
    assert_error(&cc(&h, &forged), 401, "invalid_client");
    // alg none.
    let none = format!(
        "{}.{}.",
        jans_core::b64::encode(br#"{"alg":"none"}"#),
        jans_core::b64::encode(
            &serde_json::to_vec(&claims(&id, TOKEN_URL, "p5", T0 + 60)).unwrap()
        )
    );
    assert_error(&cc(&h, &none), 401, "invalid_client");
    // HS256 "signed" with the public key as the secret (key confusion): the client did not
    // register client_secret_jwt, and no HS alg verifies against a public key.
    let public = serde_json::to_vec(&jwks.keys[0]).unwrap();
    let confused = jws::sign_hmac(
        &jws::Header::new(Algorithm::HS256),
        &serde_json::to_vec(&claims(&id, TOKEN_URL, "p6", T0 + 60)).unwrap(),
        Algorithm::HS256,
        &public,
    )
    .unwrap();
    assert_error(&cc(&h, &confused), 401, "invalid_client");
    // The same assertion authenticates at introspection (its own URL is an accepted aud).
    let at = h.cc_token(&h.register(serde_json::json!({})));
    let a = key_assertion(
        &h,
        key.as_ref(),
        Some(&kid),
        &claims(
            &id,
            "https://id.example.com/jans-auth/restv1/introspection",
            "p7",
            T0 + 60,
        ),
    );
    let r = with_assertion(&h, AuthEndpoint::Introspection, &a, &[("token", &at)]);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["active"], true);
}

#[test]
fn private_key_jwt_jwks_uri_is_fetched_cached_and_refreshed_on_rollover() {
    let h = Harness::new();
    let url = "https://rp.example.com/jwks.json";
    let (k1, kid1, jwks1) = client_key(&h, Algorithm::EdDSA);
    h.http
        .docs
        .lock()
        .unwrap()
        .insert(url.into(), serde_json::to_vec(&jwks1).unwrap());
    let c = h.register(serde_json::json!({
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "EdDSA",
        "jwks_uri": url,
    }));
    let id = c.client.client_id.clone();
    for j in ["u1", "u2"] {
        let a = key_assertion(
            &h,
            k1.as_ref(),
            Some(&kid1),
            &claims(&id, TOKEN_URL, j, T0 + 60),
        );
        assert_eq!(cc(&h, &a).status(), 200);
    }
    assert_eq!(
        *h.http.fetches.lock().unwrap(),
        1,
        "second use served from cache"
    );
    // The client rolls its key: the unknown kid triggers one refetch.
    let (k2, kid2, jwks2) = client_key(&h, Algorithm::EdDSA);
    h.http
        .docs
        .lock()
        .unwrap()
        .insert(url.into(), serde_json::to_vec(&jwks2).unwrap());
    let a = key_assertion(
        &h,
        k2.as_ref(),
        Some(&kid2),
        &claims(&id, TOKEN_URL, "u3", T0 + 60),
    );
    assert_eq!(cc(&h, &a).status(), 200);
    assert_eq!(*h.http.fetches.lock().unwrap(), 2);
    // An assertion in an algorithm other than the registered one is refused.
    let (es, es_kid, _) = client_key(&h, Algorithm::ES256);
    let a = key_assertion(
        &h,
        es.as_ref(),
        Some(&es_kid),
        &claims(&id, TOKEN_URL, "u4", T0 + 60),
    );
    assert_error(&cc(&h, &a), 401, "invalid_client");
    // jwks_uri unreachable.
    h.http.docs.lock().unwrap().clear();
    let (k3, kid3, _) = client_key(&h, Algorithm::EdDSA);
    let a = key_assertion(
        &h,
        k3.as_ref(),
        Some(&kid3),
        &claims(&id, TOKEN_URL, "u5", T0 + 60),
    );
    assert_error(&cc(&h, &a), 401, "invalid_client");
}
