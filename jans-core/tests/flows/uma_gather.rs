//! Interactive claims gathering (issue 15 item 5, UMA 2.0 Grant §3.3.2): `need_info` with
//! `redirect_user`, the party's browser sent to `gather_claims`, signed in through the
//! login interaction, sent back to the client with a new ticket, and the grant decided on
//! the claims gathered; the refusals that must never redirect, and those told to the
//! client.

use jans_core::request::UmaEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Request, Response};
use serde_json::json;

use super::authorize::{location, q, sign_in};
use super::harness::*;
use super::uma::refused;
use super::uma_grant::{grant, requesting_client, resource_owner, ticket, uma_on};

const CB: &str = "https://rqp.example/claims-cb";

const POLICY: &str = r#"
@id("example-staff")
@required_claims("email")
permit(principal, action == Jans::Action::"read-public", resource)
when { principal.claims has email && principal.claims.email like "*@example.com" };
"#;

/// `GET gather_claims` with `params`, the browser holding the session `session` and the
/// gathering cookie `gathering`.
fn gather(
    h: &Harness,
    params: &[(&str, &str)],
    session: Option<&str>,
    gathering: Option<&str>,
) -> Response {
    let mut req = Request::new(UmaEndpoint::GatherClaims, Method::Get);
    req.query = jans_core::params::Params::from_pairs(
        params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    for (name, value) in [("session_id", session), ("uma_gathering", gathering)] {
        if let Some(v) = value {
            req.cookies.push((name.into(), v.into()));
        }
    }
    h.call(req)
}

/// The gathering cookie a response sets.
fn gathering_cookie(r: &Response) -> String {
    let set = header(r, "set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';')
        .next()
        .unwrap()
        .trim_start_matches("uma_gathering=")
        .to_owned()
}

#[test]
fn the_party_signs_in_and_its_claims_decide() {
    let h = uma_on(jans_core::repo::Stores::memory());
    let (_, pat, album) = resource_owner(&h, POLICY);
    let p = requesting_client(&h, json!({"claims_redirect_uri": [CB]}));
    let client_id = p.client.client.client_id.clone();
    let mut alice = h.add_user("alice");
    alice.mail = Some("alice@example.com".into());
    block_on(h.engine.stores().users.update(&alice)).unwrap();
    let mut eve = h.add_user("eve");
    eve.mail = Some("eve@elsewhere.org".into());
    block_on(h.engine.stores().users.update(&eve)).unwrap();
    let read = json!({"resource_id": album, "resource_scopes": ["read-public"]});

    // need_info, with redirect_user: the client registered a claims_redirect_uri.
    let t = ticket(&h, &pat, read.clone());
    let r = grant(&h, &p, &[("ticket", &t)]);
    refused(&r, 403, "need_info");
    let body = json(&r);
    assert_eq!(body["redirect_user"], true, "{body}");
    let t2 = body["ticket"].as_str().unwrap().to_owned();

    // The browser at gather_claims, not signed in: the login pages, then back here.
    let params = [
        ("client_id", client_id.as_str()),
        ("ticket", t2.as_str()),
        ("claims_redirect_uri", CB),
        ("state", "s-1"),
    ];
    let r = gather(&h, &params, None, None);
    let to = location(&r);
    assert!(to.contains("/jans-auth/interaction?interaction="), "{to}");
    let started = gathering_cookie(&r);
    let (r, cookie) = sign_in(&h, &to, "alice");
    let back_here = location(&r);
    assert!(
        back_here.starts_with(&format!("{ISSUER}/jans-auth/restv1/uma/gather_claims?")),
        "{back_here}"
    );
    assert_eq!(q(&back_here, "ticket").as_deref(), Some(t2.as_str()));
    // Signed in, but not by this gathering's login (no cookie, or another browser's):
    // the login again, never the session's claims handed over silently.
    for other in [None, Some("someone-elses")] {
        let r = gather(&h, &params, Some(&cookie), other);
        assert!(
            location(&r).contains("/jans-auth/interaction?"),
            "{:?}",
            r.body
        );
    }
    // Back from its own login: the claims are kept with a new ticket, and the client hears
    // of it; the gathering cookie is removed.
    let r = gather(&h, &params, Some(&cookie), Some(&started));
    assert!(header(&r, "set-cookie").unwrap().contains("Max-Age=0"));
    let cb = location(&r);
    assert!(cb.starts_with(&format!("{CB}?")), "{cb}");
    assert_eq!(
        q(&cb, "authorization_state").as_deref(),
        Some("claims_submitted")
    );
    assert_eq!(q(&cb, "state").as_deref(), Some("s-1"));
    let t3 = q(&cb, "ticket").unwrap();
    assert_ne!(t3, t2);
    // The gathered ticket's claims decide: alice's email is example.com's.
    let r = grant(&h, &p, &[("ticket", &t3)]);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let body = json(&r);
    assert!(
        body["pct"].is_string(),
        "gathered claims are persisted: {body}"
    );
    // The spent ticket cannot be gathered for again; the client is told.
    let r = gather(&h, &params, Some(&cookie), None);
    let cb = location(&r);
    assert_eq!(q(&cb, "error").as_deref(), Some("invalid_grant"), "{cb}");
    assert_eq!(q(&cb, "state").as_deref(), Some("s-1"));

    // Eve signs in too, but her claims do not satisfy the policy: refused, not asked again.
    let t = ticket(&h, &pat, read.clone());
    let r = grant(&h, &p, &[("ticket", &t)]);
    let t2 = json(&r)["ticket"].as_str().unwrap().to_owned();
    let params = [
        ("client_id", client_id.as_str()),
        ("ticket", t2.as_str()),
        ("claims_redirect_uri", CB),
    ];
    let r = gather(&h, &params, None, None);
    let (_, eve_cookie) = sign_in(&h, &location(&r), "eve");
    let started = gathering_cookie(&r);
    let cb = location(&gather(&h, &params, Some(&eve_cookie), Some(&started)));
    let t3 = q(&cb, "ticket").unwrap();
    refused(&grant(&h, &p, &[("ticket", &t3)]), 403, "request_denied");

    // Never redirected: an unknown client, an unregistered or missing claims_redirect_uri.
    let t = ticket(&h, &pat, read);
    for bad in [
        vec![
            ("client_id", "nope"),
            ("ticket", t.as_str()),
            ("claims_redirect_uri", CB),
        ],
        vec![
            ("client_id", client_id.as_str()),
            ("ticket", t.as_str()),
            ("claims_redirect_uri", "https://evil.example/cb"),
        ],
        vec![("client_id", client_id.as_str()), ("ticket", t.as_str())],
    ] {
        refused(
            &gather(&h, &bad, Some(&cookie), None),
            400,
            "invalid_request",
        );
    }
    // ... and the ticket those refusals named is still good.
    assert_eq!(
        json(&grant(&h, &p, &[("ticket", &t)]))["error"],
        "need_info"
    );
}
