//! Casa through the engine (issue 17 items 1–5): a browser signs in to `/jans-casa/`
//! through the auth-server (code + PKCE, `acr_values=casa`), enrols an authenticator app
//! with a first code, makes recovery codes, turns two-factor authentication on — after
//! which Casa's own sign-in asks for the code — and is refused what it may not do: a form
//! without its CSRF token, another person's credential, removing the last credential while
//! 2FA is on, a callback of another browser or replayed.

use jans_core::auth::authn::interaction::{LoginResult, Stage};
use jans_core::otp::Totp;
use jans_core::params::Params;
use jans_core::repo::otp::OtpDevices;
use jans_core::testing::block_on;
use jans_core::{Body, Endpoint, Method, Request, Response};
use serde_json::Value;

use super::authorize::{harness, location, q};
use super::harness::*;

const PASSWORD: &str = "correct horse battery";

/// A browser: its cookies, by name; its `User-Agent` and address.
#[derive(Clone, Default)]
pub(crate) struct Browser {
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) user_agent: Option<String>,
    pub(crate) ip: Option<std::net::IpAddr>,
}

impl Browser {
    pub(crate) fn keep(&mut self, r: &Response) {
        for (n, v) in &r.headers {
            if *n != "set-cookie" {
                continue;
            }
            let first = v.split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !v.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn request(&self, method: Method, url: &str, form: &[(&str, &str)]) -> Request {
        let path_query = url.strip_prefix(ISSUER).unwrap_or(url);
        let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
        let endpoint = Endpoint::from_path(path).unwrap_or_else(|| panic!("no endpoint {path}"));
        let mut req = Request::new(endpoint, method);
        req.query = Params::parse(query.as_bytes()).unwrap();
        req.form = Params::from_pairs(form.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        req.cookies = self.cookies.clone();
        req.user_agent = self.user_agent.clone();
        req.peer_addr = self.ip.map(|ip| std::net::SocketAddr::new(ip, 40_000));
        req
    }

    pub(crate) fn get(&mut self, h: &Harness, url: &str) -> Response {
        let r = h.call(self.request(Method::Get, url, &[]));
        self.keep(&r);
        r
    }

    pub(crate) fn post(&mut self, h: &Harness, url: &str, form: &[(&str, &str)]) -> Response {
        let r = h.call(self.request(Method::Post, url, form));
        self.keep(&r);
        r
    }
}

/// The values of the dashboard's "when to ask" choices (`ctx` a dashboard's context).
pub(crate) fn offered_policies(ctx: &Value) -> Vec<&str> {
    ctx["when"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect()
}

pub(crate) fn page(r: &Response) -> (&'static str, u16, &Value) {
    match &r.body {
        Body::Page(p) => (p.template, p.status, &p.context),
        other => panic!("expected a page, got {other:?}"),
    }
}

/// Open Casa in `b` and sign in as `uid` with the password: the auth-server's answer (the
/// second factor's page, or back to Casa with a code).
pub(crate) fn password_step(h: &Harness, b: &mut Browser, uid: &str) -> Response {
    let to_auth = b.get(h, "/jans-casa/");
    let authorize = location(&to_auth);
    assert_eq!(q(&authorize, "acr_values").as_deref(), Some("casa"));
    assert_eq!(
        q(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let start = b.get(h, &authorize);
    let id = q(&location(&start), "interaction").expect("the login page");
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let LoginResult::Done(r) =
        block_on(
            h.engine
                .interaction_login(&id, &view.csrf, uid, PASSWORD, &h.ctx()),
        )
        .unwrap()
    else {
        panic!("the password was refused")
    };
    r
}

/// Whether the auth-server's answer `r` asks for the second factor.
pub(crate) fn second_factor_asked(r: &Response) -> bool {
    q(&location(r), "interaction").is_some()
}

/// Sign in to Casa as alice: through the auth-server's login (and its second factor, when
/// `code` gives one), back to the dashboard.
pub(crate) fn sign_in(h: &Harness, b: &mut Browser, code: Option<&dyn Fn() -> String>) -> Response {
    let r = password_step(h, b, "alice");
    finish(h, b, r, code)
}

/// After the password's answer `r`: the second factor when `code` gives one, then back to
/// Casa's dashboard.
pub(crate) fn finish(
    h: &Harness,
    b: &mut Browser,
    r: Response,
    code: Option<&dyn Fn() -> String>,
) -> Response {
    let r = match code {
        None => r,
        Some(code) => {
            let id = q(&location(&r), "interaction").expect("the second factor");
            let view = block_on(h.engine.interaction(&id, &h.ctx()))
                .unwrap()
                .unwrap();
            assert_eq!(view.stage, Stage::SecondFactor);
            let LoginResult::Done(r) =
                block_on(h.engine.interaction_otp(&id, &view.csrf, &code(), &h.ctx())).unwrap()
            else {
                panic!("the code was refused")
            };
            r
        }
    };
    b.keep(&r);
    let callback = location(&r);
    assert!(
        callback.starts_with(&format!("{ISSUER}/jans-casa/callback?code=")),
        "{callback}"
    );
    let back = b.get(h, &callback);
    assert_eq!(location(&back), format!("{ISSUER}/jans-casa/"));
    b.get(h, "/jans-casa/")
}

fn app_code(secret: &str, at: u64) -> String {
    let secret = jans_core::otp::base32_decode(secret).unwrap();
    format!("{:06}", Totp::default().code(&secret, at))
}

#[test]
fn casa_signs_in_enrols_an_app_and_turns_two_factor_on() {
    let h = harness();
    let mut b = Browser::default();
    let dash = sign_in(&h, &mut b, None);
    let (template, status, ctx) = page(&dash);
    assert_eq!((template, status), ("casa_dashboard.html", 200));
    assert_eq!(ctx["username"], "alice");
    assert_eq!(ctx["two_factor"]["enabled"], false);
    assert_eq!(ctx["two_factor"]["can_turn_on"], false);
    let csrf = ctx["csrf"].as_str().unwrap().to_owned();
    // 2FA cannot go on without a credential.
    let r = b.post(&h, "/jans-casa/2fa", &[("csrf", &csrf), ("action", "on")]);
    assert_eq!(page(&r).1, 409);

    // Enrol an app: a wrong first code shows the same enrolment again; the right one adds it.
    let form = b.get(&h, "/jans-casa/otp");
    let (template, _, ctx) = page(&form);
    assert_eq!(template, "casa_otp.html");
    assert!(ctx["qr"].as_str().unwrap().starts_with("<svg"));
    let (secret, pending) = (
        ctx["secret"].as_str().unwrap().to_owned(),
        ctx["pending"].as_str().unwrap().to_owned(),
    );
    let r = b.post(
        &h,
        "/jans-casa/otp",
        &[
            ("csrf", &csrf),
            ("pending", &pending),
            ("nickname", "Phone"),
            ("code", "000000"),
        ],
    );
    let (template, status, ctx) = page(&r);
    assert_eq!((template, status), ("casa_otp.html", 400));
    assert_eq!(ctx["secret"], secret.as_str());
    let code = app_code(&secret, h.clock.now());
    let r = b.post(
        &h,
        "/jans-casa/otp",
        &[
            ("csrf", "forged"),
            ("pending", &pending),
            ("nickname", "Phone"),
            ("code", &code),
        ],
    );
    assert_eq!(page(&r).1, 403);
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let devices = OtpDevices::new(h.stores.documents.clone());
    assert!(
        block_on(devices.of_user(&alice.inum)).unwrap().is_empty(),
        "nothing stored"
    );
    let r = b.post(
        &h,
        "/jans-casa/otp",
        &[
            ("csrf", &csrf),
            ("pending", &pending),
            ("nickname", "Phone"),
            ("code", &code),
        ],
    );
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=otp-added"));
    let dash = b.get(&h, "/jans-casa/?done=otp-added");
    let (_, _, ctx) = page(&dash);
    assert_eq!(ctx["apps"][0]["name"], "Phone");
    assert_eq!(ctx["notice"], "Your authenticator app was added.");
    let app = ctx["apps"][0]["id"].as_str().unwrap().to_owned();

    // Recovery codes, shown once.
    let r = b.post(&h, "/jans-casa/recovery-codes", &[("csrf", &csrf)]);
    let (template, _, ctx) = page(&r);
    assert_eq!(template, "casa_codes.html");
    assert_eq!(ctx["codes"].as_array().unwrap().len(), 10);
    let recovery = ctx["codes"][0].as_str().unwrap().to_owned();

    // 2FA on; the app is then the last credential and stays.
    let r = b.post(&h, "/jans-casa/2fa", &[("csrf", &csrf), ("action", "on")]);
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=2fa-on"));
    let r = b.post(
        &h,
        &format!("/jans-casa/otp/{app}"),
        &[("csrf", &csrf), ("action", "remove")],
    );
    let (_, status, ctx) = page(&r);
    assert_eq!(status, 409);
    assert!(
        ctx["error"]
            .as_str()
            .unwrap()
            .contains("at least 1 credential")
    );
    assert_eq!(block_on(devices.of_user(&alice.inum)).unwrap().len(), 1);
    // A preferred method must be one enrolled.
    let r = b.post(
        &h,
        "/jans-casa/2fa",
        &[("csrf", &csrf), ("action", "prefer"), ("factor", "fido2")],
    );
    assert_eq!(page(&r).1, 400);
    let r = b.post(
        &h,
        "/jans-casa/2fa",
        &[("csrf", &csrf), ("action", "prefer"), ("factor", "otp")],
    );
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=preferred"));

    // Signing in to Casa again now takes the password and then the app's code.
    h.clock.advance(30);
    let mut other = Browser::default();
    let now = h.clock.now();
    let dash = sign_in(&h, &mut other, Some(&|| app_code(&secret, now)));
    assert_eq!(page(&dash).0, "casa_dashboard.html");
    // ... or a recovery code, another way.
    let mut third = Browser::default();
    let to_auth = third.get(&h, "/jans-casa/");
    let start = third.get(&h, &location(&to_auth));
    let id = q(&location(&start), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    let LoginResult::Done(r) =
        block_on(
            h.engine
                .interaction_login(&id, &view.csrf, "alice", PASSWORD, &h.ctx()),
        )
        .unwrap()
    else {
        panic!()
    };
    let id = q(&location(&r), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(
        view.factors.iter().map(|f| f.name()).collect::<Vec<_>>(),
        ["otp", "recovery_code"]
    );
    block_on(
        h.engine
            .interaction_choose_factor(&id, &view.csrf, "recovery_code", &h.ctx()),
    )
    .unwrap();
    let LoginResult::Done(r) =
        block_on(
            h.engine
                .interaction_otp(&id, &view.csrf, &recovery, &h.ctx()),
        )
        .unwrap()
    else {
        panic!()
    };
    third.keep(&r);
    let back = third.get(&h, &location(&r));
    assert_eq!(location(&back), format!("{ISSUER}/jans-casa/"));

    // 2FA off: the app may go.
    let r = b.post(&h, "/jans-casa/2fa", &[("csrf", &csrf), ("action", "off")]);
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=2fa-off"));
    let r = b.post(
        &h,
        &format!("/jans-casa/otp/{app}"),
        &[("csrf", &csrf), ("action", "remove")],
    );
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=removed"));
    assert!(block_on(devices.of_user(&alice.inum)).unwrap().is_empty());
}

#[test]
fn another_persons_credentials_and_forged_callbacks_are_refused() {
    let h = harness();
    block_on(h.engine.add_user(
        jans_core::repo::user::User {
            uid: "bob".into(),
            ..Default::default()
        },
        PASSWORD,
        &h.ctx(),
    ))
    .unwrap();
    let bob = block_on(h.stores.users.by_uid("bob")).unwrap().unwrap();
    let e = h
        .engine
        .casa()
        .start_totp(&bob.inum, "bob", &h.ctx())
        .unwrap();
    let code = app_code(&e.secret, h.clock.now());
    let bobs = block_on(h.engine.casa().confirm_totp(
        &bob.inum,
        &e.pending,
        "Bob's phone",
        &code,
        &h.ctx(),
    ))
    .unwrap()
    .unwrap();

    let mut b = Browser::default();
    let dash = sign_in(&h, &mut b, None);
    let csrf = page(&dash).2["csrf"].as_str().unwrap().to_owned();
    for action in [
        vec![("action", "remove")],
        vec![("action", "rename"), ("nickname", "mine")],
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(action);
        let r = b.post(&h, &format!("/jans-casa/otp/{}", bobs.id), &form);
        assert_eq!(page(&r).1, 404);
    }
    let devices = OtpDevices::new(h.stores.documents.clone());
    assert_eq!(
        block_on(devices.of_user(&bob.inum)).unwrap()[0].nickname,
        "Bob's phone"
    );
    // Bob's pending enrolment is not alice's.
    let code = app_code(&e.secret, h.clock.now() + 30);
    h.clock.advance(30);
    let r = b.post(
        &h,
        "/jans-casa/otp",
        &[
            ("csrf", &csrf),
            ("pending", &e.pending),
            ("nickname", "x"),
            ("code", &code),
        ],
    );
    assert_eq!(page(&r).1, 400);
    // Unknown actions, methods and paths.
    assert_eq!(
        page(&b.post(
            &h,
            "/jans-casa/2fa",
            &[("csrf", &csrf), ("action", "explode")]
        ))
        .1,
        400
    );
    assert_eq!(page(&b.post(&h, "/jans-casa/", &[("csrf", &csrf)])).1, 405);
    // Without a session, a form is refused and a page asks to sign in.
    let mut stranger = Browser::default();
    assert_eq!(
        page(&stranger.post(&h, "/jans-casa/2fa", &[("action", "off")])).1,
        403
    );
    let to_auth = stranger.get(&h, "/jans-casa/otp");
    assert!(location(&to_auth).contains("/jans-auth/restv1/authorize?"));

    // A callback with another browser's state, or none, or replayed: refused.
    let mut victim = Browser::default();
    let to_auth = victim.get(&h, "/jans-casa/");
    let state = q(&location(&to_auth), "state").unwrap();
    let mut attacker = Browser::default();
    let r = attacker.get(&h, &format!("/jans-casa/callback?code=x&state={state}"));
    assert_eq!(page(&r).1, 400);
    let r = victim.get(&h, "/jans-casa/callback?code=x&state=other");
    assert_eq!(page(&r).1, 400);
    // The right browser with a code that is not one: refused, and its state is spent.
    let r = victim.get(&h, &format!("/jans-casa/callback?code=x&state={state}"));
    assert_eq!(page(&r).1, 400);
    let r = victim.get(&h, &format!("/jans-casa/callback?code=x&state={state}"));
    assert_eq!(page(&r).1, 400);
    assert!(victim.cookies.iter().all(|(n, _)| n != "casa_session"));

    // Signing out ends Casa's session and goes through the auth-server's logout.
    let r = b.post(&h, "/jans-casa/logout", &[("csrf", &csrf)]);
    assert!(location(&r).contains("/jans-auth/restv1/end_session?id_token_hint="));
    assert!(b.cookies.iter().all(|(n, _)| n != "casa_session"));
    let end = b.get(&h, &location(&r));
    assert_eq!(location(&end), format!("{ISSUER}/jans-casa/"));
    assert!(
        b.cookies.iter().all(|(n, _)| n != "session_id"),
        "the auth-server's session ended"
    );
    let r = b.get(&h, "/jans-casa/");
    let authorize = b.get(&h, &location(&r));
    assert!(
        q(&location(&authorize), "interaction").is_some(),
        "signed out: the login page"
    );
}

/// Removals racing while two-factor authentication is on with two apps (the minimum is one):
/// one wins, one app stays — on memory, sled and PostgreSQL.
#[test]
fn racing_removals_never_take_the_last_credential_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = super::authorize::harness_on(backend.stores);
        let mut b = Browser::default();
        let dash = sign_in(&h, &mut b, None);
        let csrf = page(&dash).2["csrf"].as_str().unwrap().to_owned();
        let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
        let casa = h.engine.casa();
        let mut ids = Vec::new();
        for n in ["One", "Two"] {
            let e = casa.start_totp(&alice.inum, "alice", &h.ctx()).unwrap();
            let code = app_code(&e.secret, h.clock.now());
            let d = block_on(casa.confirm_totp(&alice.inum, &e.pending, n, &code, &h.ctx()));
            ids.push(d.unwrap().unwrap().id);
        }
        let r = b.post(&h, "/jans-casa/2fa", &[("csrf", &csrf), ("action", "on")]);
        assert_eq!(
            location(&r),
            format!("{ISSUER}/jans-casa/?done=2fa-on"),
            "{name}"
        );
        let requests: Vec<Request> = (0..8)
            .map(|i| {
                let path = format!("/jans-casa/otp/{}", ids[i % 2]);
                b.request(
                    Method::Post,
                    &path,
                    &[("csrf", &csrf), ("action", "remove")],
                )
            })
            .collect();
        let h = &h;
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let racers: Vec<_> = requests
                .into_iter()
                .map(|req| s.spawn(move || h.call(req).status()))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(
            statuses.iter().filter(|s| **s == 302).count(),
            1,
            "{name}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [302, 404, 409].contains(s)),
            "{name}: {statuses:?}"
        );
        let left = block_on(OtpDevices::new(h.stores.documents.clone()).of_user(&alice.inum));
        assert_eq!(left.unwrap().len(), 1, "{name}");
    }
}
