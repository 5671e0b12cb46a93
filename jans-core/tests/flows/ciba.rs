//! CIBA (OpenID CIBA Core 1.0; issue 16 item 8) through the engine: requests at
//! `/bc-authorize` naming the person by `login_hint` (username or email), `id_token_hint` or
//! a signed `login_hint_token`; the person's answer through the device API and through the
//! approval page (sign-in, CSRF, only their own requests); poll (`authorization_pending`,
//! `slow_down`, `access_denied`, `expired_token`, single use raced on every backend), ping
//! and push through the delivery queue (the pushed ID token's `auth_req_id` and `rt_hash`);
//! signed requests (§7.1.1, each accepted once, raced on every backend); and the refusals,
//! storing nothing.

use jans_core::params::Params;
use jans_core::store::GrantKind;
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Body, Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::authorize::{harness, harness_on, location, q, sign_in};
use super::harness::*;

const GRANT: &str = "urn:openid:params:grant-type:ciba";
const NOTIFY: &str = "https://rp.example.com/ciba-notify";

fn ciba_client(h: &Harness, mode: &str) -> RegisteredClient {
    let mut m = json!({"grant_types": [GRANT], "scope": "openid profile",
                       "backchannel_token_delivery_mode": mode, "client_name": "Bank"});
    if mode != "poll" {
        m["backchannel_client_notification_endpoint"] = NOTIFY.into();
    }
    h.register(m)
}

fn ask(h: &Harness, c: &RegisteredClient, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![("scope", "openid profile")];
    form.extend_from_slice(extra);
    h.post(
        AuthEndpoint::BackchannelAuthentication,
        &form,
        Some(basic(c)),
    )
}

fn started(h: &Harness, c: &RegisteredClient, extra: &[(&str, &str)]) -> String {
    let r = ask(h, c, extra);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)["auth_req_id"].as_str().unwrap().to_owned()
}

fn poll(h: &Harness, c: &RegisteredClient, id: &str) -> Response {
    h.token(
        &[("grant_type", GRANT), ("auth_req_id", id)],
        Some(basic(c)),
    )
}

fn pending_refs(h: &Harness, uid: &str) -> Vec<jans_core::auth::oauth::ciba::Pending> {
    block_on(h.engine.ciba_pending(uid, &h.ctx())).unwrap()
}

fn stored(h: &Harness) -> usize {
    block_on(
        h.stores
            .grants
            .scan(GrantKind::CibaRequest, h.ctx().now, 1000),
    )
    .unwrap()
    .len()
}

#[test]
fn poll_mode_through_the_device_api() {
    let h = harness();
    let c = ciba_client(&h, "poll");
    let r = ask(
        &h,
        &c,
        &[("login_hint", "alice"), ("binding_message", "W4SC")],
    );
    let body = json(&r);
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["interval"], 2);
    let id = body["auth_req_id"].as_str().unwrap().to_owned();
    assert_error(&poll(&h, &c, &id), 400, "authorization_pending");
    // §7.3: sooner than the interval is slow_down.
    assert_error(&poll(&h, &c, &id), 400, "slow_down");
    h.clock.advance(10);
    let pending = pending_refs(&h, "alice");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].binding_message.as_deref(), Some("W4SC"));
    assert_eq!(pending[0].client_name.as_deref(), Some("Bank"));
    assert!(pending_refs(&h, "nobody").is_empty());
    // Another person cannot answer it.
    h.add_user("bob");
    assert!(
        !block_on(
            h.engine
                .ciba_decide(&pending[0].reference, "bob", true, &h.ctx())
        )
        .unwrap()
    );
    assert!(
        block_on(
            h.engine
                .ciba_decide(&pending[0].reference, "alice", true, &h.ctx())
        )
        .unwrap()
    );
    // Answered once.
    assert!(
        !block_on(
            h.engine
                .ciba_decide(&pending[0].reference, "alice", false, &h.ctx())
        )
        .unwrap()
    );
    assert!(pending_refs(&h, "alice").is_empty());
    let r = poll(&h, &c, &id);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let tokens = json(&r);
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let claims: Value = {
        let t = tokens["id_token"].as_str().unwrap();
        let p = jans_core::jose::jws::decode(t)
            .unwrap()
            .verify_with_jwks(
                &h.jwks(),
                &jans_core::jose::Algorithm::ASYMMETRIC,
                h.provider().as_ref(),
            )
            .unwrap();
        serde_json::from_slice(&p).unwrap()
    };
    assert_eq!(claims["sub"], alice.inum.as_str());
    assert_eq!(claims["aud"], c.client.client_id.as_str());
    assert_eq!(
        h.introspect(&c, tokens["access_token"].as_str().unwrap())["sub"],
        alice.inum.as_str()
    );
    h.clock.advance(10);
    assert_error(&poll(&h, &c, &id), 400, "invalid_grant");
    // Denied.
    let id = started(&h, &c, &[("login_hint", "alice@example.com")]);
    let r = &pending_refs(&h, "alice")[0].reference;
    assert!(block_on(h.engine.ciba_decide(r, "alice", false, &h.ctx())).unwrap());
    assert_error(&poll(&h, &c, &id), 400, "access_denied");
    // Expired.
    let id = started(
        &h,
        &c,
        &[("login_hint", "alice"), ("requested_expiry", "60")],
    );
    h.clock.advance(61);
    assert_error(&poll(&h, &c, &id), 400, "expired_token");
}

/// The deliveries the queue sent: (url, "Bearer TOKEN BODY").
fn delivered(h: &Harness) -> Vec<(String, String)> {
    block_on(h.engine.deliver_logouts(&h.ctx())).unwrap();
    std::mem::take(&mut *h.http.posts.lock().unwrap())
}

#[test]
fn ping_and_push_go_through_the_delivery_queue() {
    let h = harness();
    let ping = ciba_client(&h, "ping");
    let id = started(
        &h,
        &ping,
        &[
            ("login_hint", "alice"),
            ("client_notification_token", "ping-tok-123"),
        ],
    );
    // The client's token and the request's id are kept sealed.
    for (_, rec) in block_on(
        h.stores
            .grants
            .scan(GrantKind::CibaRequest, h.ctx().now, 10),
    )
    .unwrap()
    {
        let text = serde_json::to_string(&rec).unwrap();
        assert!(
            !text.contains("ping-tok-123") && !text.contains(&id),
            "{text}"
        );
    }
    let r = pending_refs(&h, "alice")[0].reference.clone();
    assert!(block_on(h.engine.ciba_decide(&r, "alice", true, &h.ctx())).unwrap());
    // Nothing is sent inside the person's answer: the queue sends it.
    assert!(h.http.posts.lock().unwrap().is_empty());
    let sent = delivered(&h);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, NOTIFY);
    let body = sent[0]
        .1
        .strip_prefix("Bearer ping-tok-123 ")
        .expect("the client's token");
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        json!({"auth_req_id": id})
    );
    assert_eq!(poll(&h, &ping, &id).status(), 200);

    let push = ciba_client(&h, "push");
    let r = ask(
        &h,
        &push,
        &[
            ("login_hint", "alice"),
            ("client_notification_token", "push-tok-456"),
        ],
    );
    let body = json(&r);
    assert!(body.get("interval").is_none(), "push clients do not poll");
    let id = body["auth_req_id"].as_str().unwrap().to_owned();
    assert_error(&poll(&h, &push, &id), 400, "unauthorized_client");
    let r = pending_refs(&h, "alice")[0].reference.clone();
    assert!(block_on(h.engine.ciba_decide(&r, "alice", true, &h.ctx())).unwrap());
    let sent = delivered(&h);
    assert_eq!(sent.len(), 1);
    let body: Value =
        serde_json::from_str(sent[0].1.strip_prefix("Bearer push-tok-456 ").unwrap()).unwrap();
    assert_eq!(body["auth_req_id"], id.as_str());
    assert!(body["access_token"].is_string() && body["id_token"].is_string());
    // §10.3.1: the ID token names the request and hashes the access token.
    let claims = id_token_claims(&body);
    assert_eq!(
        claims["urn:openid:params:jwt:claim:auth_req_id"],
        id.as_str()
    );
    assert_eq!(
        claims["at_hash"],
        jans_core::auth::oidc::id_token::half_hash(
            jans_core::jose::Algorithm::ES256,
            body["access_token"].as_str().unwrap()
        )
    );
    assert!(claims.get("urn:openid:params:jwt:claim:rt_hash").is_none());
    assert_eq!(
        h.introspect(&push, body["access_token"].as_str().unwrap())["active"],
        true
    );
    // A denied push says so.
    let id = started(
        &h,
        &push,
        &[
            ("login_hint", "alice"),
            ("client_notification_token", "push-tok-456"),
        ],
    );
    let r = pending_refs(&h, "alice")[0].reference.clone();
    assert!(block_on(h.engine.ciba_decide(&r, "alice", false, &h.ctx())).unwrap());
    let body: Value = serde_json::from_str(
        delivered(&h)[0]
            .1
            .strip_prefix("Bearer push-tok-456 ")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        body,
        json!({"auth_req_id": id, "error": "access_denied", "error_description": "the person denied the request"})
    );
}

/// The claims of the ID token in a token response `body` (signature not checked here).
fn id_token_claims(body: &Value) -> Value {
    let jwt = jans_core::jose::jws::decode(body["id_token"].as_str().unwrap()).unwrap();
    serde_json::from_slice(jwt.payload_unverified()).unwrap()
}

/// A push client allowed refresh tokens gets one, hashed in the pushed ID token (CIBA Core
/// §10.3.1 `urn:openid:params:jwt:claim:rt_hash`), and it refreshes.
#[test]
fn a_pushed_id_token_hashes_the_refresh_token_beside_it() {
    let h = harness();
    let push = h.register(json!({"grant_types": [GRANT, "refresh_token"],
                                 "scope": "openid profile offline_access",
                                 "backchannel_token_delivery_mode": "push",
                                 "backchannel_client_notification_endpoint": NOTIFY}));
    let r = h.post(
        AuthEndpoint::BackchannelAuthentication,
        &[
            ("scope", "openid profile offline_access"),
            ("login_hint", "alice"),
            ("client_notification_token", "push-tok-789"),
        ],
        Some(basic(&push)),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let id = json(&r)["auth_req_id"].as_str().unwrap().to_owned();
    let r = pending_refs(&h, "alice")[0].reference.clone();
    assert!(block_on(h.engine.ciba_decide(&r, "alice", true, &h.ctx())).unwrap());
    let body: Value = serde_json::from_str(
        delivered(&h)[0]
            .1
            .strip_prefix("Bearer push-tok-789 ")
            .unwrap(),
    )
    .unwrap();
    let rt = body["refresh_token"].as_str().expect("a refresh token");
    let claims = id_token_claims(&body);
    assert_eq!(
        claims["urn:openid:params:jwt:claim:auth_req_id"],
        id.as_str()
    );
    assert_eq!(
        claims["urn:openid:params:jwt:claim:rt_hash"],
        jans_core::auth::oidc::id_token::half_hash(jans_core::jose::Algorithm::ES256, rt)
    );
    let r = h.token(
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        Some(basic(&push)),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
}

fn page_of(r: &Response) -> Value {
    match &r.body {
        Body::Page(p) => {
            assert_eq!(p.template, "ciba.html");
            p.context.clone()
        }
        other => panic!("expected the page, got {other:?}"),
    }
}

fn visit(h: &Harness, session: Option<&str>) -> Response {
    let mut req = Request::new(AuthEndpoint::CibaApproval, Method::Get);
    if let Some(s) = session {
        req.cookies = vec![("session_id".into(), s.into())];
    }
    h.call(req)
}

fn answer(
    h: &Harness,
    session: &str,
    csrf_cookie: &str,
    csrf: &str,
    reference: &str,
    action: &str,
) -> Response {
    let mut req =
        Request::new(AuthEndpoint::CibaApproval, Method::Post).with_form(Params::from_pairs([
            ("csrf", csrf),
            ("reference", reference),
            ("action", action),
        ]));
    req.cookies = vec![
        ("session_id".into(), session.into()),
        ("jans_ciba_csrf".into(), csrf_cookie.into()),
    ];
    h.call(req)
}

fn csrf_of(r: &Response) -> String {
    let c = header(r, "set-cookie").unwrap();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict"),
        "{c}"
    );
    c.split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

#[test]
fn the_approval_page_signs_in_and_shows_only_ones_own_requests() {
    let h = harness();
    h.add_user("bob");
    let c = ciba_client(&h, "poll");
    let id = started(
        &h,
        &c,
        &[("login_hint", "alice"), ("binding_message", "Q7-LM")],
    );
    // No session: a sign-in that comes back here.
    let to = location(&visit(&h, None));
    let (signed_in, cookie) = sign_in(&h, &to, "alice");
    assert_eq!(
        location(&signed_in),
        "https://id.example.com/jans-auth/ciba"
    );
    let r = visit(&h, Some(&cookie));
    let page = page_of(&r);
    assert_eq!(page["requests"][0]["binding_message"], "Q7-LM");
    assert_eq!(page["requests"][0]["client_name"], "Bank");
    let reference = page["requests"][0]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = page["csrf"].as_str().unwrap().to_owned();
    let csrf_cookie = csrf_of(&r);
    // Bob sees nothing and cannot answer alice's request.
    let (_, bob) = sign_in(&h, &location(&visit(&h, None)), "bob");
    let r = visit(&h, Some(&bob));
    assert_eq!(page_of(&r)["requests"], json!([]));
    let bob_csrf = csrf_of(&r);
    let bob_field = page_of(&r)["csrf"].as_str().unwrap().to_owned();
    let r = answer(&h, &bob, &bob_csrf, &bob_field, &reference, "approve");
    assert_eq!(
        (r.status(), page_of(&r)["answered"].clone()),
        (400, json!("expired"))
    );
    // Without the CSRF pair: refused, nothing recorded.
    let r = answer(&h, &cookie, "forged", &csrf, &reference, "approve");
    assert_eq!(r.status(), 400);
    assert_error(&poll(&h, &c, &id), 400, "authorization_pending");
    // Alice approves.
    let r = answer(&h, &cookie, &csrf_cookie, &csrf, &reference, "approve");
    assert_eq!(r.status(), 200);
    assert_eq!(page_of(&r)["answered"], "approved");
    assert_eq!(page_of(&r)["requests"], json!([]));
    h.clock.advance(5);
    let tokens = json(&poll(&h, &c, &id));
    assert!(tokens["id_token"].is_string(), "{tokens}");
    assert!(q(&to, "interaction").is_some());
    // Too many wrong passwords on the approval page's sign-in: an error page (there is no
    // client to send the person back to).
    let to = location(&visit(&h, None));
    let id = q(&to, "interaction").unwrap();
    let mut last = None;
    for _ in 0..10 {
        let view = block_on(h.engine.interaction(&id, &h.ctx())).unwrap();
        let Some(view) = view else { break };
        let r = block_on(
            h.engine
                .interaction_login(&id, &view.csrf, "alice", "wrong", &h.ctx()),
        )
        .unwrap();
        if let jans_core::auth::authn::interaction::LoginResult::Done(r) = r {
            last = Some(r);
            break;
        }
    }
    let r = last.expect("the sign-in gave up");
    assert_eq!(r.status(), 400, "{:?}", r.body);
    assert!(
        matches!(&r.body, Body::Page(p) if p.template == "error.html"),
        "{:?}",
        r.body
    );
}

#[test]
fn hints_and_refusals() {
    let h = harness();
    let c = ciba_client(&h, "poll");
    let ping = ciba_client(&h, "ping");
    let plain = h.register(json!({"scope": "openid"}));
    let before = stored(&h);
    let long = "x".repeat(129);
    for (client, form, code) in [
        (&c, vec![], "invalid_request"),
        (
            &c,
            vec![("login_hint", "alice"), ("id_token_hint", "a.b.c")],
            "invalid_request",
        ),
        (&c, vec![("login_hint", "nobody")], "unknown_user_id"),
        (&c, vec![("id_token_hint", "a.b.c")], "invalid_request"),
        (
            &c,
            vec![("login_hint", "alice"), ("binding_message", long.as_str())],
            "invalid_binding_message",
        ),
        (
            &c,
            vec![("login_hint", "alice"), ("requested_expiry", "999999")],
            "invalid_request",
        ),
        (
            &c,
            vec![("login_hint", "alice"), ("requested_expiry", "-1")],
            "invalid_request",
        ),
        (
            &c,
            vec![("login_hint", "alice"), ("request", "x.y.z")],
            "invalid_request",
        ),
        (&ping, vec![("login_hint", "alice")], "invalid_request"),
        (&plain, vec![("login_hint", "alice")], "unauthorized_client"),
    ] {
        assert_error(&ask(&h, client, &form), 400, code);
    }
    // Scope without openid.
    let r = h.post(
        AuthEndpoint::BackchannelAuthentication,
        &[("scope", "profile"), ("login_hint", "alice")],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_scope");
    assert_eq!(stored(&h), before, "nothing stored");
    assert_error(&poll(&h, &c, "unknown"), 400, "invalid_grant");
    // Another client's auth_req_id.
    let other = ciba_client(&h, "poll");
    let id = started(&h, &c, &[("login_hint", "alice")]);
    assert_error(&poll(&h, &other, &id), 400, "invalid_grant");

    // id_token_hint: an ID token of ours for this client names its person.
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let rp = h.register(json!({"redirect_uris": [super::authorize::CB], "scope": "openid profile",
                                 "grant_types": ["authorization_code", GRANT], "backchannel_token_delivery_mode": "poll"}));
    let (cb, _) = super::authorize::login_and_consent(
        &h,
        &super::authorize::authorize(&h, &super::authorize::std_params(&rp), None),
    );
    let tok = json(&super::authorize::redeem(
        &h,
        &rp,
        &q(&cb, "code").unwrap(),
        super::authorize::VERIFIER,
    ));
    started(
        &h,
        &rp,
        &[("id_token_hint", tok["id_token"].as_str().unwrap())],
    );
    assert!(
        pending_refs(&h, "alice")
            .iter()
            .any(|p| p.client_id == rp.client.client_id)
    );
    // ... but not another client's ID token.
    assert_error(
        &ask(
            &h,
            &c,
            &[("id_token_hint", tok["id_token"].as_str().unwrap())],
        ),
        400,
        "invalid_request",
    );

    // login_hint_token: a JWT the client signed with its secret.
    let secret = c.client_secret.clone().unwrap();
    let sign = |claims: Value| {
        jans_core::jose::jws::sign_hmac(
            &jans_core::jose::jws::Header::new(jans_core::jose::Algorithm::HS256),
            &serde_json::to_vec(&claims).unwrap(),
            jans_core::jose::Algorithm::HS256,
            secret.as_bytes(),
        )
        .unwrap()
    };
    let now = h.ctx().now;
    started(
        &h,
        &c,
        &[(
            "login_hint_token",
            &sign(json!({"subject": {"email": "alice@example.com"}, "exp": now + 60})),
        )],
    );
    assert_error(
        &ask(
            &h,
            &c,
            &[(
                "login_hint_token",
                &sign(json!({"sub": "alice", "exp": now - 3600})),
            )],
        ),
        400,
        "expired_login_hint_token",
    );
    assert_error(
        &ask(&h, &c, &[("login_hint_token", "not.a.jwt")]),
        400,
        "invalid_request",
    );
    let _ = alice;
}

#[test]
fn registration_rules_and_discovery() {
    let h = harness();
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["backchannel_authentication_endpoint"],
        "https://id.example.com/jans-auth/restv1/bc-authorize"
    );
    assert_eq!(
        d["backchannel_token_delivery_modes_supported"],
        json!(["poll", "ping", "push"])
    );
    assert!(
        d["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == GRANT)
    );
    for (m, says) in [
        (
            json!({"grant_types": [GRANT]}),
            "backchannel_token_delivery_mode",
        ),
        (
            json!({"grant_types": [GRANT], "backchannel_token_delivery_mode": "smoke"}),
            "not supported",
        ),
        (json!({"backchannel_token_delivery_mode": "poll"}), "grant"),
        (
            json!({"grant_types": [GRANT], "backchannel_token_delivery_mode": "ping"}),
            "notification_endpoint",
        ),
        (
            json!({"grant_types": [GRANT], "backchannel_token_delivery_mode": "push",
                "backchannel_client_notification_endpoint": "http://rp.example.com/n"}),
            "https",
        ),
        (
            json!({"grant_types": [GRANT], "backchannel_token_delivery_mode": "poll",
                "backchannel_user_code_parameter": true}),
            "user codes",
        ),
    ] {
        let e = block_on(h.engine.register_client(
            jans_core::repo::client::ClientMetadata::from_json(m.clone()).unwrap(),
            &h.ctx(),
        ))
        .unwrap_err();
        assert!(e.to_string().contains(says), "{m}: {e}");
    }
}

#[test]
fn an_auth_req_id_is_redeemed_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = harness_on(backend.stores.clone());
        let c = ciba_client(&h, "ping");
        let id = started(
            &h,
            &c,
            &[
                ("login_hint", "alice"),
                ("client_notification_token", "t-1"),
            ],
        );
        let r = pending_refs(&h, "alice")[0].reference.clone();
        assert!(block_on(h.engine.ciba_decide(&r, "alice", true, &h.ctx())).unwrap());
        let answers: Vec<Response> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8).map(|_| s.spawn(|| poll(&h, &c, &id))).collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(
            answers.iter().filter(|r| r.status() == 200).count(),
            1,
            "{name}"
        );
        for r in answers.iter().filter(|r| r.status() != 200) {
            assert_eq!(json(r)["error"], "invalid_grant", "{name}");
        }
    }
}

/// A CIBA client whose requests are signed (§7.1.1) with its ES256 key; and the key.
fn signing_client(
    h: &Harness,
) -> (
    RegisteredClient,
    std::sync::Arc<dyn jans_core::crypto::SigningKey>,
) {
    let key = h
        .provider()
        .generate(jans_core::jose::Algorithm::ES256, h.rng.as_ref())
        .unwrap();
    let mut jwk = key.public_jwk();
    jwk.kid = Some("k1".into());
    let c = h.register(json!({"grant_types": [GRANT], "scope": "openid profile",
                              "backchannel_token_delivery_mode": "poll",
                              "backchannel_authentication_request_signing_alg": "ES256",
                              "jwks": {"keys": [jwk]}}));
    (c, key)
}

fn signed_request(h: &Harness, key: &dyn jans_core::crypto::SigningKey, claims: &Value) -> String {
    let mut header = jans_core::jose::jws::Header::new(key.algorithm());
    header.kid = Some("k1".into());
    jans_core::jose::jws::sign(
        &header,
        &serde_json::to_vec(claims).unwrap(),
        key,
        h.rng.as_ref(),
    )
    .unwrap()
}

/// A refused signed request: why, the request, parameters beside it, what the error says.
type Refusal<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, &'a str);

/// §7.1.1: the request's parameters in a JWT the client signed; every check a refusal
/// that stores nothing; each request once.
#[test]
fn a_signed_authentication_request_carries_the_parameters() {
    let h = harness();
    let (c, key) = signing_client(&h);
    let now = h.clock.now();
    let id = c.client.client_id.clone();
    let claims = |jti: &str| {
        json!({"iss": id, "aud": ISSUER, "exp": now + 60, "iat": now, "nbf": now, "jti": jti,
               "scope": "openid profile", "login_hint": "alice", "binding_message": "W4SCT",
               "requested_expiry": 120})
    };
    let send = |request: &str, extra: &[(&str, &str)]| {
        let mut form = vec![("request", request)];
        form.extend_from_slice(extra);
        h.post(
            AuthEndpoint::BackchannelAuthentication,
            &form,
            Some(basic(&c)),
        )
    };
    let good = signed_request(&h, key.as_ref(), &claims("j-1"));

    let other = h
        .provider()
        .generate(jans_core::jose::Algorithm::ES256, h.rng.as_ref())
        .unwrap();
    let es384 = h
        .provider()
        .generate(jans_core::jose::Algorithm::ES384, h.rng.as_ref())
        .unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims("j-x");
        f(&mut c);
        signed_request(&h, key.as_ref(), &c)
    };
    let unsigned = format!(
        "{}.{}.",
        jans_core::b64::encode(br#"{"alg":"none"}"#),
        jans_core::b64::encode(claims("j-n").to_string().as_bytes())
    );
    let refused: Vec<Refusal> = vec![
        (
            "unsigned",
            unsigned,
            vec![],
            "signed authentication request",
        ),
        (
            "another key",
            signed_request(&h, other.as_ref(), &claims("j-2")),
            vec![],
            "signature",
        ),
        (
            "not the registered alg",
            signed_request(&h, es384.as_ref(), &claims("j-3")),
            vec![],
            "ES384",
        ),
        (
            "aud",
            with(&|c| c["aud"] = "https://elsewhere.example.com".into()),
            vec![],
            "aud",
        ),
        (
            "iss",
            with(&|c| c["iss"] = "someone-else".into()),
            vec![],
            "iss",
        ),
        (
            "jti",
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            vec![],
            "jti",
        ),
        (
            "expired",
            with(&|c| c["exp"] = (now - 3600).into()),
            vec![],
            "exp",
        ),
        (
            "a parameter beside it",
            good.clone(),
            vec![("login_hint", "alice")],
            "beside",
        ),
        (
            "garbage",
            "not.a.jwt".into(),
            vec![],
            "signed authentication request",
        ),
    ];
    for (why, request, extra, says) in &refused {
        let r = send(request, extra);
        assert_error(&r, 400, "invalid_request");
        let said = json(&r)["error_description"].as_str().unwrap().to_owned();
        assert!(said.contains(says), "{why}: {said}");
    }
    assert_eq!(stored(&h), 0, "a refused request stores nothing");

    let r = send(&good, &[]);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["expires_in"], 120);
    let pending = pending_refs(&h, "alice");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].binding_message.as_deref(), Some("W4SCT"));
    // Once: the same signed request again is refused.
    assert_error(&send(&good, &[]), 400, "invalid_request");
    assert_eq!(stored(&h), 1);

    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(
        d["backchannel_authentication_request_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );
    // Registration: only an asymmetric algorithm the server takes.
    let m = jans_core::repo::client::ClientMetadata::from_json(json!({
        "grant_types": [GRANT], "backchannel_token_delivery_mode": "poll",
        "backchannel_authentication_request_signing_alg": "HS256"}))
    .unwrap();
    let e = block_on(h.engine.register_client(m, &h.ctx())).unwrap_err();
    assert!(e.to_string().contains("invalid_client_metadata"), "{e}");
}

/// A signed request (§7.1.1) raced by eight senders is accepted once, on every backend.
#[test]
fn a_signed_request_is_accepted_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = harness_on(backend.stores.clone());
        let (c, key) = signing_client(&h);
        let now = h.clock.now();
        let request = signed_request(
            &h,
            key.as_ref(),
            &json!({"iss": c.client.client_id, "aud": ISSUER, "exp": now + 60, "iat": now,
                    "nbf": now, "jti": "raced", "scope": "openid", "login_hint": "alice"}),
        );
        let answers: Vec<Response> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        h.post(
                            AuthEndpoint::BackchannelAuthentication,
                            &[("request", request.as_str())],
                            Some(basic(&c)),
                        )
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(
            answers.iter().filter(|r| r.status() == 200).count(),
            1,
            "{name}"
        );
        for r in answers.iter().filter(|r| r.status() != 200) {
            assert_error(r, 400, "invalid_request");
        }
        assert_eq!(stored(&h), 1, "{name}");
    }
}
