//! Token exchange (RFC 8693; issue 16 item 9) with Janssen's transaction tokens: access
//! tokens, ID tokens and JWTs (ours and a trusted issuer's) exchanged for a narrower token
//! for an audience or resource, delegation (`act`), and every refusal with its error and
//! nothing issued.

use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, RegisteredClient, Response};
use serde_json::{Value, json};

use super::authorize::{
    VERIFIER, authorize, harness_on, login_and_consent, q, redeem, rp, std_params,
};
use super::harness::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT: &str = "urn:ietf:params:oauth:token-type:access_token";
const IDT: &str = "urn:ietf:params:oauth:token-type:id_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const TXN: &str = "urn:ietf:params:oauth:token-type:txn_token";

/// A person's tokens from the code flow of `front` (scope `openid profile`).
fn person_tokens(h: &Harness, front: &RegisteredClient) -> Value {
    let (cb, _) = login_and_consent(h, &authorize(h, &std_params(front), None));
    let r = redeem(h, front, &q(&cb, "code").unwrap(), VERIFIER);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)
}

fn exchange(h: &Harness, c: &RegisteredClient, form: &[(&str, &str)]) -> Response {
    let mut all = vec![("grant_type", GRANT)];
    all.extend_from_slice(form);
    h.token(&all, Some(basic(c)))
}

fn setup() -> (
    Harness,
    RegisteredClient,
    RegisteredClient,
    RegisteredClient,
) {
    let h = harness_on(jans_core::repo::Stores::memory());
    let front = rp(&h, json!({}));
    let api = h.register(json!({"grant_types": [GRANT, "client_credentials"],
                                "scope": "profile email"}));
    let downstream = h.register(json!({"scope": "read"}));
    (h, front, api, downstream)
}

#[test]
fn an_access_token_is_exchanged_for_a_narrower_one_for_an_audience() {
    let (h, front, api, downstream) = setup();
    let tokens = person_tokens(&h, &front);
    let subject = tokens["access_token"].as_str().unwrap();
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();

    let r = exchange(
        &h,
        &api,
        &[
            ("subject_token", subject),
            ("subject_token_type", AT),
            ("audience", &downstream.client.client_id),
        ],
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let body = json(&r);
    assert_eq!(body["issued_token_type"], AT);
    assert_eq!(body["token_type"], "Bearer");
    // The subject token had `openid profile`, the API registered `profile email`.
    assert_eq!(body["scope"], "profile");
    assert!(body.get("refresh_token").is_none());
    let info = h.introspect(&api, body["access_token"].as_str().unwrap());
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], alice.inum.as_str());
    assert_eq!(info["client_id"], api.client.client_id.as_str());
    assert_eq!(info["aud"], downstream.client.client_id.as_str());
    assert!(info.get("act").is_none());

    // Delegation: the API acts for alice with its own token (§1.1, §4.1).
    let own = h.cc_token(&api);
    let r = exchange(
        &h,
        &api,
        &[
            ("subject_token", subject),
            ("subject_token_type", AT),
            ("actor_token", &own),
            ("actor_token_type", AT),
            ("resource", "https://photos.example.com/api"),
        ],
    );
    let info = h.introspect(&api, json(&r)["access_token"].as_str().unwrap());
    assert_eq!(info["act"]["sub"], api.client.client_id.as_str());
    assert_eq!(info["aud"], "https://photos.example.com/api");

    // A JWT access token of ours carries the same.
    let jwt_api = h.register(json!({"grant_types": [GRANT], "scope": "profile",
                                    "access_token_as_jwt": true}));
    let r = exchange(
        &h,
        &jwt_api,
        &[
            ("subject_token", subject),
            ("subject_token_type", AT),
            ("actor_token", &own),
            ("actor_token_type", AT),
            ("audience", &downstream.client.client_id),
        ],
    );
    let at = json(&r)["access_token"].as_str().unwrap().to_owned();
    let claims = h
        .engine
        .verify_token(&at, None, h.clock.now())
        .unwrap()
        .claims;
    assert_eq!(claims["aud"], downstream.client.client_id.as_str());
    assert_eq!(claims["act"]["sub"], api.client.client_id.as_str());
    assert_eq!(claims["sub"], alice.inum.as_str());
    // ... and is itself exchangeable, as a JWT of ours.
    let r = exchange(
        &h,
        &api,
        &[("subject_token", &at), ("subject_token_type", JWT)],
    );
    assert_eq!(json(&r)["scope"], "profile", "{:?}", r.body);
}

#[test]
fn id_tokens_and_trusted_assertions_are_subjects_too() {
    let (h, front, api, _) = setup();
    let tokens = person_tokens(&h, &front);
    let r = exchange(
        &h,
        &api,
        &[
            ("subject_token", tokens["id_token"].as_str().unwrap()),
            ("subject_token_type", IDT),
            ("scope", "email"),
        ],
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(
        json(&r)["scope"],
        "email",
        "an ID token limits nothing but the client's"
    );
    // An access token given as an ID token is not one.
    let r = exchange(
        &h,
        &api,
        &[
            ("subject_token", tokens["access_token"].as_str().unwrap()),
            ("subject_token_type", IDT),
        ],
    );
    assert_error(&r, 400, "invalid_grant");
}

#[test]
fn refusals_issue_nothing() {
    let (h, front, api, downstream) = setup();
    let tokens = person_tokens(&h, &front);
    let subject = tokens["access_token"].as_str().unwrap().to_owned();
    let id = downstream.client.client_id.clone();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("subject_token_type", AT)], "invalid_request"),
        (vec![("subject_token", &subject)], "invalid_request"),
        (
            vec![("subject_token", &subject), ("subject_token_type", "urn:x")],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", AT),
                ("requested_token_type", IDT),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", AT),
                ("actor_token", &subject),
            ],
            "invalid_request",
        ),
        (
            vec![("subject_token", "nope"), ("subject_token_type", AT)],
            "invalid_grant",
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", AT),
                ("scope", "email"),
            ],
            "invalid_scope",
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", AT),
                ("audience", "no-such-client"),
            ],
            "invalid_target",
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", AT),
                ("resource", "https://api.example.com/#frag"),
            ],
            "invalid_target",
        ),
        (
            vec![
                ("subject_token", &subject),
                ("subject_token_type", AT),
                ("audience", &id),
                ("audience", &id),
            ],
            "invalid_request",
        ),
    ];
    let access_tokens = || {
        block_on(h.stores.grants.scan(
            jans_core::store::GrantKind::AccessToken,
            h.clock.now(),
            10_000,
        ))
        .unwrap()
        .len()
    };
    let before = access_tokens();
    for (form, code) in cases {
        let r = exchange(&h, &api, &form);
        assert_error(&r, 400, code);
        assert_eq!(access_tokens(), before, "{form:?}: nothing issued");
    }
    // A client not registered for the grant.
    let r = exchange(
        &h,
        &downstream,
        &[("subject_token", &subject), ("subject_token_type", AT)],
    );
    assert_error(&r, 400, "unauthorized_client");
    // A revoked subject token is not active.
    let r = h.post(
        AuthEndpoint::Revocation,
        &[("token", &subject)],
        Some(basic(&front)),
    );
    assert_eq!(r.status(), 200);
    let r = exchange(
        &h,
        &api,
        &[("subject_token", &subject), ("subject_token_type", AT)],
    );
    assert_error(&r, 400, "invalid_grant");
}

#[test]
fn transaction_tokens_carry_the_subject_and_the_request_context() {
    let (h, front, api, downstream) = setup();
    let tokens = person_tokens(&h, &front);
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let rctx = jans_core::b64::encode(br#"{"req_ip":"198.51.100.7"}"#);
    let r = exchange(
        &h,
        &api,
        &[
            ("subject_token", tokens["access_token"].as_str().unwrap()),
            ("subject_token_type", AT),
            ("requested_token_type", TXN),
            ("audience", &downstream.client.client_id),
            ("request_context", &rctx),
            ("request_details", r#"{"action":"purchase"}"#),
        ],
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let body = json(&r);
    assert_eq!(body["issued_token_type"], TXN);
    assert_eq!(body["token_type"], "N_A");
    assert_eq!(body["expires_in"], 180);
    let txn = body["access_token"].as_str().unwrap();
    let decoded = jans_core::jose::jws::decode(txn).unwrap();
    assert_eq!(decoded.header().typ.as_deref(), Some("txntoken+jwt"));
    let jwks = h.jwks();
    let payload = decoded
        .verify_with_jwks(
            &jwks,
            &jans_core::jose::Algorithm::ASYMMETRIC,
            h.provider().as_ref(),
        )
        .unwrap();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], alice.inum.as_str());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        180
    );
    assert_eq!(
        claims["aud"],
        json!([api.client.client_id, downstream.client.client_id])
    );
    assert_eq!(claims["rctx"]["req_ip"], "198.51.100.7");
    assert_eq!(claims["azd"]["action"], "purchase");
    assert_eq!(claims["azd"]["client_id"], api.client.client_id.as_str());
    assert_eq!(claims["scope"], "profile");
    assert_eq!(claims["txn"].as_str().unwrap().len(), 36);
    // Not an access token anywhere here.
    assert!(h.engine.verify_token(txn, None, h.clock.now()).is_err());
    assert_eq!(h.introspect(&api, txn)["active"], false);
    // A context that is not a JSON object is refused.
    let r = exchange(
        &h,
        &api,
        &[
            ("subject_token", tokens["access_token"].as_str().unwrap()),
            ("subject_token_type", AT),
            ("requested_token_type", TXN),
            ("request_context", "[1]"),
        ],
    );
    assert_error(&r, 400, "invalid_request");
}

#[test]
fn trusted_assertions_are_subjects_and_bound_tokens_are_not() {
    use super::jwt_bearer::{Issuer, PARTNER, claims};
    let partner = Issuer::new(21, jans_core::jose::Algorithm::ES256);
    let mut config = config();
    config.jwt_bearer_trusted_issuers = vec![jans_core::config::grants::TrustedIssuer {
        issuer: PARTNER.into(),
        jwks: Some(partner.jwks()),
        ..Default::default()
    }];
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    h.add_user("alice");
    let api = h.register(json!({"grant_types": [GRANT, "client_credentials"], "scope": "read"}));
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let a = partner.sign(&claims(PARTNER, "alice", "te-1"));
    let r = exchange(
        &h,
        &api,
        &[("subject_token", &a), ("subject_token_type", JWT)],
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let info = h.introspect(&api, json(&r)["access_token"].as_str().unwrap());
    assert_eq!(info["sub"], alice.inum.as_str());
    // The assertion was spent.
    let r = exchange(
        &h,
        &api,
        &[("subject_token", &a), ("subject_token_type", JWT)],
    );
    assert_error(&r, 400, "invalid_grant");

    // A DPoP-bound access token is not exchanged: its proof cannot be seen here.
    let key = super::dpop::Key::new(&h, jans_core::jose::Algorithm::ES256);
    let r = super::dpop::token_with(
        &h,
        &[("grant_type", "client_credentials")],
        Some(basic(&api)),
        Some(&key.proof(&h, "POST", super::dpop::TOKEN_URL, None)),
    );
    let bound = json(&r)["access_token"].as_str().unwrap().to_owned();
    let r = exchange(
        &h,
        &api,
        &[("subject_token", &bound), ("subject_token_type", AT)],
    );
    assert_error(&r, 400, "invalid_grant");
}
