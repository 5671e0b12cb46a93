use jans_core::{AuthEndpoint, Method, Request};

use super::harness::*;

#[test]
fn revocation_rfc7009() {
    let h = Harness::new();
    let a = h.register(serde_json::json!({}));
    let b = h.register(serde_json::json!({}));
    let at = h.cc_token(&a);
    let jwt_client = h.register(serde_json::json!({"access_token_as_jwt": true}));
    let jwt_at = h.cc_token(&jwt_client);
    // Another client cannot revoke a's token, and the token stays active.
    let r = h.post(AuthEndpoint::Revocation, &[("token", &at)], Some(basic(&b)));
    assert_error(&r, 400, "unauthorized_client");
    assert_eq!(h.introspect(&a, &at)["active"], true);
    // Unauthenticated and malformed requests.
    assert_error(
        &h.post(AuthEndpoint::Revocation, &[("token", &at)], None),
        401,
        "invalid_client",
    );
    assert_error(
        &h.post(AuthEndpoint::Revocation, &[], Some(basic(&a))),
        400,
        "invalid_request",
    );
    assert_error(
        &h.call(Request::new(AuthEndpoint::Revocation, Method::Get)),
        405,
        "method_not_allowed",
    );
    assert_eq!(h.introspect(&a, &at)["active"], true);
    // The owner revokes: 200 with an empty body, then inactive.
    let r = h.post(
        AuthEndpoint::Revocation,
        &[("token", &at), ("token_type_hint", "access_token")],
        Some(basic(&a)),
    );
    assert_eq!(r.status(), 200);
    assert!(r.body_bytes().is_empty());
    assert_eq!(h.introspect(&a, &at)["active"], false);
    // Revoking again, or an unknown token, or with an unknown hint: still 200 (§2.2).
    for (tok, hint) in [
        (at.as_str(), "access_token"),
        ("garbage", "refresh_token"),
        ("x", "weird"),
    ] {
        let r = h.post(
            AuthEndpoint::Revocation,
            &[("token", tok), ("token_type_hint", hint)],
            Some(basic(&a)),
        );
        assert_eq!(r.status(), 200);
    }
    // JWT access tokens are revocable too.
    let r = h.post(
        AuthEndpoint::Revocation,
        &[("token", &jwt_at)],
        Some(basic(&jwt_client)),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(h.introspect(&jwt_client, &jwt_at)["active"], false);
}

/// RFC 7009 §2.1: revoking a refresh token also invalidates the access tokens of the same
/// grant (and every later refresh of it fails); revoking an access token leaves the
/// refresh token and its siblings alone.
#[test]
fn revoking_a_refresh_token_revokes_its_family() {
    use super::authorize::{VERIFIER, harness, offline_code, offline_rp, redeem, refresh};
    let h = harness();
    let c = offline_rp(&h);
    let grant = |h: &Harness| json(&redeem(h, &c, &offline_code(h, &c), VERIFIER));
    let first = grant(&h);
    let (at1, rt1) = (
        first["access_token"].as_str().unwrap().to_owned(),
        first["refresh_token"].as_str().unwrap().to_owned(),
    );
    // A second access token of the same grant, through a refresh.
    let second = json(&refresh(&h, &c, &rt1, None));
    let (at2, rt2) = (
        second["access_token"].as_str().unwrap().to_owned(),
        second["refresh_token"].as_str().unwrap().to_owned(),
    );
    // Another grant of the same user and client, untouched by what follows.
    let other = grant(&h);
    // Revoking an access token: only it.
    let r = h.post(
        AuthEndpoint::Revocation,
        &[("token", &at2)],
        Some(basic(&c)),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(h.introspect(&c, &at2)["active"], false);
    assert_eq!(h.introspect(&c, &rt2)["active"], true);
    // Revoking the refresh token: the whole grant.
    let r = h.post(
        AuthEndpoint::Revocation,
        &[("token", &rt2), ("token_type_hint", "refresh_token")],
        Some(basic(&c)),
    );
    assert_eq!(r.status(), 200);
    for t in [&at1, &rt2] {
        assert_eq!(h.introspect(&c, t)["active"], false, "family revoked");
    }
    assert_error(&refresh(&h, &c, &rt2, None), 400, "invalid_grant");
    for t in ["access_token", "refresh_token"] {
        assert_eq!(
            h.introspect(&c, other[t].as_str().unwrap())["active"],
            true,
            "another grant keeps its {t}"
        );
    }
}
