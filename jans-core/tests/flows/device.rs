//! The device authorization grant (RFC 8628; issue 16 item 7) through the engine: codes
//! from `/device_authorization`, the verification page (prefill, CSRF, sign-in, consent
//! always asked), polling (`authorization_pending`, `slow_down` growing the interval,
//! `access_denied`, `expired_token`, single use raced on every backend), user-code guessing
//! limited per address, and the refusals.

use jans_core::auth::authn::interaction::Stage;
use jans_core::params::Params;
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Body, Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::authorize::{harness, harness_on, location, q, sign_in};
use super::harness::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const PEER: &str = "198.51.100.7:40000";

fn device_client(h: &Harness, extra: Value) -> RegisteredClient {
    let mut m = json!({"grant_types": [GRANT, "refresh_token"],
                       "scope": "profile offline_access",
                       "token_endpoint_auth_method": "none"});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    h.register(m)
}

fn auth_of(c: &RegisteredClient) -> Option<String> {
    c.client_secret.as_ref().map(|_| basic(c))
}

/// Ask for codes; the JSON answer.
fn start(h: &Harness, c: &RegisteredClient, scope: &str) -> Value {
    let r = h.post(
        AuthEndpoint::DeviceAuthorization,
        &[("client_id", &c.client.client_id), ("scope", scope)],
        auth_of(c),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)
}

fn poll(h: &Harness, c: &RegisteredClient, device_code: &str) -> Response {
    h.token(
        &[
            ("grant_type", GRANT),
            ("device_code", device_code),
            ("client_id", &c.client.client_id),
        ],
        auth_of(c),
    )
}

fn page_of(r: &Response) -> (&'static str, Value) {
    match &r.body {
        Body::Page(p) => (p.template, p.context.clone()),
        other => panic!("expected a page, got {other:?}"),
    }
}

/// The verification form as a browser gets it: the page and its CSRF cookie.
fn form(h: &Harness, user_code: Option<&str>) -> (Value, String) {
    let mut req = Request::new(AuthEndpoint::DeviceVerification, Method::Get);
    if let Some(c) = user_code {
        req.query = Params::from_pairs([("user_code", c)]);
    }
    let r = h.call(req);
    assert_eq!(r.status(), 200);
    let (template, ctx) = page_of(&r);
    assert_eq!(template, "device.html");
    let cookie = header(&r, "set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    (ctx, value)
}

/// Submit `user_code` on the form (with the browser's session cookie, if any).
fn enter(h: &Harness, user_code: &str, session: Option<&str>) -> Response {
    let (page, csrf) = form(h, None);
    submit(h, user_code, &csrf, page["csrf"].as_str().unwrap(), session)
}

fn submit(h: &Harness, code: &str, cookie: &str, field: &str, session: Option<&str>) -> Response {
    let mut req = Request::new(AuthEndpoint::DeviceVerification, Method::Post)
        .with_form(Params::from_pairs([("user_code", code), ("csrf", field)]));
    req.cookies = vec![("jans_device_csrf".into(), cookie.into())];
    if let Some(s) = session {
        req.cookies.push(("session_id".into(), s.into()));
    }
    req.peer_addr = Some(PEER.parse().unwrap());
    h.call(req)
}

/// Answer the consent question the response sends the browser to.
fn consent(h: &Harness, to: &Response, allow: bool) -> Response {
    let id = q(&location(to), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.stage, Stage::Consent);
    block_on(
        h.engine
            .interaction_consent(&id, &view.csrf, allow, true, &h.ctx()),
    )
    .unwrap()
}

#[test]
fn a_device_gets_tokens_once_its_user_approves() {
    let h = harness();
    let c = device_client(&h, json!({}));
    let d = start(&h, &c, "openid profile offline_access");
    let user_code = d["user_code"].as_str().unwrap().to_owned();
    let device_code = d["device_code"].as_str().unwrap().to_owned();
    assert!(
        user_code.len() == 9
            && user_code.chars().enumerate().all(|(i, ch)| if i == 4 {
                ch == '-'
            } else {
                "BCDFGHJKLMNPQRSTVWXZ".contains(ch)
            }),
        "{user_code}"
    );
    assert_eq!(
        d["verification_uri"],
        "https://id.example.com/jans-auth/device-code"
    );
    assert_eq!(
        d["verification_uri_complete"],
        format!("https://id.example.com/jans-auth/device-code?user_code={user_code}")
    );
    assert_eq!(
        (d["expires_in"].as_u64(), d["interval"].as_u64()),
        (Some(1800), Some(5))
    );

    // Waiting: pending; polling faster than the interval is slow_down, and the interval
    // grows by 5 s each time (§3.5).
    assert_error(&poll(&h, &c, &device_code), 400, "authorization_pending");
    assert_error(&poll(&h, &c, &device_code), 400, "slow_down");
    h.clock.advance(5);
    assert_error(&poll(&h, &c, &device_code), 400, "authorization_pending");
    h.clock.advance(5);
    assert_error(&poll(&h, &c, &device_code), 400, "slow_down");
    h.clock.advance(10);
    assert_error(&poll(&h, &c, &device_code), 400, "authorization_pending");

    // verification_uri_complete fills the code in (any case); the user still confirms.
    let (page, _) = form(&h, Some(&user_code.to_lowercase()));
    assert_eq!(page["stage"], "enter");
    assert_eq!(page["user_code"], user_code.as_str());
    // A form without its cookie's token is refused.
    let (page, cookie) = form(&h, None);
    let r = submit(&h, &user_code, &cookie, "forged", None);
    assert_eq!(r.status(), 400);
    assert_eq!(page_of(&r).1["stage"], "enter");
    assert!(page["csrf"].as_str().unwrap().len() >= 32);

    // The code, typed without its dash: sign in, then consent.
    let r = enter(&h, &user_code.replace('-', " "), None);
    let (signed_in, session) = sign_in(&h, &location(&r), "alice");
    // The same code entered in a second tab meanwhile: the first answer stands.
    let second = enter(&h, &user_code, Some(&session));
    let done = consent(&h, &signed_in, true);
    assert_eq!(done.status(), 200);
    assert_eq!(
        page_of(&done),
        ("device.html", json!({"stage": "approved"}))
    );
    let late = consent(&h, &second, false);
    assert_eq!(late.status(), 400);
    assert_eq!(page_of(&late).1["stage"], "expired");

    h.clock.advance(15);
    let r = poll(&h, &c, &device_code);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let tokens = json(&r);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile offline_access");
    assert!(tokens["refresh_token"].is_string());
    let id_token = jans_core::jose::jws::decode(tokens["id_token"].as_str().unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(id_token.payload_unverified()).unwrap();
    assert_eq!(claims["aud"], c.client.client_id.as_str());
    let info = h.introspect(
        &h.register(json!({"scope": "read"})),
        tokens["access_token"].as_str().unwrap(),
    );
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], c.client.client_id.as_str());

    // Once: the code is spent, and so is the user code.
    h.clock.advance(15);
    assert_error(&poll(&h, &c, &device_code), 400, "invalid_grant");
    let r = enter(&h, &user_code, None);
    assert_eq!(r.status(), 400);
    assert!(
        page_of(&r).1["error"]
            .as_str()
            .unwrap()
            .contains("not valid")
    );
}

#[test]
fn denial_expiry_other_clients_and_refusals() {
    let h = harness();
    let c = device_client(&h, json!({"trusted_client": true}));
    // A signed-in browser and a trusted client: consent is asked all the same (§5.4).
    let d = start(&h, &c, "profile");
    let code = d["device_code"].as_str().unwrap().to_owned();
    let r = enter(&h, d["user_code"].as_str().unwrap(), None);
    let (signed_in, session) = sign_in(&h, &location(&r), "alice");
    let denied = consent(&h, &signed_in, false);
    assert_eq!(page_of(&denied).1["stage"], "denied");
    assert_error(&poll(&h, &c, &code), 400, "access_denied");
    h.clock.advance(5);
    assert_error(&poll(&h, &c, &code), 400, "invalid_grant");

    let d = start(&h, &c, "profile");
    let r = enter(&h, d["user_code"].as_str().unwrap(), Some(&session));
    let done = consent(&h, &r, true);
    assert_eq!(page_of(&done).1["stage"], "approved");
    // Another client cannot redeem it; its own can.
    let other = device_client(&h, json!({}));
    let code = d["device_code"].as_str().unwrap();
    assert_error(&poll(&h, &other, code), 400, "invalid_grant");
    assert_eq!(poll(&h, &c, code).status(), 200);

    // Expired.
    let d = start(&h, &c, "profile");
    h.clock.advance(1800);
    assert_error(
        &poll(&h, &c, d["device_code"].as_str().unwrap()),
        400,
        "expired_token",
    );
    let r = enter(&h, d["user_code"].as_str().unwrap(), Some(&session));
    assert_eq!(r.status(), 400, "an expired user code is not taken");

    // Refusals at the device authorization endpoint, and an unknown device code.
    let cc_only = h.register(json!({"scope": "profile"}));
    let r = h.post(
        AuthEndpoint::DeviceAuthorization,
        &[("scope", "profile")],
        Some(basic(&cc_only)),
    );
    assert_error(&r, 400, "unauthorized_client");
    let r = h.post(
        AuthEndpoint::DeviceAuthorization,
        &[("client_id", &c.client.client_id), ("scope", "admin")],
        None,
    );
    assert_error(&r, 400, "invalid_scope");
    assert_error(&poll(&h, &c, "made-up"), 400, "invalid_grant");
    let r = h.token(
        &[("grant_type", GRANT), ("client_id", &c.client.client_id)],
        None,
    );
    assert_error(&r, 400, "invalid_request");

    // The flag off: 404, and discovery does not list the endpoint.
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(d["device_authorization_endpoint"].is_string());
    assert!(
        d["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
    let mut config = config();
    config.feature_flags = vec!["userinfo".into()];
    let off = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    let c = device_client(&off, json!({}));
    let r = off.post(
        AuthEndpoint::DeviceAuthorization,
        &[("client_id", &c.client.client_id)],
        None,
    );
    assert_error(&r, 404, "not_found");
    let d = json(&off.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(d.get("device_authorization_endpoint").is_none());
}

#[test]
fn guessing_user_codes_is_limited_per_address() {
    let h = harness();
    let c = device_client(&h, json!({}));
    let d = start(&h, &c, "profile");
    let right = d["user_code"].as_str().unwrap();
    for i in 0..10 {
        let r = enter(&h, "BBBB-BBBB", None);
        assert_eq!(r.status(), 400, "guess {i}");
    }
    // The eleventh try is refused, even with the right code, until the window passes.
    let r = enter(&h, right, None);
    assert_eq!(r.status(), 429);
    assert!(
        page_of(&r).1["error"]
            .as_str()
            .unwrap()
            .contains("Too many")
    );
    h.clock.advance(600);
    let r = enter(&h, right, None);
    assert_eq!(r.status(), 302, "{:?}", r.body);
    // Malformed codes count too, and are never looked up.
    for bad in ["", "AAAA-AAAA", "BCDF-GHJ", "BCDF-GHJKL", "<script>"] {
        assert_eq!(enter(&h, bad, None).status(), 400, "{bad:?}");
    }
}

#[test]
fn a_device_code_is_redeemed_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = harness_on(backend.stores.clone());
        let c = device_client(&h, json!({}));
        let d = start(&h, &c, "profile");
        let code = d["device_code"].as_str().unwrap().to_owned();
        let r = enter(&h, d["user_code"].as_str().unwrap(), None);
        let (signed_in, _) = sign_in(&h, &location(&r), "alice");
        consent(&h, &signed_in, true);
        let answers: Vec<Response> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8).map(|_| s.spawn(|| poll(&h, &c, &code))).collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let won = answers.iter().filter(|r| r.status() == 200).count();
        assert_eq!(won, 1, "{name}");
        for r in answers.iter().filter(|r| r.status() != 200) {
            let e = json(r)["error"].clone();
            assert!(e == "slow_down" || e == "invalid_grant", "{name}: {e}");
        }
    }
}
