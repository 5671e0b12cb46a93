//! Janssen's session status endpoint (issue 16 item 10): the browser's own session,
//! authenticated with its `auth_time`, or unknown.

use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Method, Request, Response};
use serde_json::json;

use super::authorize::{authorize, harness, login_and_consent, rp, std_params};
use super::harness::*;

fn status(h: &Harness, cookie: Option<&str>) -> Response {
    let mut req = Request::new(AuthEndpoint::SessionStatus, Method::Get);
    if let Some(c) = cookie {
        req.cookies = vec![("session_id".into(), c.into())];
    }
    h.call(req)
}

#[test]
fn the_browser_learns_whether_it_is_signed_in() {
    let h = harness();
    assert_eq!(json(&status(&h, None)), json!({"state": "unknown"}));
    assert_eq!(json(&status(&h, Some("nope"))), json!({"state": "unknown"}));
    let c = rp(&h, json!({}));
    let signed_in_at = h.clock.now();
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    h.clock.advance(30);
    let r = status(&h, Some(&cookie));
    assert_eq!(r.status(), 200);
    assert_eq!(
        json(&r),
        json!({"state": "authenticated", "auth_time": signed_in_at})
    );
    // A disabled person's session counts for nothing.
    let mut alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    alice.status = jans_core::repo::user::UserStatus::Inactive;
    block_on(h.engine.stores().users.update(&alice)).unwrap();
    assert_eq!(
        json(&status(&h, Some(&cookie))),
        json!({"state": "unknown"})
    );
    let r = h.call(Request::new(AuthEndpoint::SessionStatus, Method::Post));
    assert_eq!(r.status(), 405);

    // Behind Janssen's `status_session` flag.
    let mut c = config();
    c.feature_flags = vec!["userinfo".into()];
    let off = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    assert_error(&status(&off, None), 404, "not_found");
}
