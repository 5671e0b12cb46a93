//! The person's account in Casa (issue 17 item 6): the password changed only with the
//! current one (wrong, mismatched, too short: refused, nothing changed), the other sessions
//! ended on request; an application's consent withdrawn with the tokens it held.

use jans_core::auth::authn::interaction::PasswordCheck;
use jans_core::testing::block_on;
use serde_json::json;

use super::authorize::{VERIFIER, harness, location, offline_code, offline_rp, q, redeem};
use super::casa::{Browser, page, sign_in};
use super::harness::*;

const OLD: &str = "correct horse battery";
const NEW: &str = "a new and longer passphrase";

#[test]
fn a_password_changes_only_with_the_current_one_and_other_sessions_end_on_request() {
    let h = harness();
    let mut b = Browser::default();
    let dash = sign_in(&h, &mut b, None);
    let csrf = page(&dash).2["csrf"].as_str().unwrap().to_owned();
    let mut elsewhere = Browser::default();
    sign_in(&h, &mut elsewhere, None);
    let change = |b: &mut Browser, current: &str, new: &str, confirm: &str, everywhere: bool| {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("current", current),
            ("new", new),
            ("confirm", confirm),
        ];
        if everywhere {
            form.push(("sign_out_elsewhere", "1"));
        }
        b.post(&h, "/jans-casa/password", &form)
    };
    for (current, new, confirm, why) in [
        ("wrong password", NEW, NEW, "current password is not right"),
        (OLD, NEW, "something else", "differ"),
        (OLD, "short", "short", "between 8"),
    ] {
        let r = change(&mut b, current, new, confirm, true);
        let (_, status, ctx) = page(&r);
        assert_eq!(status, 400, "{why}");
        assert!(
            ctx["error"].as_str().unwrap().contains(why),
            "{}",
            ctx["error"]
        );
    }
    let r = b.post(
        &h,
        "/jans-casa/password",
        &[("current", OLD), ("new", NEW), ("confirm", NEW)],
    );
    assert_eq!(page(&r).1, 403, "no CSRF token");
    let check = |p: &str| block_on(h.engine.check_password_counted("alice", p, &h.ctx())).unwrap();
    assert!(
        matches!(check(OLD), PasswordCheck::Valid(_)),
        "nothing changed"
    );
    let r = change(&mut b, OLD, NEW, NEW, true);
    assert_eq!(
        location(&r),
        format!("{ISSUER}/jans-casa/?done=password-everywhere")
    );
    assert!(matches!(check(OLD), PasswordCheck::Invalid));
    assert!(matches!(check(NEW), PasswordCheck::Valid(_)));
    // This browser stays in Casa; the other one signs in again.
    assert_eq!(page(&b.get(&h, "/jans-casa/")).1, 200);
    let r = elsewhere.get(&h, "/jans-casa/");
    assert!(location(&r).contains("/jans-auth/restv1/authorize?"));
    // ... and the auth-server's sessions ended: the authorization asks for a login.
    let start = elsewhere.get(&h, &location(&r));
    assert!(q(&location(&start), "interaction").is_some());
}

#[test]
fn withdrawing_a_consent_revokes_the_applications_tokens() {
    let h = harness();
    let c = offline_rp(&h);
    let tokens = json(&redeem(&h, &c, &offline_code(&h, &c), VERIFIER));
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(h.introspect(&c, &access)["active"], true);

    let mut b = Browser::default();
    let dash = sign_in(&h, &mut b, None);
    let (_, _, ctx) = page(&dash);
    let csrf = ctx["csrf"].as_str().unwrap().to_owned();
    assert_eq!(ctx["consents"][0]["client_id"], c.client.client_id.as_str());
    assert_eq!(ctx["consents"][0]["scopes"][0], "openid");
    // Not a consent of hers, an unknown action: refused, nothing changes.
    let r = b.post(
        &h,
        "/jans-casa/consents/someone-else",
        &[("csrf", &csrf), ("action", "revoke")],
    );
    assert_eq!(page(&r).1, 404);
    let path = format!("/jans-casa/consents/{}", c.client.client_id);
    assert_eq!(
        page(&b.post(&h, &path, &[("csrf", &csrf), ("action", "explode")])).1,
        400
    );
    assert_eq!(page(&b.post(&h, &path, &[("action", "revoke")])).1, 403);
    assert_eq!(h.introspect(&c, &access)["active"], true);

    let r = b.post(&h, &path, &[("csrf", &csrf), ("action", "revoke")]);
    assert_eq!(location(&r), format!("{ISSUER}/jans-casa/?done=consent"));
    assert_eq!(h.introspect(&c, &access)["active"], false);
    let r = h.token(
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        Some(basic(&c)),
    );
    assert_error(&r, 400, "invalid_grant");
    assert_eq!(page(&b.get(&h, "/jans-casa/")).2["consents"], json!([]));
    // The application asks again: no consent is kept.
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    assert!(
        block_on(h.stores.consents.of_user(&alice.inum, h.clock.now()))
            .unwrap()
            .is_empty()
    );
}
