use jans_core::{Endpoint, Method, Request};

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
    let r = h.post(Endpoint::Revocation, &[("token", &at)], Some(basic(&b)));
    assert_error(&r, 400, "unauthorized_client");
    assert_eq!(h.introspect(&a, &at)["active"], true);
    // Unauthenticated and malformed requests.
    assert_error(
        &h.post(Endpoint::Revocation, &[("token", &at)], None),
        401,
        "invalid_client",
    );
    assert_error(
        &h.post(Endpoint::Revocation, &[], Some(basic(&a))),
        400,
        "invalid_request",
    );
    assert_error(
        &h.call(Request::new(Endpoint::Revocation, Method::Get)),
        405,
        "method_not_allowed",
    );
    assert_eq!(h.introspect(&a, &at)["active"], true);
    // The owner revokes: 200 with an empty body, then inactive.
    let r = h.post(
        Endpoint::Revocation,
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
            Endpoint::Revocation,
            &[("token", tok), ("token_type_hint", hint)],
            Some(basic(&a)),
        );
        assert_eq!(r.status(), 200);
    }
    // JWT access tokens are revocable too.
    let r = h.post(
        Endpoint::Revocation,
        &[("token", &jwt_at)],
        Some(basic(&jwt_client)),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(h.introspect(&jwt_client, &jwt_at)["active"], false);
}
