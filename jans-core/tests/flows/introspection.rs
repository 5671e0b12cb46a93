use jans_core::jose::{Algorithm, jws, jwt};
use jans_core::params::Params;
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Method, Request};

use super::harness::*;

#[test]
fn introspection_callers_and_answers() {
    let h = Harness::new();
    let rs = h.register(serde_json::json!({"scope": "uma_protection"}));
    let c = h.register(serde_json::json!({"scope": "read"}));
    let at = h.cc_token(&c);
    // A resource server authenticates as a client.
    let i = h.introspect(&rs, &at);
    assert_eq!(i["active"], true);
    assert_eq!(i["scope"], "read");
    assert_eq!(i["token_type"], "Bearer");
    assert_eq!(i["iss"], ISSUER);
    // ... or presents its own access token.
    let rs_at = h.cc_token(&rs);
    let r = h.post(
        AuthEndpoint::Introspection,
        &[("token", &at)],
        Some(format!("Bearer {rs_at}")),
    );
    assert_eq!(json(&r)["active"], true);
    // GET with a query works too (Janssen accepts both).
    let mut get =
        Request::new(AuthEndpoint::Introspection, Method::Get).with_authorization(basic(&rs));
    get.query = Params::from_pairs([("token", at.as_str())]);
    assert_eq!(json(&h.call(get))["active"], true);
    // Unknown token: inactive, nothing else.
    assert_eq!(
        h.introspect(&rs, "no-such-token"),
        serde_json::json!({"active": false})
    );
    // Errors.
    assert_error(
        &h.post(AuthEndpoint::Introspection, &[("token", &at)], None),
        401,
        "invalid_client",
    );
    assert_error(
        &h.post(AuthEndpoint::Introspection, &[], Some(basic(&rs))),
        400,
        "invalid_request",
    );
    assert_error(
        &h.post(
            AuthEndpoint::Introspection,
            &[("token", &at), ("token", "x")],
            Some(basic(&rs)),
        ),
        400,
        "invalid_request",
    );
    let r = h.post(
        AuthEndpoint::Introspection,
        &[("token", &at)],
        Some("Bearer bogus".into()),
    );
    assert_error(&r, 401, "invalid_token");
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    assert_error(
        &h.call(Request::new(AuthEndpoint::Introspection, Method::Delete)),
        405,
        "method_not_allowed",
    );
    // A removed client's tokens are inactive.
    jans_core::testing::block_on(h.engine.remove_client(&c.client.client_id)).unwrap();
    assert_eq!(h.introspect(&rs, &at)["active"], false);
}

#[test]
fn public_clients_cannot_introspect() {
    let h = Harness::new();
    let c = h.register(serde_json::json!({}));
    let at = h.cc_token(&c);
    // Registration refuses public clients for the grants that exist today, so store one
    // directly, as a later grant (authorization_code + PKCE) will.
    let mut public = c.client.clone();
    public.client_id = "public-client".into();
    public.client_secret_sealed = None;
    public.metadata.token_endpoint_auth_method = jans_core::repo::client::AuthMethod::None;
    public.metadata.grant_types = vec![];
    jans_core::testing::block_on(h.stores.clients.insert(&public)).unwrap();
    let r = h.post(
        AuthEndpoint::Introspection,
        &[("token", &at), ("client_id", "public-client")],
        None,
    );
    assert_error(&r, 401, "invalid_client");
}

#[test]
fn uma_protection_scope_can_be_required_of_bearer_callers() {
    let mut config = config();
    config.introspection_access_token_must_have_uma_protection_scope = true;
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [1; 32]);
    let plain = h.register(serde_json::json!({"scope": "read"}));
    let rs = h.register(serde_json::json!({"scope": "uma_protection"}));
    let at = h.cc_token(&plain);
    let r = h.post(
        AuthEndpoint::Introspection,
        &[("token", &at)],
        Some(format!("Bearer {at}")),
    );
    assert_error(&r, 403, "insufficient_scope");
    let rs_at = h.cc_token(&rs);
    let r = h.post(
        AuthEndpoint::Introspection,
        &[("token", &at)],
        Some(format!("Bearer {rs_at}")),
    );
    assert_eq!(json(&r)["active"], true);
}

#[test]
fn signed_introspection_response_rfc9701() {
    let h = Harness::new();
    let rs = h.register(serde_json::json!({"introspection_signed_response_alg": "EdDSA"}));
    let c = h.register(serde_json::json!({}));
    let at = h.cc_token(&c);
    let req = Request::new(AuthEndpoint::Introspection, Method::Post)
        .with_form(Params::from_pairs([("token", at.as_str())]))
        .with_authorization(basic(&rs))
        .with_accept("application/token-introspection+jwt");
    let r = h.call(req);
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.content_type(),
        Some("application/token-introspection+jwt")
    );
    let jwt_text = String::from_utf8(r.body_bytes()).unwrap();
    let u = jws::decode(&jwt_text).unwrap();
    assert_eq!(u.header().typ.as_deref(), Some("token-introspection+jwt"));
    let payload = u
        .verify_with_jwks(&h.jwks(), &[Algorithm::EdDSA], h.provider().as_ref())
        .unwrap();
    let claims = jwt::parse_claims(&payload).unwrap();
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], rs.client.client_id.as_str());
    assert_eq!(claims["token_introspection"]["active"], true);
    assert_eq!(
        claims["token_introspection"]["client_id"],
        c.client.client_id.as_str()
    );
}

#[test]
fn local_verification_of_jwt_access_tokens() {
    use jans_core::auth::oauth::verify::{TokenKind, VerifyError};
    let h = Harness::new();
    let c = h.register(serde_json::json!({"access_token_as_jwt": true, "scope": "read"}));
    let at = h.cc_token(&c);
    let v = h
        .engine
        .verify_token(&at, Some(&c.client.client_id), T0)
        .unwrap();
    assert_eq!(v.kind, TokenKind::AccessToken);
    assert_eq!(v.claims["client_id"], c.client.client_id.as_str());
    assert_eq!(v.claims["iss"], ISSUER);
    // RFC 9068 §4: audience, expiry (300 s + 60 s skew), signature.
    assert_eq!(
        h.engine.verify_token(&at, Some("api://other"), T0),
        Err(VerifyError::Claim("aud"))
    );
    assert_eq!(
        h.engine.verify_token(&at, None, T0 + 360),
        Err(VerifyError::Claim("exp"))
    );
    let mut parts: Vec<&str> = at.split('.').collect();
    let other = h.cc_token(&c);
    let other_sig = other.split('.').nth(2).unwrap();
    parts[2] = other_sig;
    assert_eq!(
        h.engine.verify_token(&parts.join("."), None, T0),
        Err(VerifyError::BadSignature)
    );
    assert!(matches!(
        h.engine.verify_token("eyJhbGciOiJub25lIn0.e30.", None, T0),
        Err(VerifyError::Malformed(_))
    ));
    // A signed introspection response (typ token-introspection+jwt) is not a credential.
    let rs = h.register(serde_json::json!({}));
    let req = Request::new(AuthEndpoint::Introspection, Method::Post)
        .with_form(Params::from_pairs([("token", at.as_str())]))
        .with_authorization(basic(&rs))
        .with_accept("application/token-introspection+jwt");
    let signed = String::from_utf8(h.call(req).body_bytes()).unwrap();
    assert_eq!(
        h.engine.verify_token(&signed, None, T0),
        Err(VerifyError::WrongType("token-introspection+jwt".into()))
    );
    // Another server's token: its kid is not ours.
    let stranger = Harness::with_seed(config(), jans_core::repo::Stores::memory(), [1; 32], 7);
    let theirs = stranger.register(serde_json::json!({"access_token_as_jwt": true}));
    assert_eq!(
        h.engine.verify_token(&stranger.cc_token(&theirs), None, T0),
        Err(VerifyError::UnknownKey)
    );
    // After a rotation the retired key still verifies what it signed; once archived, not.
    block_on(h.engine.rotate_keys(&h.ctx(), true)).unwrap();
    assert!(h.engine.verify_token(&at, None, T0).is_ok());
    h.clock.advance(2 * 3600);
    block_on(h.engine.tick(&h.ctx())).unwrap();
    assert_eq!(
        h.engine.verify_token(&at, None, h.clock.now()),
        Err(VerifyError::UnknownKey)
    );
}

/// Regression (issue 10 item 1): a `typ` of 63 ASCII bytes and then a two-byte character
/// made the error message's cut at byte 64 panic, before the signature was checked.
#[test]
fn a_long_multibyte_typ_is_refused_not_a_panic() {
    use base64::Engine as _;
    use jans_core::auth::oauth::verify::VerifyError;
    let h = Harness::new();
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let kid = h.jwks().keys[0].kid.clone().unwrap();
    for typ in [
        format!("{}é", "a".repeat(63)),
        format!("{}€", "a".repeat(62)),
        "é".repeat(200),
        "\u{10348}".repeat(40),
    ] {
        let header = serde_json::json!({"alg": "ES256", "kid": kid, "typ": typ});
        let token = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(b"{}"),
            b64(&[0; 64])
        );
        match h.engine.verify_token(&token, None, T0) {
            Err(VerifyError::WrongType(echoed)) => {
                assert_eq!(echoed.chars().count(), typ.chars().count().min(64));
                assert!(typ.starts_with(&echoed));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn introspection_as_the_server_itself() {
    let h = Harness::new();
    let c = h.register(serde_json::json!({"scope": "read"}));
    let at = h.cc_token(&c);
    let i = block_on(h.engine.introspect(&at, &h.ctx())).unwrap();
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], c.client.client_id.as_str());
    assert_eq!(i["scope"], "read");
    let r = h.post(AuthEndpoint::Revocation, &[("token", &at)], Some(basic(&c)));
    assert_eq!(r.status(), 200);
    assert_eq!(
        block_on(h.engine.introspect(&at, &h.ctx())).unwrap(),
        serde_json::json!({"active": false})
    );
    assert_eq!(
        block_on(h.engine.introspect("", &h.ctx())).unwrap(),
        serde_json::json!({"active": false})
    );
}
