//! Rich Authorization Requests (RFC 9396; issue 16 item 9): `authorization_details` of the
//! configured types through the code flow (shown at consent, carried into the token
//! response, introspection, JWT access tokens and refreshes), client credentials, PAR, and
//! every refusal.

use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Method, Request};
use serde_json::{Value, json};

use super::authorize::{VERIFIER, authorize, location, q, redeem, rp, sign_in, std_params};
use super::harness::*;

const PAYMENT: &str = r#"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant A"}]"#;

fn harness_with_types() -> Harness {
    let mut config = config();
    config.authorization_details_types_supported =
        vec!["payment_initiation".into(), "account_information".into()];
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    h.add_user("alice");
    h
}

#[test]
fn details_go_from_the_request_through_consent_into_the_tokens() {
    let h = harness_with_types();
    let c = rp(
        &h,
        json!({"scope": "profile offline_access", "access_token_as_jwt": true,
               "grant_types": ["authorization_code", "refresh_token"]}),
    );
    let mut p = std_params(&c);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid profile offline_access"));
    p.push(("authorization_details", PAYMENT));
    let start = authorize(&h, &p, None);
    let (signed_in, _) = sign_in(&h, &location(&start), "alice");
    let id = q(&location(&signed_in), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.authorization_details, ["payment_initiation"]);
    let r = block_on(
        h.engine
            .interaction_consent(&id, &view.csrf, true, false, &h.ctx()),
    )
    .unwrap();
    let r = redeem(&h, &c, &q(&location(&r), "code").unwrap(), VERIFIER);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let body = json(&r);
    let asked: Value = serde_json::from_str(PAYMENT).unwrap();
    assert_eq!(body["authorization_details"], asked);
    let at = body["access_token"].as_str().unwrap();
    let claims = h
        .engine
        .verify_token(at, None, h.clock.now())
        .unwrap()
        .claims;
    assert_eq!(claims["authorization_details"], asked);
    assert_eq!(h.introspect(&c, at)["authorization_details"], asked);
    // A refresh keeps them.
    let rt = body["refresh_token"].as_str().unwrap();
    let r = super::authorize::refresh(&h, &c, rt, None);
    assert_eq!(json(&r)["authorization_details"], asked, "{:?}", r.body);
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["authorization_details_types_supported"],
        json!(["payment_initiation", "account_information"])
    );
}

#[test]
fn client_credentials_and_pushed_requests_take_details_too() {
    let h = harness_with_types();
    let c = h.register(
        json!({"scope": "read", "redirect_uris": [super::authorize::CB],
                              "grant_types": ["client_credentials", "authorization_code"],
                              "authorization_details_types": ["account_information"]}),
    );
    let info = r#"[{"type":"account_information","actions":["list_accounts"]}]"#;
    let r = h.token(
        &[
            ("grant_type", "client_credentials"),
            ("authorization_details", info),
        ],
        Some(basic(&c)),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let at = json(&r)["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        h.introspect(&c, &at)["authorization_details"][0]["actions"][0],
        "list_accounts"
    );
    // This client registered account_information only.
    h.count_grants();
    let r = h.token(
        &[
            ("grant_type", "client_credentials"),
            ("authorization_details", PAYMENT),
        ],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_authorization_details");
    let r = h.post(
        AuthEndpoint::Par,
        &[
            ("response_type", "code"),
            ("redirect_uri", super::authorize::CB),
            ("scope", "read"),
            ("authorization_details", PAYMENT),
        ],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_authorization_details");
    assert_eq!(h.count_grants(), 0, "nothing stored");
}

#[test]
fn malformed_or_unsupported_details_are_refused() {
    let h = harness_with_types();
    let c = h.register(json!({"scope": "read"}));
    let big = format!(
        "[{}]",
        vec![r#"{"type":"account_information"}"#; 33].join(",")
    );
    let huge = format!(
        r#"[{{"type":"account_information","x":"{}"}}]"#,
        "a".repeat(17_000)
    );
    for bad in [
        "not json",
        "{}",
        "[]",
        "[1]",
        r#"[{"actions":["x"]}]"#,
        r#"[{"type":5}]"#,
        r#"[{"type":"wire_transfer"}]"#,
        big.as_str(),
        huge.as_str(),
    ] {
        let r = h.token(
            &[
                ("grant_type", "client_credentials"),
                ("authorization_details", bad),
            ],
            Some(basic(&c)),
        );
        assert_error(&r, 400, "invalid_authorization_details");
    }
    // At the authorization endpoint, the error goes back to the client.
    let front = rp(&h, json!({}));
    let mut p = std_params(&front);
    p.push(("authorization_details", r#"[{"type":"wire_transfer"}]"#));
    let r = authorize(&h, &p, None);
    assert_eq!(
        q(&location(&r), "error").as_deref(),
        Some("invalid_authorization_details")
    );
    // No types configured: none accepted.
    let plain = Harness::new();
    let c = plain.register(json!({"scope": "read"}));
    let r = plain.token(
        &[
            ("grant_type", "client_credentials"),
            ("authorization_details", PAYMENT),
        ],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_authorization_details");
}
