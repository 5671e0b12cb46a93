use jans_core::jose::{jws, jwt};
use jans_core::{AuthEndpoint, Method, Request};

use super::harness::*;

#[test]
fn client_credentials_basic_issues_a_reference_token() {
    let h = Harness::new();
    let c = h.register(serde_json::json!({"client_name": "svc", "scope": "read write"}));
    let r = h.token(&[("grant_type", "client_credentials")], Some(basic(&c)));
    assert_eq!(r.status(), 200);
    let body = json(&r);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "read write");
    assert!(body.get("refresh_token").is_none(), "RFC 6749 §4.4.3");
    let at = body["access_token"].as_str().unwrap();
    assert!(at.len() >= 43 && !at.contains('.'), "opaque 256-bit token");
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(&r, "pragma").as_deref(), Some("no-cache"));
    assert_eq!(r.issued_grant, Some("client_credentials"));
    let i = h.introspect(&c, at);
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], c.client.client_id.as_str());
    assert_eq!(i["exp"], T0 + 300);
    // Expiry is data: at exp the token is inactive.
    h.clock.advance(299);
    assert_eq!(h.introspect(&c, at)["active"], true);
    h.clock.advance(1);
    assert_eq!(h.introspect(&c, at)["active"], false);
}

#[test]
fn client_secret_post_and_per_client_lifetime() {
    let h = Harness::new();
    let c = h.register(serde_json::json!({
        "token_endpoint_auth_method": "client_secret_post",
        "access_token_lifetime": 60
    }));
    let r = h.token(
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client.client_id),
            ("client_secret", c.client_secret.as_deref().unwrap()),
        ],
        None,
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["expires_in"], 60);
    assert!(json(&r).get("scope").is_none());
    // The same client may not switch to Basic: it registered client_secret_post.
    let r = h.token(&[("grant_type", "client_credentials")], Some(basic(&c)));
    assert_error(&r, 401, "invalid_client");
    assert!(header(&r, "www-authenticate").unwrap().starts_with("Basic"));
}

#[test]
fn jwt_access_tokens_follow_rfc9068() {
    let h = Harness::new();
    for alg in ["ES256", "EdDSA"] {
        let c = h.register(serde_json::json!({
            "scope": "read", "access_token_as_jwt": true, "access_token_signing_alg": alg
        }));
        let at = h.cc_token(&c);
        let u = jws::decode(&at).unwrap();
        assert_eq!(u.header().typ.as_deref(), Some("at+jwt"));
        assert_eq!(u.header().alg, alg);
        let payload = u
            .verify_with_jwks(&h.jwks(), &[u_alg(alg)], h.provider().as_ref())
            .unwrap();
        let claims = jwt::parse_claims(&payload).unwrap();
        jwt::validate(
            &claims,
            &jwt::Validation {
                issuer: Some(ISSUER),
                audience: Some(&c.client.client_id),
                ..jwt::Validation::new(T0)
            },
        )
        .unwrap();
        assert_eq!(claims["client_id"], c.client.client_id.as_str());
        assert_eq!(claims["sub"], c.client.client_id.as_str());
        assert_eq!(claims["scope"], "read");
        assert_eq!(claims["exp"], T0 + 300);
        assert!(claims["jti"].as_str().is_some());
        // JWT access tokens are tracked too: introspection and revocation work on them.
        let i = h.introspect(&c, &at);
        assert_eq!(i["active"], true);
        assert_eq!(i["jti"], claims["jti"]);
    }
}

fn u_alg(a: &str) -> jans_core::jose::Algorithm {
    jans_core::jose::Algorithm::from_name(a).unwrap()
}

#[test]
fn scope_rules() {
    let h = Harness::new();
    let c = h.register(serde_json::json!({"scope": "read write admin"}));
    let r = h.token(
        &[
            ("grant_type", "client_credentials"),
            ("scope", "write read write"),
        ],
        Some(basic(&c)),
    );
    assert_eq!(json(&r)["scope"], "write read");
    let r = h.token(
        &[
            ("grant_type", "client_credentials"),
            ("scope", "read delete"),
        ],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_scope");
    let r = h.token(
        &[("grant_type", "client_credentials"), ("scope", "re\"ad")],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_scope");
}

#[test]
fn bad_requests_get_oauth_errors_and_store_nothing() {
    let h = Harness::new();
    let c = h.register(serde_json::json!({}));
    let post = h.register(serde_json::json!({"token_endpoint_auth_method": "client_secret_post"}));
    let ok = Some(basic(&c));
    type Case<'a> = (Vec<(&'a str, &'a str)>, Option<String>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], ok.clone(), 400, "invalid_request"),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            ok.clone(),
            400,
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "a"),
                ("scope", "b"),
            ],
            ok.clone(),
            400,
            "invalid_request",
        ),
        (
            vec![("grant_type", "urn:nope")],
            ok.clone(),
            400,
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("username", "u"),
                ("password", "p"),
            ],
            ok.clone(),
            400,
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "client_credentials")],
            None,
            401,
            "invalid_client",
        ),
        (
            vec![("grant_type", "client_credentials")],
            Some(basic_raw(&c.client.client_id, "wrong")),
            401,
            "invalid_client",
        ),
        (
            vec![("grant_type", "client_credentials")],
            Some(basic_raw("no-such-client", "x")),
            401,
            "invalid_client",
        ),
        (
            vec![("grant_type", "client_credentials")],
            Some("Basic !!!".to_owned()),
            401,
            "invalid_client",
        ),
        (
            vec![("grant_type", "client_credentials")],
            Some(basic_raw("", "x")),
            401,
            "invalid_client",
        ),
        // Two authentication methods at once (RFC 6749 §2.3).
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &post.client.client_id),
                ("client_secret", post.client_secret.as_deref().unwrap()),
            ],
            ok.clone(),
            400,
            "invalid_request",
        ),
        // A client_secret_basic client authenticating by post.
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &c.client.client_id),
                ("client_secret", c.client_secret.as_deref().unwrap()),
            ],
            None,
            401,
            "invalid_client",
        ),
        // A public client id alone: this client is confidential.
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &c.client.client_id),
            ],
            None,
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:x"),
                ("client_assertion", "a.b.c"),
            ],
            None,
            400,
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    jans_core::auth::oauth::client_auth::JWT_BEARER_ASSERTION,
                ),
                ("client_assertion", "not-a-jwt"),
            ],
            None,
            401,
            "invalid_client",
        ),
    ];
    for (form, auth, status, code) in cases {
        let r = h.token(&form, auth.clone());
        assert_error(&r, status, code);
    }
    // Wrong method and wrong content type.
    let r = h.call(Request::new(AuthEndpoint::Token, Method::Get));
    assert_error(&r, 405, "method_not_allowed");
    assert_eq!(header(&r, "allow").as_deref(), Some("POST"));
    let mut req = Request::new(AuthEndpoint::Token, Method::Post).with_authorization(basic(&c));
    req.content_type = Some("application/json".into());
    req.body = br#"{"grant_type":"client_credentials"}"#.to_vec();
    assert_error(&h.call(req), 400, "invalid_request");
    // Parameters in the query of a token request are refused.
    let mut req = Request::new(AuthEndpoint::Token, Method::Post)
        .with_form(jans_core::params::Params::from_pairs([(
            "grant_type",
            "client_credentials",
        )]))
        .with_authorization(basic(&c));
    req.query = jans_core::params::Params::from_pairs([("client_secret", "x")]);
    assert_error(&h.call(req), 400, "invalid_request");
    // A disabled client cannot authenticate.
    let mut disabled = c.client.clone();
    disabled.disabled = true;
    jans_core::testing::block_on(h.stores.clients.update(&disabled)).unwrap();
    let r = h.token(&[("grant_type", "client_credentials")], ok);
    assert_error(&r, 401, "invalid_client");
    assert_eq!(h.count_grants(), 0, "no failed request stored anything");
}

#[test]
fn password_grant_when_enabled() {
    use jans_core::testing::block_on;
    let mut c = config();
    c.grant_types_supported.push("password".into());
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    h.add_user("alice");
    let c = h.register(serde_json::json!({"grant_types": ["password", "refresh_token"], "scope": "profile offline_access"}));
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "correct horse battery"),
            ("scope", "openid offline_access"),
        ],
        Some(basic(&c)),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(r.issued_grant, Some("password"));
    let body = json(&r);
    assert!(body["id_token"].as_str().is_some() && body["refresh_token"].as_str().is_some());
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    assert_eq!(
        h.introspect(&c, body["access_token"].as_str().unwrap())["sub"],
        alice.inum.as_str()
    );
    // Wrong passwords: invalid_grant; four, then one more that starts the delay, within
    // which even the right one is refused with the time to wait.
    for _ in 0..5 {
        let r = h.token(
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "nope nope"),
            ],
            Some(basic(&c)),
        );
        assert_error(&r, 400, "invalid_grant");
    }
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_grant");
    assert_eq!(header(&r, "retry-after").as_deref(), Some("2"));
    h.clock.advance(16);
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ],
        Some(basic(&c)),
    );
    assert_eq!(r.status(), 200);
    assert_error(
        &h.token(
            &[("grant_type", "password"), ("username", "alice")],
            Some(basic(&c)),
        ),
        400,
        "invalid_request",
    );
    // A client without the grant type may not use it.
    let other = h.register(serde_json::json!({}));
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ],
        Some(basic(&other)),
    );
    assert_error(&r, 400, "unauthorized_client");
}
