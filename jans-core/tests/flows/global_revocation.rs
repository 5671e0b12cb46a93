//! Janssen's global token revocation (issue 16 item 10): every token family and browser
//! session of one person ends — access and refresh tokens of several grants, a code not
//! yet redeemed —, nobody else's; the caller needs the `global_token_revocation` scope; the
//! refusals.

use jans_core::{AuthEndpoint, Method, RegisteredClient, Request, Response};
use serde_json::json;

use super::authorize::{
    VERIFIER, authorize, harness, login_and_consent_scopes, offline_code, offline_rp, q, redeem,
    std_params,
};
use super::harness::*;

fn revoke(h: &Harness, authorization: Option<String>, body: &str) -> Response {
    let mut req = Request::new(AuthEndpoint::GlobalTokenRevocation, Method::Post);
    req.authorization = authorization;
    req.content_type = Some("application/json".into());
    req.body = body.as_bytes().to_vec();
    h.call(req)
}

fn of(uid: &str) -> String {
    json!({"sub_id": {"format": "uid", "id": uid}}).to_string()
}

fn tokens_of(h: &Harness, c: &RegisteredClient) -> (String, String) {
    let code = offline_code(h, c);
    let r = redeem(h, c, &code, VERIFIER);
    let body = json(&r);
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn every_token_and_session_of_the_person_ends_and_nobody_elses() {
    let h = harness();
    h.add_user("bob");
    let c = offline_rp(&h);
    let admin = h.register(json!({"scope": "global_token_revocation"}));
    let (at1, rt1) = tokens_of(&h, &c);
    let (at2, rt2) = tokens_of(&h, &c);
    // A code not redeemed yet, and alice's browser session.
    let mut p = std_params(&c);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid profile offline_access"));
    let (cb, session) = login_and_consent_scopes(&h, &authorize(&h, &p, None));
    let pending = q(&cb, "code").unwrap();
    let r = revoke(&h, Some(basic(&admin)), &of("alice"));
    assert_eq!(r.status(), 204, "{:?}", r.body);
    for t in [&at1, &at2, &rt1, &rt2] {
        assert_eq!(h.introspect(&c, t)["active"], false);
    }
    let r = super::authorize::refresh(&h, &c, &rt1, None);
    assert_error(&r, 400, "invalid_grant");
    assert_error(&redeem(&h, &c, &pending, VERIFIER), 400, "invalid_grant");
    // The session is gone: signing in is asked again.
    let r = authorize(&h, &std_params(&c), Some(&session));
    assert!(
        super::authorize::location(&r).contains("/jans-auth/interaction"),
        "a new sign-in"
    );
    // A token issued after the revocation is fine.
    let (at3, _) = tokens_of(&h, &c);
    assert_eq!(h.introspect(&c, &at3)["active"], true);
}

#[test]
fn another_persons_tokens_stay() {
    let h = harness();
    h.add_user("bob");
    let c = offline_rp(&h);
    let admin = h.register(json!({"scope": "global_token_revocation"}));
    let (alice_at, _) = tokens_of(&h, &c);
    assert_eq!(revoke(&h, Some(basic(&admin)), &of("bob")).status(), 204);
    assert_eq!(h.introspect(&c, &alice_at)["active"], true);
}

#[test]
fn the_caller_needs_the_scope_and_a_body_it_understands() {
    let h = harness();
    let admin = h.register(json!({"scope": "global_token_revocation"}));
    let plain = h.register(json!({"scope": "read"}));
    assert_error(&revoke(&h, None, &of("alice")), 401, "invalid_client");
    assert_error(
        &revoke(&h, Some(basic(&plain)), &of("alice")),
        403,
        "insufficient_scope",
    );
    let weak = h.cc_token(&plain);
    assert_error(
        &revoke(&h, Some(format!("Bearer {weak}")), &of("alice")),
        403,
        "insufficient_scope",
    );
    assert_error(
        &revoke(&h, Some("Bearer nope".into()), &of("alice")),
        401,
        "invalid_token",
    );
    // A token granted the scope will do.
    let strong = h.cc_token(&admin);
    assert_eq!(
        revoke(&h, Some(format!("Bearer {strong}")), &of("alice")).status(),
        204
    );
    assert_error(
        &revoke(&h, Some(basic(&admin)), &of("mallory")),
        404,
        "not_found",
    );
    for bad in [
        "",
        "{}",
        r#"{"sub_id": {"format": "phone_number", "id": "+1"}}"#,
        r#"{"sub_id": {"format": "uid"}}"#,
        r#"{"sub_id": {"format": "uid", "id": "alice"}, "extra": 1}"#,
    ] {
        assert_error(
            &revoke(&h, Some(basic(&admin)), bad),
            400,
            "invalid_request",
        );
    }
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["global_token_revocation_endpoint"],
        "https://id.example.com/jans-auth/restv1/global-token-revocation"
    );
}
