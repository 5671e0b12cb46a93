//! Two-factor sign-in with one-time passwords and recovery codes (issue 17 items 1–3, the
//! auth-server's part): ACR `otp` asks for a code of the person's authenticator app after
//! the password, or one of their recovery codes ("try another way"); ACR `casa` asks for
//! the person's preferred second factor only when they turned 2FA on. Wrong, replayed and
//! misdirected answers are refused and counted; `acr`/`amr` in the ID token say what
//! happened.

use jans_core::Response;
use jans_core::auth::authn::interaction::{LoginResult, Stage};
use jans_core::auth::authn::methods::Factor;
use jans_core::otp::Totp;
use jans_core::repo::two_factor::{TwoFactor, TwoFactorSettings};
use jans_core::testing::block_on;
use serde_json::json;

use super::authorize::{authorize, harness, location, q, rp};
use super::harness::*;
use super::passkey_login::{done, id_token_claims, with_acr};

const PASSWORD: &str = "correct horse battery";

fn app_code(secret_base32: &str, at: u64) -> String {
    let secret = jans_core::otp::base32_decode(secret_base32).unwrap();
    format!("{:06}", Totp::default().code(&secret, at))
}

/// alice's authenticator app, enrolled now: its base32 secret.
fn alice_app(h: &Harness) -> String {
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let casa = h.engine.casa();
    let e = casa.start_totp(&alice.inum, "alice", &h.ctx()).unwrap();
    let code = app_code(&e.secret, h.clock.now());
    block_on(casa.confirm_totp(&alice.inum, &e.pending, "Phone", &code, &h.ctx()))
        .unwrap()
        .unwrap();
    e.secret
}

/// Start a sign-in with `acr` and send alice's password: the answer and the interaction id
/// it started at.
fn password_step(h: &Harness, c: &jans_core::RegisteredClient, acr: &str) -> Response {
    let start = authorize(h, &with_acr(c, acr), None);
    let id = q(&location(&start), "interaction").unwrap();
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    done(
        block_on(
            h.engine
                .interaction_login(&id, &view.csrf, "alice", PASSWORD, &h.ctx()),
        )
        .unwrap(),
    )
}

/// The second-factor interaction a password step led to, and its view.
fn second_step(
    h: &Harness,
    r: &Response,
) -> (String, jans_core::auth::authn::interaction::InteractionView) {
    assert!(
        r.headers.iter().all(|(n, _)| *n != "set-cookie"),
        "no session before the second factor"
    );
    let id = q(&location(r), "interaction").expect("the second factor");
    let view = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.stage, Stage::SecondFactor);
    assert!(view.webauthn.is_none(), "no key asked for");
    (id, view)
}

#[test]
fn otp_asks_for_a_code_after_the_password_and_takes_each_once() {
    let h = harness();
    let c = rp(&h, json!({"trusted_client": true}));
    let secret = alice_app(&h);
    let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
    assert_eq!(view.factors, [Factor::Otp], "no recovery codes yet");
    // The code the app showed at enrolment was spent by it.
    let used = app_code(&secret, h.clock.now());
    let r = block_on(h.engine.interaction_otp(&id, &view.csrf, &used, &h.ctx())).unwrap();
    assert!(matches!(r, LoginResult::Retry { remaining: 4 }), "{r:?}");
    // A wrong code, a code far too long, a key at this stage, a wrong CSRF token.
    let r = block_on(
        h.engine
            .interaction_otp(&id, &view.csrf, "000000", &h.ctx()),
    )
    .unwrap();
    assert!(matches!(r, LoginResult::Retry { remaining: 3 }), "{r:?}");
    let long = "1".repeat(500);
    let r = block_on(h.engine.interaction_otp(&id, &view.csrf, &long, &h.ctx())).unwrap();
    assert!(matches!(r, LoginResult::Retry { remaining: 2 }), "{r:?}");
    assert!(
        block_on(
            h.engine
                .interaction_webauthn(&id, &view.csrf, b"{}", &h.ctx())
        )
        .is_err()
    );
    h.clock.advance(30);
    let fresh = app_code(&secret, h.clock.now());
    assert!(block_on(h.engine.interaction_otp(&id, "wrong", &fresh, &h.ctx())).is_err());
    // The next step's code signs alice in.
    let r = done(block_on(h.engine.interaction_otp(&id, &view.csrf, &fresh, &h.ctx())).unwrap());
    let claims = id_token_claims(&h, &c, &location(&r));
    assert_eq!(claims["acr"], "otp");
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    // The interaction is spent; the same code does not sign in again elsewhere.
    assert!(block_on(h.engine.interaction_otp(&id, &view.csrf, &fresh, &h.ctx())).is_err());
    let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
    let r = block_on(h.engine.interaction_otp(&id, &view.csrf, &fresh, &h.ctx())).unwrap();
    assert!(matches!(r, LoginResult::Retry { .. }), "replayed: {r:?}");
}

#[test]
fn a_recovery_code_is_another_way_and_only_offered_ways_are_taken() {
    let h = harness();
    let c = rp(&h, json!({"trusted_client": true}));
    alice_app(&h);
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let codes = block_on(h.engine.casa().new_recovery_codes(&alice.inum, &h.ctx())).unwrap();
    let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
    assert_eq!(view.factors, [Factor::Otp, Factor::RecoveryCode]);
    // A recovery code is not a one-time password of the app.
    let r = block_on(
        h.engine
            .interaction_otp(&id, &view.csrf, &codes[0], &h.ctx()),
    )
    .unwrap();
    assert!(matches!(r, LoginResult::Retry { .. }), "{r:?}");
    // Keys are not offered by `otp`, nor is anything unknown: nothing changes.
    for not_offered in ["fido2", "sms", ""] {
        assert!(
            block_on(
                h.engine
                    .interaction_choose_factor(&id, &view.csrf, not_offered, &h.ctx())
            )
            .is_err()
        );
    }
    assert!(
        block_on(
            h.engine
                .interaction_choose_factor(&id, "wrong", "recovery_code", &h.ctx())
        )
        .is_err()
    );
    let again = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(again.factors, [Factor::Otp, Factor::RecoveryCode]);
    block_on(
        h.engine
            .interaction_choose_factor(&id, &view.csrf, "recovery_code", &h.ctx()),
    )
    .unwrap();
    let again = block_on(h.engine.interaction(&id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(again.factors, [Factor::RecoveryCode, Factor::Otp]);
    let r = done(
        block_on(
            h.engine
                .interaction_otp(&id, &view.csrf, &codes[0].to_uppercase(), &h.ctx()),
        )
        .unwrap(),
    );
    let claims = id_token_claims(&h, &c, &location(&r));
    assert_eq!(
        (claims["acr"].as_str(), &claims["amr"]),
        (Some("otp"), &json!(["pwd", "otp", "mfa"]))
    );
    // Used once: refused the next time.
    let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
    block_on(
        h.engine
            .interaction_choose_factor(&id, &view.csrf, "recovery_code", &h.ctx()),
    )
    .unwrap();
    let r = block_on(
        h.engine
            .interaction_otp(&id, &view.csrf, &codes[0], &h.ctx()),
    )
    .unwrap();
    assert!(matches!(r, LoginResult::Retry { .. }), "{r:?}");
}

#[test]
fn repeated_wrong_codes_abandon_the_request_and_a_person_without_an_app_cannot_pass() {
    let h = harness();
    let c = rp(&h, json!({"trusted_client": true}));
    // No app, no codes: the code is asked for, and nothing passes.
    let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
    assert_eq!(view.factors, [Factor::Otp]);
    let max = h.engine.config().login_max_failures;
    let mut last = None;
    for _ in 0..max {
        last = Some(
            block_on(
                h.engine
                    .interaction_otp(&id, &view.csrf, "123456", &h.ctx()),
            )
            .unwrap(),
        );
    }
    let r = done(last.unwrap());
    let to = location(&r);
    assert_eq!(q(&to, "error").as_deref(), Some("access_denied"), "{to}");
    assert!(r.headers.iter().all(|(n, _)| *n != "set-cookie"));
}

#[test]
fn casa_asks_the_second_factor_only_when_the_person_turned_it_on() {
    let h = harness();
    let c = rp(&h, json!({"trusted_client": true}));
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let settings = TwoFactorSettings::new(h.stores.documents.clone());
    // 2FA off: the password alone, and the method is still `casa`.
    let r = password_step(&h, &c, "casa");
    let claims = id_token_claims(&h, &c, &location(&r));
    assert_eq!(
        (claims["acr"].as_str(), &claims["amr"]),
        (Some("casa"), &json!(["pwd"]))
    );
    // On, but nothing enrolled (an admin removed it): the password alone still.
    let on = |preferred| TwoFactor {
        user: alice.inum.clone(),
        enabled: true,
        preferred,
        policy: Vec::new(),
        updated_at: 1,
    };
    block_on(settings.put(&on(None))).unwrap();
    let r = password_step(&h, &c, "casa");
    assert!(r.headers.iter().any(|(n, _)| *n == "set-cookie"));
    // An app and recovery codes, recovery codes preferred: asked first, the app offered.
    let secret = alice_app(&h);
    block_on(h.engine.casa().new_recovery_codes(&alice.inum, &h.ctx())).unwrap();
    block_on(settings.put(&on(Some(Factor::RecoveryCode)))).unwrap();
    let (id, view) = second_step(&h, &password_step(&h, &c, "casa"));
    assert_eq!(view.factors, [Factor::RecoveryCode, Factor::Otp]);
    block_on(
        h.engine
            .interaction_choose_factor(&id, &view.csrf, "otp", &h.ctx()),
    )
    .unwrap();
    h.clock.advance(30);
    let code = app_code(&secret, h.clock.now());
    let r = done(block_on(h.engine.interaction_otp(&id, &view.csrf, &code, &h.ctx())).unwrap());
    let claims = id_token_claims(&h, &c, &location(&r));
    assert_eq!(
        (claims["acr"].as_str(), &claims["amr"]),
        (Some("casa"), &json!(["pwd", "otp", "mfa"]))
    );
    // Off again: the password alone.
    block_on(settings.put(&TwoFactor {
        enabled: false,
        ..on(None)
    }))
    .unwrap();
    let r = password_step(&h, &c, "casa");
    assert!(r.headers.iter().any(|(n, _)| *n == "set-cookie"));
}

/// A counter-based token (HOTP, RFC 4226) enrolled in Casa's page: its key URI carries
/// `counter=0`, a wrong first code shows the enrolment again, the token's next code adds
/// it (that counter spent); then each press signs in once, a press skipped within the
/// look-ahead still does, an old counter never again.
#[test]
fn a_counter_based_token_is_enrolled_in_casa_and_signs_in_once_per_counter() {
    use super::casa::{Browser, page, sign_in};
    use jans_core::otp::{OtpAlgorithm, hotp};
    let h = harness();
    let c = rp(&h, json!({"trusted_client": true}));
    let mut b = Browser::default();
    let dash = sign_in(&h, &mut b, None);
    let csrf = page(&dash).2["csrf"].as_str().unwrap().to_owned();
    assert_eq!(page(&b.get(&h, "/jans-casa/otp?kind=sms")).1, 400);
    let form = b.get(&h, "/jans-casa/otp?kind=hotp");
    let (template, _, ctx) = page(&form);
    assert_eq!(template, "casa_otp.html");
    assert_eq!(ctx["hotp"], true);
    let uri = ctx["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://hotp/") && uri.ends_with("&counter=0"),
        "{uri}"
    );
    let secret = jans_core::otp::base32_decode(ctx["secret"].as_str().unwrap()).unwrap();
    let pending = ctx["pending"].as_str().unwrap().to_owned();
    let press = |counter: u64| format!("{:06}", hotp(&secret, counter, 6, OtpAlgorithm::Sha1));
    let add = |b: &mut Browser, code: &str| {
        b.post(
            &h,
            "/jans-casa/otp",
            &[
                ("csrf", &csrf),
                ("pending", &pending),
                ("nickname", ""),
                ("code", code),
            ],
        )
    };
    // A code beyond the look-ahead is not the token's first.
    assert_eq!(page(&add(&mut b, &press(10))).1, 400);
    let r = add(&mut b, &press(1));
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=hotp-added"));
    let dash = b.get(&h, "/jans-casa/?done=hotp-added");
    let ctx = page(&dash).2;
    assert_eq!(ctx["notice"], "Your token was added.");
    assert_eq!(ctx["apps"][0]["name"], "Hardware token");
    assert_eq!(ctx["apps"][0]["hotp"], true);
    // Counter 1 was spent by the enrolment, counter 0 is behind it: neither signs in.
    for spent in [press(1), press(0)] {
        let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
        let r = block_on(h.engine.interaction_otp(&id, &view.csrf, &spent, &h.ctx())).unwrap();
        assert!(matches!(r, LoginResult::Retry { .. }), "{r:?}");
    }
    // Counter 4 (2 and 3 pressed unused): signs in, and then 2 and 3 never do.
    let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
    let r = done(
        block_on(
            h.engine
                .interaction_otp(&id, &view.csrf, &press(4), &h.ctx()),
        )
        .unwrap(),
    );
    let claims = id_token_claims(&h, &c, &location(&r));
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    let (id, view) = second_step(&h, &password_step(&h, &c, "otp"));
    let r = block_on(
        h.engine
            .interaction_otp(&id, &view.csrf, &press(3), &h.ctx()),
    )
    .unwrap();
    assert!(matches!(r, LoginResult::Retry { .. }), "{r:?}");
    let r = done(
        block_on(
            h.engine
                .interaction_otp(&id, &view.csrf, &press(5), &h.ctx()),
        )
        .unwrap(),
    );
    assert!(
        location(&r).starts_with(super::authorize::CB),
        "{}",
        location(&r)
    );
}
