//! The authorization code flow through the engine and the interaction API.

use jans_core::auth::authn::interaction::LoginResult;
use jans_core::auth::authn::interaction::Stage;
use jans_core::jose::{Algorithm, jws, jwt};
use jans_core::params::Params;
use jans_core::repo::user::User;
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Body, Method, RegisteredClient, Request, Response};

use super::harness::*;

pub(crate) const CB: &str = "https://rp.example.com/cb";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub(crate) fn harness() -> Harness {
    harness_on(jans_core::repo::Stores::memory())
}

/// The harness over `stores`, with alice.
pub(crate) fn harness_on(stores: jans_core::repo::Stores) -> Harness {
    let h = Harness::with(config(), stores, [7; 32]);
    block_on(h.engine.add_user(
        User {
            uid: "alice".into(),
            mail: Some("alice@example.com".into()),
            given_name: Some("Alice".into()),
            ..User::default()
        },
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap();
    h
}

pub(crate) fn rp(h: &Harness, extra: serde_json::Value) -> RegisteredClient {
    let mut m = serde_json::json!({"redirect_uris": [CB], "scope": "profile email"});
    if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    h.register(m)
}

pub(crate) fn authorize(h: &Harness, params: &[(&str, &str)], cookie: Option<&str>) -> Response {
    let mut req = Request::new(AuthEndpoint::Authorize, Method::Get);
    req.query = Params::from_pairs(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    if let Some(c) = cookie {
        req.cookies = vec![("session_id".into(), c.into())];
    }
    h.call(req)
}

pub(crate) fn std_params(c: &RegisteredClient) -> Vec<(&str, &str)> {
    vec![
        ("response_type", "code"),
        ("client_id", c.client.client_id.as_str()),
        ("redirect_uri", CB),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

pub(crate) fn location(r: &Response) -> String {
    match &r.body {
        Body::Redirect(l) => l.clone(),
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn query(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_pairs(q)
}

fn form_pairs(q: &str) -> Vec<(String, String)> {
    let p = Params::parse(q.as_bytes()).unwrap();
    p.iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub(crate) fn q(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub(crate) fn cookie_of(r: &Response) -> String {
    let sc = header(r, "set-cookie").expect("set-cookie");
    assert!(
        sc.contains("HttpOnly") && sc.contains("SameSite=Lax") && sc.contains("Secure"),
        "{sc}"
    );
    sc.split(';')
        .next()
        .unwrap()
        .trim_start_matches("session_id=")
        .to_owned()
}

/// Sign in as `uid` (password "correct horse battery") at the login interaction `to`
/// points to; the response and the session cookie.
pub(crate) fn sign_in(h: &Harness, to: &str, uid: &str) -> (Response, String) {
    let id = q(to, "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.stage, Stage::Login);
    let done = block_on(h.engine.interaction_login(
        &id,
        &view.csrf,
        uid,
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap();
    let LoginResult::Done(r) = done else {
        panic!("login failed")
    };
    let cookie = cookie_of(&r);
    (r, cookie)
}

/// Log in through the interaction API and consent; returns (code redirect, cookie).
pub(crate) fn login_and_consent(h: &Harness, start: &Response) -> (String, String) {
    let to = location(start);
    assert!(
        to.starts_with("https://id.example.com/jans-auth/interaction?interaction="),
        "{to}"
    );
    let (r, cookie) = sign_in(h, &to, "alice");
    let to = location(&r);
    let Some(id2) = q(&to, "interaction") else {
        // Consent remembered from an earlier approval: straight back to the client.
        assert!(q(&to, "code").is_some(), "{to}");
        return (to, cookie);
    };
    let view2 = block_on(h.engine.interaction(&id2, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view2.stage, Stage::Consent);
    // What the standard parameters ask, then any scope a test adds.
    assert_eq!(view2.scopes[..2], ["openid", "profile"]);
    let r = block_on(
        h.engine
            .interaction_consent(&id2, &view2.csrf, true, true, &h.ctx()),
    )
    .unwrap();
    (location(&r), cookie)
}

pub(crate) fn redeem(h: &Harness, c: &RegisteredClient, code: &str, verifier: &str) -> Response {
    h.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", verifier),
        ],
        Some(basic(c)),
    )
}

#[test]
fn code_flow_with_pkce_login_consent_and_id_token() {
    let h = harness();
    let c = rp(&h, serde_json::json!({}));
    let (cb, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    assert!(cb.starts_with(CB));
    assert_eq!(q(&cb, "state").as_deref(), Some("st-1"));
    assert_eq!(q(&cb, "iss").as_deref(), Some(ISSUER), "RFC 9207");
    let code = q(&cb, "code").unwrap();
    let r = redeem(&h, &c, &code, VERIFIER);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(r.issued_grant, Some("authorization_code"));
    let body = json(&r);
    let at = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(body["scope"], "openid profile");
    let id_token = body["id_token"].as_str().unwrap();
    let u = jws::decode(id_token).unwrap();
    assert_eq!(u.header().alg, "ES256");
    let payload = u
        .verify_with_jwks(&h.jwks(), &[Algorithm::ES256], h.provider().as_ref())
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
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    assert_eq!(claims["sub"], alice.inum.as_str());
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["auth_time"], T0);
    assert_eq!(claims["acr"], "simple_password_auth");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert!(claims["sid"].as_str().is_some());
    assert_eq!(
        claims["at_hash"],
        jans_core::auth::oidc::id_token::half_hash(Algorithm::ES256, &at).as_str()
    );
    assert!(
        claims.get("given_name").is_none(),
        "scope claims go to userinfo when an access token is issued"
    );
    assert_eq!(h.introspect(&c, &at)["sub"], alice.inum.as_str());

    // A replayed code fails and revokes what the code issued.
    assert_error(&redeem(&h, &c, &code, VERIFIER), 400, "invalid_grant");
    assert_eq!(h.introspect(&c, &at)["active"], false);

    // With the session cookie and remembered consent, the next request needs no interaction.
    let r = authorize(&h, &std_params(&c), Some(&cookie));
    let cb = location(&r);
    assert!(cb.starts_with(CB), "{cb}");
    let code = q(&cb, "code").unwrap();
    assert_eq!(redeem(&h, &c, &code, VERIFIER).status(), 200);

    // prompt=login forces a new login even with a session; max_age too once it is exceeded.
    let mut p = std_params(&c);
    p.push(("prompt", "login"));
    assert!(location(&authorize(&h, &p, Some(&cookie))).contains("interaction="));
    h.clock.advance(100);
    let mut p = std_params(&c);
    p.push(("max_age", "50"));
    assert!(location(&authorize(&h, &p, Some(&cookie))).contains("interaction="));
    let mut p = std_params(&c);
    p.push(("max_age", "500"));
    assert!(location(&authorize(&h, &p, Some(&cookie))).starts_with(CB));
    let mut p = std_params(&c);
    p.push(("max_age", "0"));
    assert!(
        location(&authorize(&h, &p, Some(&cookie))).contains("interaction="),
        "max_age=0 is prompt=login"
    );
    // prompt=consent asks again.
    let mut p = std_params(&c);
    p.push(("prompt", "consent"));
    assert!(location(&authorize(&h, &p, Some(&cookie))).contains("interaction="));
    // prompt=none: fine with a session, login_required without one.
    let mut p = std_params(&c);
    p.push(("prompt", "none"));
    assert!(q(&location(&authorize(&h, &p, Some(&cookie))), "code").is_some());
    let cb = location(&authorize(&h, &p, None));
    assert_eq!(q(&cb, "error").as_deref(), Some("login_required"));
    assert_eq!(q(&cb, "state").as_deref(), Some("st-1"));
    // A trusted client is never asked for consent; a new one with prompt=none needs it.
    let other = rp(&h, serde_json::json!({}));
    let mut p = std_params(&other);
    p.push(("prompt", "none"));
    assert_eq!(
        q(&location(&authorize(&h, &p, Some(&cookie))), "error").as_deref(),
        Some("consent_required")
    );
    let trusted = rp(&h, serde_json::json!({"trusted_client": true}));
    assert!(
        q(
            &location(&authorize(&h, &std_params(&trusted), Some(&cookie))),
            "code"
        )
        .is_some()
    );
}

#[test]
fn authorization_errors_go_to_the_right_place() {
    let h = harness();
    let c = rp(&h, serde_json::json!({}));
    let id = c.client.client_id.as_str();
    // Until client and redirect URI are valid: an error response, never a redirect.
    for params in [
        vec![("response_type", "code"), ("redirect_uri", CB)],
        vec![
            ("response_type", "code"),
            ("client_id", "nope"),
            ("redirect_uri", CB),
        ],
        vec![("response_type", "code"), ("client_id", id)],
        vec![
            ("response_type", "code"),
            ("client_id", id),
            ("redirect_uri", "https://rp.example.com/cb/"),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", id),
            ("redirect_uri", "https://evil.example.com/cb"),
        ],
        vec![("client_id", id), ("client_id", id), ("redirect_uri", CB)],
    ] {
        let r = authorize(&h, &params, None);
        assert_error(&r, 400, "invalid_request");
    }
    // Afterwards: back to the client with the error and state.
    let base = |extra: &[(&'static str, &'static str)]| {
        let mut p: Vec<(&str, &str)> = vec![
            ("client_id", id),
            ("redirect_uri", CB),
            ("state", "s"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        p.extend_from_slice(extra);
        p
    };
    for (extra, error) in [
        (vec![], "invalid_request"),
        (
            vec![("response_type", "code bogus")],
            "unsupported_response_type",
        ),
        (
            vec![("response_type", "code"), ("scope", "openid admin")],
            "invalid_scope",
        ),
        (
            vec![("response_type", "code"), ("prompt", "none login")],
            "invalid_request",
        ),
        (
            vec![("response_type", "code"), ("prompt", "bogus")],
            "invalid_request",
        ),
        (
            vec![("response_type", "code"), ("max_age", "soon")],
            "invalid_request",
        ),
        (
            vec![("response_type", "code"), ("claims", "{")],
            "invalid_request",
        ),
        (
            vec![("response_type", "code"), ("request", "eyJ.x.y")],
            "invalid_request_object",
        ),
        (
            vec![("response_type", "code"), ("response_mode", "bogus")],
            "invalid_request",
        ),
    ] {
        let cb = location(&authorize(&h, &base(&extra), None));
        assert!(cb.starts_with(CB), "{cb}");
        assert_eq!(q(&cb, "error").as_deref(), Some(error), "{extra:?}");
        assert_eq!(q(&cb, "state").as_deref(), Some("s"));
    }
    // PKCE: required for public clients; plain refused by default.
    let public = rp(
        &h,
        serde_json::json!({"token_endpoint_auth_method": "none"}),
    );
    let p = vec![
        ("response_type", "code"),
        ("client_id", public.client.client_id.as_str()),
        ("redirect_uri", CB),
    ];
    assert_eq!(
        q(&location(&authorize(&h, &p, None)), "error").as_deref(),
        Some("invalid_request")
    );
    let mut p2 = p.clone();
    p2.extend([
        ("code_challenge", VERIFIER),
        ("code_challenge_method", "plain"),
    ]);
    assert_eq!(
        q(&location(&authorize(&h, &p2, None)), "error").as_deref(),
        Some("invalid_request")
    );
    // A client_credentials-only client cannot use the code flow.
    let cc = h.register(
        serde_json::json!({"redirect_uris": [CB], "grant_types": ["client_credentials"]}),
    );
    let p = vec![
        ("response_type", "code"),
        ("client_id", cc.client.client_id.as_str()),
        ("redirect_uri", CB),
    ];
    assert_eq!(
        q(&location(&authorize(&h, &p, None)), "error").as_deref(),
        Some("unauthorized_client")
    );
    assert_eq!(h.count_grants(), 0, "no error stored anything");
}

#[test]
fn token_endpoint_checks_on_codes() {
    let h = harness();
    let c = rp(&h, serde_json::json!({}));
    let other = rp(&h, serde_json::json!({}));
    let code_for = |h: &Harness| {
        let (cb, _) = login_and_consent(h, &authorize(h, &std_params(&c), None));
        q(&cb, "code").unwrap()
    };
    let code = code_for(&h);
    assert_error(
        &redeem(&h, &c, &code, &VERIFIER.replace('d', "e")),
        400,
        "invalid_grant",
    );
    let code = code_for(&h);
    let r = h.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example.com/other"),
            ("code_verifier", VERIFIER),
        ],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_grant");
    let code = code_for(&h);
    assert_error(&redeem(&h, &other, &code, VERIFIER), 400, "invalid_grant");
    let code = code_for(&h);
    let r = h.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_grant");
    let code = code_for(&h);
    h.clock.advance(61);
    assert_error(&redeem(&h, &c, &code, VERIFIER), 400, "invalid_grant");
    assert_error(&redeem(&h, &c, "made-up", VERIFIER), 400, "invalid_grant");
    let r = h.token(
        &[("grant_type", "authorization_code"), ("redirect_uri", CB)],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_request");
    // A public client redeems with PKCE and no secret.
    let public = rp(
        &h,
        serde_json::json!({"token_endpoint_auth_method": "none"}),
    );
    let mut p = std_params(&public);
    p.retain(|(k, _)| *k != "client_id");
    p.push(("client_id", public.client.client_id.as_str()));
    let (cb, _) = login_and_consent(&h, &authorize(&h, &p, None));
    let code = q(&cb, "code").unwrap();
    let r = h.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &public.client.client_id),
        ],
        None,
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
}

#[test]
fn interaction_protections() {
    let h = harness();
    let c = rp(&h, serde_json::json!({}));
    let to = location(&authorize(&h, &std_params(&c), None));
    let id = q(&to, "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    // Wrong CSRF token: refused, the interaction survives.
    assert!(
        block_on(h.engine.interaction_login(
            &id,
            "forged",
            "alice",
            "correct horse battery",
            &h.ctx()
        ))
        .is_err()
    );
    assert!(
        block_on(h.engine.interaction(&id, &h.ctx()))
            .unwrap()
            .is_some()
    );
    // Wrong passwords count down, then the request is abandoned with access_denied.
    for remaining in (1..5).rev() {
        match block_on(h.engine.interaction_login(
            &id,
            &view.csrf,
            "alice",
            "wrong password",
            &h.ctx(),
        ))
        .unwrap()
        {
            LoginResult::Retry { remaining: r } => assert_eq!(r, remaining),
            other => panic!("abandoned early: {other:?}"),
        }
    }
    let LoginResult::Done(r) =
        block_on(
            h.engine
                .interaction_login(&id, &view.csrf, "alice", "wrong password", &h.ctx()),
        )
        .unwrap()
    else {
        panic!("not abandoned")
    };
    assert_eq!(q(&location(&r), "error").as_deref(), Some("access_denied"));
    assert!(
        block_on(h.engine.interaction(&id, &h.ctx()))
            .unwrap()
            .is_none()
    );
    assert!(
        block_on(h.engine.interaction_login(
            &id,
            &view.csrf,
            "alice",
            "correct horse battery",
            &h.ctx()
        ))
        .is_err()
    );
    // Denying consent returns access_denied to the client (once the brute-force delay the
    // five failures started has passed).
    h.clock.advance(2);
    let to = location(&authorize(&h, &std_params(&c), None));
    let id = q(&to, "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let LoginResult::Done(r) = block_on(h.engine.interaction_login(
        &id,
        &view.csrf,
        "ALICE",
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap() else {
        panic!("login failed")
    };
    let id2 = q(&location(&r), "interaction").unwrap();
    let v2 = block_on(h.engine.interaction(&id2, &h.ctx()))
        .unwrap()
        .unwrap();
    let r = block_on(
        h.engine
            .interaction_consent(&id2, &v2.csrf, false, false, &h.ctx()),
    )
    .unwrap();
    assert_eq!(q(&location(&r), "error").as_deref(), Some("access_denied"));
    // Interactions expire.
    let to = location(&authorize(&h, &std_params(&c), None));
    let id = q(&to, "interaction").unwrap();
    h.clock.advance(901);
    assert!(
        block_on(h.engine.interaction(&id, &h.ctx()))
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_authorization_endpoint_is_off_unless_enabled() {
    let mut c = config();
    c.grant_types_supported = vec!["client_credentials".into()];
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let r = h.call(Request::new(AuthEndpoint::Authorize, Method::Get));
    assert_error(&r, 404, "not_found");
}

pub(crate) fn userinfo(
    h: &Harness,
    auth: Option<String>,
    form: Option<&[(&str, &str)]>,
) -> Response {
    let mut req = match form {
        Some(f) => Request::new(AuthEndpoint::Userinfo, Method::Post).with_form(
            Params::from_pairs(f.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
        ),
        None => Request::new(AuthEndpoint::Userinfo, Method::Get),
    };
    req.authorization = auth;
    h.call(req)
}

#[test]
fn userinfo_claims_by_scope_and_claims_parameter() {
    let h = harness();
    let c = rp(&h, serde_json::json!({}));
    let mut p = std_params(&c);
    p.push(("claims", r#"{"userinfo":{"email":null}}"#));
    let (cb, _) = login_and_consent(&h, &authorize(&h, &p, None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let at = tok["access_token"].as_str().unwrap();
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let r = userinfo(&h, Some(format!("Bearer {at}")), None);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let u = json(&r);
    assert_eq!(u["sub"], alice.inum.as_str());
    assert_eq!(u["given_name"], "Alice", "profile scope");
    assert_eq!(u["email"], "alice@example.com", "claims parameter");
    assert!(u.get("password_hash").is_none());
    // POST with the token in the form (RFC 6750 §2.2).
    let r = userinfo(&h, None, Some(&[("access_token", at)]));
    assert_eq!(json(&r)["sub"], alice.inum.as_str());
    // Errors per RFC 6750 §3.1.
    let r = userinfo(&h, None, None);
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(&r, "www-authenticate").as_deref(),
        Some("Bearer realm=\"jans-auth\"")
    );
    let r = userinfo(&h, Some("Bearer nope".into()), None);
    assert_error(&r, 401, "invalid_token");
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    let r = userinfo(
        &h,
        Some(format!("Bearer {at}")),
        Some(&[("access_token", at)]),
    );
    assert_error(&r, 400, "invalid_request");
    let cc = h.register(serde_json::json!({}));
    let cc_token = h.cc_token(&cc);
    assert_error(
        &userinfo(&h, Some(format!("Bearer {cc_token}")), None),
        403,
        "insufficient_scope",
    );
    // A disabled user's token no longer gives userinfo.
    block_on(h.engine.set_user_status(
        "alice",
        jans_core::repo::user::UserStatus::Inactive,
        &h.ctx(),
    ))
    .unwrap();
    assert_error(
        &userinfo(&h, Some(format!("Bearer {at}")), None),
        401,
        "invalid_token",
    );
}

/// Issue 13 item 8: the groups a user is a member of (managed through SCIM) are the `groups`
/// claim, in the ID token and from userinfo, when the claims parameter asks for it.
#[test]
fn groups_claim_when_asked() {
    use jans_core::repo::group::{Group, Member, MemberKind};
    let h = harness();
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    for (inum, name) in [("g1", "Tour Guides"), ("g2", "Staff")] {
        block_on(h.stores.groups.insert(&Group {
            inum: inum.into(),
            display_name: name.into(),
            members: vec![Member {
                value: alice.inum.clone(),
                kind: MemberKind::User,
            }],
            ..Default::default()
        }))
        .unwrap();
    }
    let c = rp(&h, serde_json::json!({}));
    // Not asked: not released.
    let (cb, _) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let id = verified_claims(&h, tok["id_token"].as_str().unwrap());
    assert!(id.get("groups").is_none());
    // Asked for both.
    let mut p = std_params(&c);
    p.push((
        "claims",
        r#"{"id_token":{"groups":null},"userinfo":{"groups":null}}"#,
    ));
    let (cb, _) = login_and_consent(&h, &authorize(&h, &p, None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let id = verified_claims(&h, tok["id_token"].as_str().unwrap());
    assert_eq!(id["groups"], serde_json::json!(["Tour Guides", "Staff"]));
    let at = tok["access_token"].as_str().unwrap();
    let u = json(&userinfo(&h, Some(format!("Bearer {at}")), None));
    assert_eq!(u["groups"], serde_json::json!(["Tour Guides", "Staff"]));
    // Discovery lists the claim.
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(
        d["claims_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "groups")
    );
}

/// Scopes are data: what the stored scopes say is what discovery lists and what a scope
/// releases. A custom `openid` scope releases its claims; a standard one changed in the
/// store releases what it now lists.
#[test]
fn claims_and_discovery_follow_the_stored_scopes() {
    use jans_core::repo::scope::{Scope, ScopeAttributes, ScopeType};
    let h = harness();
    let store = &h.engine.stores().scopes;
    let mut profile = h
        .engine
        .scopes()
        .iter()
        .find(|s| s.id == "profile")
        .unwrap()
        .clone();
    profile.claims.retain(|c| c != "given_name");
    block_on(store.update(&profile)).unwrap();
    block_on(store.insert(&Scope {
        id: "work".into(),
        inum: "W0RK".into(),
        description: Some("Your work address".into()),
        scope_type: ScopeType::Openid,
        claims: vec!["email".into()],
        default_scope: false,
        attributes: ScopeAttributes {
            show_in_configuration_endpoint: true,
        },
    }))
    .unwrap();
    // Loaded on the next tick (or start); nothing is seeded into a non-empty store.
    assert_eq!(block_on(h.engine.load_scopes()).unwrap(), 0);
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    let listed: Vec<&str> = d["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(listed.contains(&"work"), "{listed:?}");

    let c = rp(&h, serde_json::json!({"scope": "profile work"}));
    let mut p = std_params(&c);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid profile work"));
    let (cb, _) = login_and_consent(&h, &authorize(&h, &p, None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let at = tok["access_token"].as_str().unwrap();
    let u = json(&userinfo(&h, Some(format!("Bearer {at}")), None));
    assert_eq!(u["email"], "alice@example.com", "the custom scope's claim");
    assert!(
        u.get("given_name").is_none(),
        "no longer a claim of profile: {u}"
    );
}

#[test]
fn signed_userinfo() {
    let h = harness();
    let c = rp(
        &h,
        serde_json::json!({"userinfo_signed_response_alg": "EdDSA"}),
    );
    let (cb, _) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let r = userinfo(
        &h,
        Some(format!("Bearer {}", tok["access_token"].as_str().unwrap())),
        None,
    );
    assert_eq!(r.content_type(), Some("application/jwt"));
    let jwt_text = String::from_utf8(r.body_bytes()).unwrap();
    let payload = jws::decode(&jwt_text)
        .unwrap()
        .verify_with_jwks(&h.jwks(), &[Algorithm::EdDSA], h.provider().as_ref())
        .unwrap();
    let claims = jwt::parse_claims(&payload).unwrap();
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], c.client.client_id.as_str());
    assert_eq!(claims["given_name"], "Alice");
}

pub(crate) fn refresh(
    h: &Harness,
    c: &RegisteredClient,
    rt: &str,
    scope: Option<&str>,
) -> Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    h.token(&form, Some(basic(c)))
}

/// A client allowed refresh tokens (`offline_access`).
pub(crate) fn offline_rp(h: &Harness) -> RegisteredClient {
    rp(
        h,
        serde_json::json!({"scope": "profile email offline_access",
                           "grant_types": ["authorization_code", "refresh_token"]}),
    )
}

/// A code for `c` granting `openid profile offline_access` (alice signs in and consents).
pub(crate) fn offline_code(h: &Harness, c: &RegisteredClient) -> String {
    let mut p = std_params(c);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid profile offline_access"));
    let (cb, _) = login_and_consent_scopes(h, &authorize(h, &p, None));
    q(&cb, "code").unwrap()
}

#[test]
fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let h = harness();
    let c = rp(
        &h,
        serde_json::json!({"scope": "profile email offline_access",
                           "grant_types": ["authorization_code", "refresh_token"]}),
    );
    let mut p = std_params(&c);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid profile offline_access"));
    let (cb, _) = login_and_consent_scopes(&h, &authorize(&h, &p, None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let at1 = tok["access_token"].as_str().unwrap().to_owned();
    let rt1 = tok["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(h.introspect(&c, &rt1)["token_type"], "refresh_token");
    // Rotation: a new pair; narrowing the scope is allowed, widening is not.
    let r = refresh(&h, &c, &rt1, Some("openid"));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(r.issued_grant, Some("refresh_token"));
    let t2 = json(&r);
    assert_eq!(t2["scope"], "openid");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    let at2 = t2["access_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(
        h.introspect(&c, &rt1)["active"],
        false,
        "the old refresh token is spent"
    );
    assert_error(
        &refresh(&h, &c, &rt2, Some("openid email")),
        400,
        "invalid_scope",
    );
    // A refused scope leaves the refresh token usable.
    let t3 = json(&refresh(&h, &c, &rt2, None));
    assert_eq!(
        t3["scope"], "openid profile offline_access",
        "the grant's scope is kept"
    );
    let rt3 = t3["refresh_token"].as_str().unwrap().to_owned();
    // Reuse of a rotated token revokes everything issued in this grant.
    assert_error(&refresh(&h, &c, &rt1, None), 400, "invalid_grant");
    for t in [&at1, &at2, &rt3] {
        assert_eq!(h.introspect(&c, t)["active"], false, "family revoked");
    }
    // Another client cannot use someone's refresh token.
    let (cb, _) = login_and_consent_scopes(&h, &authorize(&h, &p, None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let rt = tok["refresh_token"].as_str().unwrap().to_owned();
    let other = rp(
        &h,
        serde_json::json!({"grant_types": ["authorization_code", "refresh_token"]}),
    );
    assert_error(&refresh(&h, &other, &rt, None), 400, "invalid_grant");
    assert_eq!(h.introspect(&c, &rt)["active"], false);
    // Expiry: refreshTokenLifetime.
    let (cb, _) = login_and_consent_scopes(&h, &authorize(&h, &p, None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    h.clock.advance(14_400);
    assert_error(
        &refresh(&h, &c, tok["refresh_token"].as_str().unwrap(), None),
        400,
        "invalid_grant",
    );
}

#[test]
fn no_refresh_token_without_offline_access_or_the_grant_type() {
    let h = harness();
    let c = rp(
        &h,
        serde_json::json!({"grant_types": ["authorization_code", "refresh_token"]}),
    );
    let (cb, _) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    assert!(
        tok.get("refresh_token").is_none(),
        "offline_access was not granted"
    );
    let plain = rp(&h, serde_json::json!({"scope": "profile offline_access"}));
    let mut p = std_params(&plain);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid offline_access"));
    let (cb, _) = login_and_consent_scopes(&h, &authorize(&h, &p, None));
    let tok = json(&redeem(&h, &plain, &q(&cb, "code").unwrap(), VERIFIER));
    assert!(
        tok.get("refresh_token").is_none(),
        "the client did not register refresh_token"
    );
    assert_error(
        &refresh(&h, &plain, "anything", None),
        400,
        "unauthorized_client",
    );
}

/// Like `login_and_consent`, for requests whose scopes differ from the default.
pub(crate) fn login_and_consent_scopes(h: &Harness, start: &Response) -> (String, String) {
    let to = location(start);
    let id = q(&to, "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let LoginResult::Done(r) = block_on(h.engine.interaction_login(
        &id,
        &view.csrf,
        "alice",
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap() else {
        panic!("login failed")
    };
    let cookie = cookie_of(&r);
    let to = location(&r);
    let Some(id2) = q(&to, "interaction") else {
        return (to, cookie);
    };
    let v = block_on(h.engine.interaction(&id2, &h.ctx()))
        .unwrap()
        .unwrap();
    let r = block_on(
        h.engine
            .interaction_consent(&id2, &v.csrf, true, true, &h.ctx()),
    )
    .unwrap();
    (location(&r), cookie)
}

const AFTER_LOGOUT: &str = "https://rp.example.com/bye";

fn end_session(h: &Harness, params: &[(&str, &str)], cookie: Option<&str>) -> Response {
    let mut req = Request::new(AuthEndpoint::EndSession, Method::Get);
    req.query = Params::from_pairs(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    if let Some(c) = cookie {
        req.cookies = vec![("session_id".into(), c.into())];
    }
    h.call(req)
}

#[test]
fn rp_initiated_logout() {
    let h = harness();
    let c = rp(
        &h,
        serde_json::json!({"post_logout_redirect_uris": [AFTER_LOGOUT]}),
    );
    let (cb, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let id_token = tok["id_token"].as_str().unwrap().to_owned();
    // Refusals: an unregistered target, a forged hint, a client_id that contradicts it.
    assert_error(
        &end_session(
            &h,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", "https://evil.example/"),
            ],
            Some(&cookie),
        ),
        400,
        "invalid_request",
    );
    assert_error(
        &end_session(&h, &[("id_token_hint", "a.b.c")], Some(&cookie)),
        400,
        "invalid_request",
    );
    assert_error(
        &end_session(
            &h,
            &[("id_token_hint", &id_token), ("client_id", "other")],
            Some(&cookie),
        ),
        400,
        "invalid_request",
    );
    let mut p = std_params(&c);
    p.push(("prompt", "none"));
    assert!(
        q(&location(&authorize(&h, &p, Some(&cookie))), "code").is_some(),
        "still logged in"
    );
    // With a valid hint (even once expired) the session ends at once.
    h.clock.advance(7200);
    let r = end_session(
        &h,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
            ("state", "bye-1"),
        ],
        Some(&cookie),
    );
    assert_eq!(location(&r), format!("{AFTER_LOGOUT}?state=bye-1"));
    assert!(header(&r, "set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        q(&location(&authorize(&h, &p, Some(&cookie))), "error").as_deref(),
        Some("login_required")
    );

    // Without a hint the user confirms on a page first.
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let r = end_session(
        &h,
        &[
            ("client_id", &c.client.client_id),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
        Some(&cookie),
    );
    let to = location(&r);
    assert!(
        to.starts_with("https://id.example.com/jans-auth/logout?logout="),
        "{to}"
    );
    let id = q(&to, "logout").unwrap();
    let pending = block_on(h.engine.logout_request(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert!(
        block_on(
            h.engine
                .confirm_logout(&id, "forged", true, Some(&cookie), &h.ctx())
        )
        .is_err()
    );
    assert!(
        q(&location(&authorize(&h, &p, Some(&cookie))), "code").is_some(),
        "not yet"
    );
    let r = block_on(
        h.engine
            .confirm_logout(&id, &pending.csrf, true, Some(&cookie), &h.ctx()),
    )
    .unwrap();
    assert_eq!(location(&r), AFTER_LOGOUT);
    assert_eq!(
        q(&location(&authorize(&h, &p, Some(&cookie))), "error").as_deref(),
        Some("login_required")
    );
    assert!(
        block_on(
            h.engine
                .confirm_logout(&id, &pending.csrf, true, Some(&cookie), &h.ctx())
        )
        .is_err(),
        "single use"
    );
    // No target: the OP's own signed-out page.
    let r = end_session(&h, &[], None);
    let id = q(&location(&r), "logout").unwrap();
    let pending = block_on(h.engine.logout_request(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let r = block_on(
        h.engine
            .confirm_logout(&id, &pending.csrf, true, None, &h.ctx()),
    )
    .unwrap();
    assert_eq!(
        location(&r),
        "https://id.example.com/jans-auth/logout?done=1"
    );
}

#[test]
fn pairwise_subjects() {
    let h = harness();
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let sub_of = |c: &RegisteredClient| {
        let (cb, _) = login_and_consent(&h, &authorize(&h, &std_params(c), None));
        let tok = json(&redeem(&h, c, &q(&cb, "code").unwrap(), VERIFIER));
        let payload = jws::decode(tok["id_token"].as_str().unwrap())
            .unwrap()
            .verify_with_jwks(&h.jwks(), &[Algorithm::ES256], h.provider().as_ref())
            .unwrap();
        let id_sub = jwt::parse_claims(&payload).unwrap()["sub"]
            .as_str()
            .unwrap()
            .to_owned();
        let at = tok["access_token"].as_str().unwrap();
        let info = json(&userinfo(&h, Some(format!("Bearer {at}")), None));
        assert_eq!(info["sub"], id_sub.as_str(), "userinfo and ID token agree");
        id_sub
    };
    let public = rp(&h, serde_json::json!({}));
    let p1 = rp(&h, serde_json::json!({"subject_type": "pairwise"}));
    let p2 = rp(&h, serde_json::json!({"subject_type": "pairwise"}));
    let other = h.register(serde_json::json!({
        "redirect_uris": ["https://other.example.org/cb"], "scope": "profile", "subject_type": "pairwise"
    }));
    assert_eq!(sub_of(&public), alice.inum);
    let s1 = sub_of(&p1);
    assert_ne!(s1, alice.inum, "pairwise hides the inum");
    assert_eq!(
        s1,
        sub_of(&p2),
        "same sector, same subject (shareSubjectIdBetweenClientsWithSameSectorId)"
    );
    let mut p = std_params(&other);
    p.retain(|(k, _)| *k != "redirect_uri");
    p.push(("redirect_uri", "https://other.example.org/cb"));
    let (cb, _) = login_and_consent(&h, &authorize(&h, &p, None));
    let code = q(&cb, "code").unwrap();
    let tok = json(&h.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://other.example.org/cb"),
            ("code_verifier", VERIFIER),
        ],
        Some(basic(&other)),
    ));
    let payload = jws::decode(tok["id_token"].as_str().unwrap())
        .unwrap()
        .verify_with_jwks(&h.jwks(), &[Algorithm::ES256], h.provider().as_ref())
        .unwrap();
    assert_ne!(
        jwt::parse_claims(&payload).unwrap()["sub"]
            .as_str()
            .unwrap(),
        s1,
        "another sector, another subject"
    );
    // Several redirect hosts without a sector_identifier_uri cannot be pairwise.
    let bad = jans_core::repo::client::ClientMetadata::from_json(serde_json::json!({
        "redirect_uris": ["https://a.example/cb", "https://b.example/cb"], "subject_type": "pairwise"
    }))
    .unwrap();
    assert!(block_on(h.engine.register_client(bad, &h.ctx())).is_err());
}

pub(crate) fn fragment(url: &str, name: &str) -> Option<String> {
    let f = url.split_once('#').map(|(_, f)| f)?;
    form_pairs(f)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn verified_claims(h: &Harness, id_token: &str) -> serde_json::Map<String, serde_json::Value> {
    let payload = jws::decode(id_token)
        .unwrap()
        .verify_with_jwks(&h.jwks(), &[Algorithm::ES256], h.provider().as_ref())
        .unwrap();
    jwt::parse_claims(&payload).unwrap()
}

pub(crate) fn with_type<'a>(
    c: &'a RegisteredClient,
    rt: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut p = std_params(c);
    p.retain(|(k, _)| *k != "response_type");
    p.push(("response_type", rt));
    p.extend_from_slice(extra);
    p
}

#[test]
fn hybrid_implicit_and_form_post() {
    let h = harness();
    let c = rp(
        &h,
        serde_json::json!({
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["code", "code id_token", "id_token token", "id_token", "code token id_token"]
        }),
    );
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    // Hybrid: code and ID token in the fragment; c_hash binds them.
    let to = location(&authorize(
        &h,
        &with_type(&c, "code id_token", &[]),
        Some(&cookie),
    ));
    assert!(to.starts_with(&format!("{CB}#")), "{to}");
    let code = fragment(&to, "code").unwrap();
    let claims = verified_claims(&h, &fragment(&to, "id_token").unwrap());
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(
        claims["c_hash"],
        jans_core::auth::oidc::id_token::half_hash(Algorithm::ES256, &code).as_str()
    );
    assert_eq!(fragment(&to, "state").as_deref(), Some("st-1"));
    assert_eq!(
        redeem(&h, &c, &code, VERIFIER).status(),
        200,
        "the hybrid code redeems"
    );
    // Implicit: access token and ID token; at_hash binds them; the token works at userinfo.
    let to = location(&authorize(
        &h,
        &with_type(&c, "id_token token", &[]),
        Some(&cookie),
    ));
    let at = fragment(&to, "access_token").unwrap();
    assert_eq!(fragment(&to, "token_type").as_deref(), Some("Bearer"));
    let claims = verified_claims(&h, &fragment(&to, "id_token").unwrap());
    assert_eq!(
        claims["at_hash"],
        jans_core::auth::oidc::id_token::half_hash(Algorithm::ES256, &at).as_str()
    );
    assert_eq!(
        userinfo(&h, Some(format!("Bearer {at}")), None).status(),
        200
    );
    // id_token alone: no access token, so the profile claims ride in the ID token.
    let to = location(&authorize(
        &h,
        &with_type(&c, "id_token", &[]),
        Some(&cookie),
    ));
    assert!(fragment(&to, "access_token").is_none());
    assert_eq!(
        verified_claims(&h, &fragment(&to, "id_token").unwrap())["given_name"],
        "Alice"
    );
    // All three, as a form post.
    let r = authorize(
        &h,
        &with_type(&c, "code token id_token", &[("response_mode", "form_post")]),
        Some(&cookie),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_type(), Some("text/html; charset=utf-8"));
    let jans_core::Body::FormPost { action, params } = &r.body else {
        panic!("expected a form post, got {:?}", r.body)
    };
    assert_eq!(action, CB);
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    for n in ["code", "access_token", "id_token", "state", "iss"] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let html = String::from_utf8(r.body_bytes()).unwrap();
    assert!(
        html.contains(&format!("action=\"{CB}\"")) && html.contains("document.forms[0].submit()")
    );
    // Errors follow the response mode; tokens never travel in a query.
    let to = location(&authorize(
        &h,
        &with_type(&c, "id_token", &[("response_mode", "query")]),
        Some(&cookie),
    ));
    assert_eq!(
        fragment(&to, "error").as_deref(),
        Some("invalid_request"),
        "the error itself is not sent in a query either: {to}"
    );
    let mut no_nonce = with_type(&c, "id_token token", &[]);
    no_nonce.retain(|(k, _)| *k != "nonce");
    let to = location(&authorize(&h, &no_nonce, Some(&cookie)));
    assert_eq!(
        fragment(&to, "error").as_deref(),
        Some("invalid_request"),
        "{to}"
    );
    let to = location(&authorize(
        &h,
        &with_type(&c, "code token", &[]),
        Some(&cookie),
    ));
    assert_eq!(
        fragment(&to, "error").as_deref(),
        Some("unauthorized_client"),
        "not registered: {to}"
    );
    // A code-only client may not use implicit.
    let plain = rp(&h, serde_json::json!({}));
    let to = location(&authorize(
        &h,
        &with_type(&plain, "id_token", &[]),
        Some(&cookie),
    ));
    assert_eq!(
        fragment(&to, "error").as_deref(),
        Some("unauthorized_client")
    );
}

#[test]
fn back_channel_logout_tells_every_client_of_the_session() {
    let h = harness();
    let bcl = "https://rp.example.com/backchannel";
    let c = rp(
        &h,
        serde_json::json!({"backchannel_logout_uri": bcl, "post_logout_redirect_uris": [AFTER_LOGOUT]}),
    );
    let quiet = rp(&h, serde_json::json!({}));
    let failing = rp(
        &h,
        serde_json::json!({"backchannel_logout_uri": "https://down.example.com/bcl"}),
    );
    // A client that refuses the token: §2.8, a 4xx answer is final.
    let refusing = rp(
        &h,
        serde_json::json!({"backchannel_logout_uri": "https://refuses.example.com/bcl"}),
    );
    for (uri, status) in [
        ("https://down.example.com/bcl", 503),
        ("https://refuses.example.com/bcl", 400),
    ] {
        h.http
            .post_status
            .lock()
            .unwrap()
            .insert(uri.into(), status);
    }
    let (cb, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let sid = verified_claims(&h, tok["id_token"].as_str().unwrap())["sid"].clone();
    // Three more clients join the same browser session.
    for other in [&quiet, &failing, &refusing] {
        let (cb, _) = login_and_consent_with_cookie(&h, other, &cookie);
        assert!(q(&cb, "code").is_some());
    }
    let r = end_session(
        &h,
        &[
            ("id_token_hint", tok["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
        Some(&cookie),
    );
    assert_eq!(location(&r), AFTER_LOGOUT);
    // Nothing is sent inside the user's request: the deliveries are queued.
    assert!(
        h.http.posts.lock().unwrap().is_empty(),
        "no client is called while the user waits"
    );
    // The host's background pass sends them; the failing client is retried with backoff.
    let report = block_on(h.engine.deliver_logouts(&h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!((report.sent, report.retrying, report.dropped), (1, 1, 1));
    assert_eq!(report.next_due, Some(h.clock.now() + 1));
    let down = |h: &Harness| {
        h.http
            .posts
            .lock()
            .unwrap()
            .iter()
            .filter(|(u, _)| u.contains("down.example.com"))
            .count()
    };
    // Not due yet: nothing sent.
    let report = block_on(h.engine.deliver_logouts(&h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!((report.sent, report.retrying), (0, 0));
    assert_eq!(down(&h), 1);
    // Each retry waits twice as long (1, 2, 4, ... s) until the last attempt.
    let mut attempts = 1;
    loop {
        let due = block_on(h.engine.deliver_logouts(&h.ctx()))
            .unwrap()
            .unwrap()
            .next_due;
        let Some(due) = due else { break };
        h.clock.advance(due - h.clock.now());
        let report = block_on(h.engine.deliver_logouts(&h.ctx()))
            .unwrap()
            .unwrap();
        attempts += 1;
        if report.dropped == 1 {
            break;
        }
        assert_eq!(report.retrying, 1);
    }
    assert_eq!(
        attempts,
        jans_core::auth::oidc::backchannel::MAX_ATTEMPTS as usize
    );
    assert_eq!(down(&h), attempts, "bounded retries");
    assert_eq!(
        h.http
            .posts
            .lock()
            .unwrap()
            .iter()
            .filter(|(u, _)| u.contains("refuses.example.com"))
            .count(),
        1,
        "a 4xx is not retried"
    );
    assert_eq!(
        block_on(h.engine.deliver_logouts(&h.ctx())).unwrap(),
        Some(Default::default()),
        "nothing left to deliver"
    );
    let posts = h.http.posts.lock().unwrap().clone();
    let to_rp: Vec<_> = posts.iter().filter(|(u, _)| u == bcl).collect();
    assert_eq!(to_rp.len(), 1, "one logout token for the RP");
    let body = &to_rp[0].1;
    let token = form_pairs(body)
        .into_iter()
        .find(|(k, _)| k == "logout_token")
        .unwrap()
        .1;
    let u = jws::decode(&token).unwrap();
    assert_eq!(u.header().typ.as_deref(), Some("logout+jwt"));
    let claims = verified_claims(&h, &token);
    assert_eq!(claims["aud"], c.client.client_id.as_str());
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sid"], sid);
    assert!(
        claims.get("nonce").is_none(),
        "OIDC Back-Channel Logout §2.4: no nonce"
    );
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims["jti"].as_str().is_some());
}

/// A consented request by `client` in the browser holding `cookie`.
fn login_and_consent_with_cookie(
    h: &Harness,
    client: &RegisteredClient,
    cookie: &str,
) -> (String, String) {
    let r = authorize(h, &std_params(client), Some(cookie));
    let to = location(&r);
    let Some(id) = q(&to, "interaction") else {
        return (to, cookie.to_owned());
    };
    let v = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(v.stage, Stage::Consent);
    let r = block_on(
        h.engine
            .interaction_consent(&id, &v.csrf, true, false, &h.ctx()),
    )
    .unwrap();
    (location(&r), cookie.to_owned())
}

#[test]
fn front_channel_logout_page() {
    let h = harness();
    let fcl = "https://rp.example.com/fcl";
    let c = rp(
        &h,
        serde_json::json!({"frontchannel_logout_uri": fcl, "post_logout_redirect_uris": [AFTER_LOGOUT]}),
    );
    let (cb, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let id_token = tok["id_token"].as_str().unwrap();
    let sid = verified_claims(&h, id_token)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = end_session(
        &h,
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
            ("state", "x"),
        ],
        Some(&cookie),
    );
    assert_eq!(r.status(), 200);
    let jans_core::Body::LogoutPage { iframes, next } = &r.body else {
        panic!("expected the front-channel page, got {:?}", r.body)
    };
    assert_eq!(next, &format!("{AFTER_LOGOUT}?state=x"));
    assert_eq!(iframes.len(), 1);
    assert!(iframes[0].starts_with(&format!("{fcl}?")));
    assert_eq!(q(&iframes[0], "iss").as_deref(), Some(ISSUER));
    assert_eq!(q(&iframes[0], "sid").as_deref(), Some(sid.as_str()));
    let html = String::from_utf8(r.body_bytes()).unwrap();
    assert!(html.contains("<iframe src=\"https://rp.example.com/fcl?iss="));
    assert!(html.contains("http-equiv=\"refresh\""));
    assert!(header(&r, "set-cookie").unwrap().contains("Max-Age=0"));
}

#[test]
fn session_lifetimes() {
    let mut c = config();
    c.session_id_lifetime = 10_000;
    c.session_id_unused_lifetime = 1_000;
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    block_on(h.engine.add_user(
        User {
            uid: "alice".into(),
            given_name: Some("Alice".into()),
            ..User::default()
        },
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap();
    let client = rp(&h, serde_json::json!({"trusted_client": true}));
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&client), None));
    let mut p = std_params(&client);
    p.push(("prompt", "none"));
    // Used every 900 s, the session outlives sessionIdUnusedLifetime...
    for _ in 0..5 {
        h.clock.advance(900);
        assert!(q(&location(&authorize(&h, &p, Some(&cookie))), "code").is_some());
    }
    // ...but not sessionIdLifetime from its creation.
    for _ in 0..6 {
        h.clock.advance(900);
        let _ = authorize(&h, &p, Some(&cookie));
    }
    h.clock.advance(200); // 10,100 s after the login
    assert_eq!(
        q(&location(&authorize(&h, &p, Some(&cookie))), "error").as_deref(),
        Some("login_required")
    );
    // Unused for longer than sessionIdUnusedLifetime, a new session ends.
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&client), None));
    h.clock.advance(1_001);
    assert_eq!(
        q(&location(&authorize(&h, &p, Some(&cookie))), "error").as_deref(),
        Some("login_required")
    );
}

#[test]
fn select_account_among_the_browsers_sessions() {
    let h = harness();
    block_on(h.engine.add_user(
        User {
            uid: "bob".into(),
            given_name: Some("Bob".into()),
            ..User::default()
        },
        "bob's long password",
        &h.ctx(),
    ))
    .unwrap();
    let c = rp(&h, serde_json::json!({"trusted_client": true}));
    // Alice signs in, then Bob in the same browser.
    let (_, alice_cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let mut p = std_params(&c);
    p.push(("prompt", "login"));
    let to = location(&authorize(&h, &p, Some(&alice_cookie)));
    let id = q(&to, "interaction").unwrap();
    let v = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let LoginResult::Done(r) =
        block_on(
            h.engine
                .interaction_login(&id, &v.csrf, "bob", "bob's long password", &h.ctx()),
        )
        .unwrap()
    else {
        panic!("bob's login failed")
    };
    let bob_cookie = cookie_of(&r);
    let sessions = vec![alice_cookie.clone(), bob_cookie.clone(), "stale".to_owned()];
    let accounts = block_on(h.engine.accounts(&sessions, &h.ctx())).unwrap();
    let names: Vec<(usize, &str)> = accounts.iter().map(|a| (a.index, a.uid.as_str())).collect();
    assert_eq!(names, vec![(0, "alice"), (1, "bob")], "live sessions only");
    // prompt=select_account always asks, even with a current session.
    let mut p = std_params(&c);
    p.push(("prompt", "select_account"));
    let to = location(&authorize(&h, &p, Some(&bob_cookie)));
    let id = q(&to, "interaction").unwrap();
    let v = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(v.stage, Stage::SelectAccount);
    assert!(
        block_on(
            h.engine
                .interaction_select(&id, "forged", Some(&alice_cookie), &h.ctx())
        )
        .is_err()
    );
    let r = block_on(
        h.engine
            .interaction_select(&id, &v.csrf, Some(&alice_cookie), &h.ctx()),
    )
    .unwrap();
    assert!(
        header(&r, "set-cookie")
            .unwrap()
            .starts_with(&format!("session_id={alice_cookie}"))
    );
    let code = q(&location(&r), "code").unwrap();
    let tok = json(&redeem(&h, &c, &code, VERIFIER));
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    assert_eq!(
        verified_claims(&h, tok["id_token"].as_str().unwrap())["sub"],
        alice.inum.as_str()
    );
    // "Use another account" continues the same request with a login.
    let to = location(&authorize(&h, &p, Some(&bob_cookie)));
    let id = q(&to, "interaction").unwrap();
    let v = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let r = block_on(h.engine.interaction_select(&id, &v.csrf, None, &h.ctx())).unwrap();
    let id2 = q(&location(&r), "interaction").unwrap();
    assert_eq!(
        block_on(h.engine.interaction(&id2, &h.ctx()))
            .unwrap()
            .unwrap()
            .stage,
        Stage::Login
    );
}

#[test]
fn session_state_in_authorization_responses() {
    let h = harness();
    let c = rp(&h, serde_json::json!({"trusted_client": true}));
    let to = location(&authorize(&h, &std_params(&c), None));
    let id = q(&to, "interaction").unwrap();
    let v = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let LoginResult::Done(r) = block_on(h.engine.interaction_login(
        &id,
        &v.csrf,
        "alice",
        "correct horse battery",
        &h.ctx(),
    ))
    .unwrap() else {
        panic!("login failed")
    };
    let opbs = r
        .all_headers()
        .into_iter()
        .filter(|(n, _)| *n == "set-cookie")
        .find_map(|(_, v)| {
            v.strip_prefix("opbs=")
                .map(|v| v.split(';').next().unwrap().to_owned())
        })
        .expect("opbs cookie");
    let cb = location(&r);
    let state = q(&cb, "session_state").unwrap();
    let (_, salt) = state.split_once('.').unwrap();
    assert_eq!(
        state,
        jans_core::auth::oidc::session_management::session_state(
            &c.client.client_id,
            "https://rp.example.com",
            &opbs,
            salt
        )
    );
    // Logout clears the browser state the iframe reads.
    let cookie = cookie_of(&r);
    let r = end_session(&h, &[("client_id", &c.client.client_id)], Some(&cookie));
    let id = q(&location(&r), "logout").unwrap();
    let pending = block_on(h.engine.logout_request(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let r = block_on(
        h.engine
            .confirm_logout(&id, &pending.csrf, true, Some(&cookie), &h.ctx()),
    )
    .unwrap();
    assert!(
        r.all_headers()
            .iter()
            .any(|(n, v)| *n == "set-cookie" && v.starts_with("opbs=;"))
    );
}

#[test]
fn id_token_hint_at_the_authorization_endpoint() {
    let h = harness();
    block_on(h.engine.add_user(
        User {
            uid: "bob".into(),
            ..User::default()
        },
        "bob's long password",
        &h.ctx(),
    ))
    .unwrap();
    let c = rp(&h, serde_json::json!({"trusted_client": true}));
    // Alice signs in; her ID token is the hint.
    let (cb, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let alice_hint = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER))["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut p = std_params(&c);
    p.push(("prompt", "none"));
    p.push(("id_token_hint", &alice_hint));
    // Her own session satisfies the hint, even after the ID token expired.
    h.clock.advance(7200);
    assert!(q(&location(&authorize(&h, &p, Some(&cookie))), "code").is_some());
    // Bob's session does not: prompt=none gets login_required.
    let mut lp = std_params(&c);
    lp.push(("prompt", "login"));
    let to = location(&authorize(&h, &lp, Some(&cookie)));
    let id = q(&to, "interaction").unwrap();
    let v = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let LoginResult::Done(r) =
        block_on(
            h.engine
                .interaction_login(&id, &v.csrf, "bob", "bob's long password", &h.ctx()),
        )
        .unwrap()
    else {
        panic!("bob's login failed")
    };
    let bob_cookie = cookie_of(&r);
    assert_eq!(
        q(&location(&authorize(&h, &p, Some(&bob_cookie))), "error").as_deref(),
        Some("login_required")
    );
    // A forged or foreign hint is refused.
    let mut bad = std_params(&c);
    bad.push(("id_token_hint", "a.b.c"));
    assert_eq!(
        q(&location(&authorize(&h, &bad, Some(&cookie))), "error").as_deref(),
        Some("invalid_request")
    );
    let other = rp(&h, serde_json::json!({}));
    let mut foreign = std_params(&other);
    foreign.push(("id_token_hint", &alice_hint));
    assert_eq!(
        q(&location(&authorize(&h, &foreign, Some(&cookie))), "error").as_deref(),
        Some("invalid_request")
    );
    // At the logout endpoint alice's ID token does not end bob's session at once (found by
    // a review): he is asked, and stays signed in until he says so.
    let r = end_session(&h, &[("id_token_hint", &alice_hint)], Some(&bob_cookie));
    assert!(
        location(&r).contains("/jans-auth/logout?logout="),
        "{:?}",
        r.body
    );
    assert!(header(&r, "set-cookie").is_none_or(|c| !c.contains("Max-Age=0")));
    let mut bp = std_params(&c);
    bp.push(("prompt", "none"));
    assert!(
        q(&location(&authorize(&h, &bp, Some(&bob_cookie))), "code").is_some(),
        "bob is still signed in"
    );
}

#[test]
fn local_verification_of_id_tokens() {
    use jans_core::auth::oauth::verify::{TokenKind, VerifyError};
    let h = harness();
    let c = rp(
        &h,
        serde_json::json!({"userinfo_signed_response_alg": "ES256"}),
    );
    let (cb, _) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let id_token = tok["id_token"].as_str().unwrap();
    let v = h
        .engine
        .verify_token(id_token, Some(&c.client.client_id), T0)
        .unwrap();
    assert_eq!(v.kind, TokenKind::IdToken);
    assert_eq!(v.claims["nonce"], "n-1");
    assert_eq!(
        h.engine.verify_token(id_token, Some("other"), T0),
        Err(VerifyError::Claim("aud"))
    );
    // OIDC Core §3.1.3.7: an expired ID token fails (after the 60 s skew).
    assert_eq!(
        h.engine.verify_token(id_token, None, T0 + 3600 + 60),
        Err(VerifyError::Claim("exp"))
    );
    assert!(
        h.engine
            .verify_token(id_token, None, T0 + 3600 + 59)
            .is_ok()
    );
    // A signed userinfo response has typ JWT but no exp: not a bearer credential.
    let r = userinfo(
        &h,
        Some(format!("Bearer {}", tok["access_token"].as_str().unwrap())),
        None,
    );
    let signed = String::from_utf8(r.body_bytes()).unwrap();
    assert_eq!(
        h.engine.verify_token(&signed, None, T0),
        Err(VerifyError::Claim("exp"))
    );
}
