//! Sessions through the config API (`jans-auth-server/session`, issue 14): listed and
//! searched as Janssen's `SessionId` (never the cookie), read by `sid`, revoked one at a
//! time or all of a person's.

use jans_core::repo::session::Session;
use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Request};
use serde_json::Value;

use super::admin_util::{get, refused, token};
use super::harness::*;

fn session(h: &Harness, cookie: &str, user: &str, sid: &str) {
    let now = h.ctx().now;
    let s = Session {
        sid: sid.to_owned(),
        user_inum: user.to_owned(),
        auth_time: now,
        acr: "simple_password_auth".into(),
        amr: vec!["pwd".into()],
        opbs: String::new(),
        clients: Vec::new(),
    };
    let key = jans_core::repo::grant::token_key(cookie);
    block_on(h.stores.sessions.insert(&key, &s, now, now + 3600)).unwrap();
}

fn delete(h: &Harness, endpoint: AdminEndpoint, t: &str) -> jans_core::Response {
    let mut req = Request::new(endpoint, Method::Delete);
    req.authorization = Some(format!("Bearer {t}"));
    h.call(req)
}

fn sids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outsideSid"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn sessions_are_listed_read_and_revoked() {
    let h = Harness::new();
    let alice = h.add_user("alice").inum;
    let bob = h.add_user("bob").inum;
    session(&h, "cookie-a1", &alice, "sid-a1");
    session(&h, "cookie-b1", &bob, "sid-b1");
    session(&h, "cookie-b2", &bob, "sid-b2");
    let read = token(
        &h,
        "https://jans.io/oauth/jans-auth-server/session.readonly",
    );
    let del = token(&h, "https://jans.io/oauth/jans-auth-server/session.delete");
    let all = json(&get(&h, AdminEndpoint::Sessions, &read, &[]));
    assert_eq!(sids(&all), ["sid-a1", "sid-b1", "sid-b2"]);
    assert!(
        !all.to_string().contains("cookie-"),
        "never the cookie: {all}"
    );
    let bobs = json(&get(
        &h,
        AdminEndpoint::SessionSearch,
        &read,
        &[("fieldValuePair", &format!("userDn={bob}"))],
    ));
    assert_eq!(sids(&bobs), ["sid-b1", "sid-b2"]);
    let one = json(&get(
        &h,
        AdminEndpoint::Session("sid-a1".into()),
        &read,
        &[],
    ));
    assert_eq!(one["userDn"], format!("inum={alice},ou=people,o=jans"));
    refused(
        &get(&h, AdminEndpoint::Session("nope".into()), &read, &[]),
        404,
    );

    // Revoked: one by sid, then all of a person's.
    refused(
        &delete(&h, AdminEndpoint::Session("sid-a1".into()), &read),
        403,
    );
    assert_eq!(
        delete(&h, AdminEndpoint::Session("sid-a1".into()), &del).status(),
        204
    );
    refused(
        &delete(&h, AdminEndpoint::Session("sid-a1".into()), &del),
        404,
    );
    let user = AdminEndpoint::UserSessions(format!("inum={bob},ou=people,o=jans"));
    assert_eq!(delete(&h, user, &del).status(), 204);
    let left = json(&get(&h, AdminEndpoint::Sessions, &read, &[]));
    assert!(sids(&left).is_empty(), "{left}");
    refused(
        &delete(&h, AdminEndpoint::UserSessions("nobody".into()), &del),
        404,
    );
    let key = jans_core::repo::grant::token_key("cookie-b2");
    assert!(
        block_on(h.stores.sessions.get(&key, h.ctx().now))
            .unwrap()
            .is_none()
    );
}
