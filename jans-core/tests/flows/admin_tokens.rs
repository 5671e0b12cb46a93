//! Tokens through the config API (`token`, issue 14): searched and read as Janssen's
//! `TokenEntity` by their code (the store's hash, never the bearer value), a client's
//! listed, and revoked — a refresh token with its grant, an access token alone — with
//! concurrent revocations of one token all answered.

use jans_core::repo::grant::token_key;
use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, RegisteredClient, Request, Response};
use serde_json::Value;

use super::admin_util::{get, refused, token};
use super::harness::*;

const READ: &str = "https://jans.io/oauth/config/token.readonly";
const DELETE: &str = "https://jans.io/oauth/config/token.delete";

/// The password grant for `user` (with a refresh token): (access token, refresh token).
pub(super) fn tokens_of(h: &Harness, c: &RegisteredClient, user: &str) -> (String, String) {
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", "correct horse battery"),
            ("scope", "openid offline_access"),
        ],
        Some(basic(c)),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let v = json(&r);
    (
        v["access_token"].as_str().unwrap().to_owned(),
        v["refresh_token"].as_str().unwrap().to_owned(),
    )
}

fn revoke(h: &Harness, code: &str, t: &str) -> Response {
    let mut req = Request::new(AdminEndpoint::TokenRevoke(code.into()), Method::Delete);
    req.authorization = Some(format!("Bearer {t}"));
    h.call(req)
}

/// The codes of a page's entries, sorted.
fn codes(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["tokenCode"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn active(h: &Harness, c: &RegisteredClient, t: &str) -> bool {
    h.introspect(c, t)["active"] == true
}

#[test]
fn tokens_are_searched_read_and_revoked() {
    let (h, rp) = super::scim_write::harness_with_password_grant();
    let alice = h.add_user("alice").inum;
    h.add_user("bob");
    let (alice_at, alice_rt) = tokens_of(&h, &rp, "alice");
    let (bob_at, bob_rt) = tokens_of(&h, &rp, "bob");
    let read = token(&h, READ);
    let del = token(&h, DELETE);

    // Everything live, by code: the bearer values never appear.
    let all = json(&get(
        &h,
        AdminEndpoint::TokenSearch,
        &read,
        &[("limit", "200")],
    ));
    let text = all.to_string();
    for t in [&alice_at, &alice_rt, &bob_at, &bob_rt, &read, &del] {
        assert!(!text.contains(t.as_str()), "never a bearer value: {text}");
        assert!(text.contains(&token_key(t)), "every token by its code");
    }
    assert_eq!(all["totalEntriesCount"], 6, "{all}");

    // Janssen's attribute names filter: one client's refresh tokens, one person's tokens.
    let rp_id = rp.client.client_id.as_str();
    let refresh = json(&get(
        &h,
        AdminEndpoint::TokenSearch,
        &read,
        &[(
            "fieldValuePair",
            &format!("clnId={rp_id},tknTyp=refresh_token"),
        )],
    ));
    assert_eq!(
        codes(&refresh),
        sorted(vec![token_key(&alice_rt), token_key(&bob_rt)])
    );
    let alices = json(&get(
        &h,
        AdminEndpoint::TokenSearch,
        &read,
        &[
            ("fieldValuePair", &format!("usrId={alice}")),
            ("sortBy", "tknTyp"),
        ],
    ));
    assert_eq!(alices["entries"][0]["tokenType"], "access_token");
    assert_eq!(alices["entries"][1]["tokenType"], "refresh_token");
    assert_eq!(alices["totalEntriesCount"], 2);
    let paged = json(&get(
        &h,
        AdminEndpoint::TokenSearch,
        &read,
        &[("limit", "4"), ("startIndex", "5")],
    ));
    assert_eq!(
        (paged["entriesCount"].clone(), paged["start"].clone()),
        (2.into(), 5.into())
    );

    // A client's tokens; an unknown client is a 404.
    let of_rp = json(&get(
        &h,
        AdminEndpoint::ClientTokens(rp_id.into()),
        &read,
        &[],
    ));
    assert_eq!(
        of_rp["totalEntriesCount"], 4,
        "the two admin clients' are not the rp's"
    );
    refused(
        &get(&h, AdminEndpoint::ClientTokens("nobody".into()), &read, &[]),
        404,
    );

    // One token by its code, as Janssen's TokenEntity.
    let one = json(&get(
        &h,
        AdminEndpoint::Token(token_key(&alice_rt)),
        &read,
        &[],
    ));
    assert_eq!(one["tokenType"], "refresh_token");
    assert_eq!(one["clientId"], rp_id);
    assert_eq!(one["userId"], alice.as_str());
    assert_eq!(one["grantType"], "password");
    assert_eq!(one["scope"], "openid offline_access");
    refused(
        &get(&h, AdminEndpoint::Token("no-such-code".into()), &read, &[]),
        404,
    );

    // Bad parameters are 400s in the API's form.
    let why = refused(
        &get(
            &h,
            AdminEndpoint::TokenSearch,
            &read,
            &[("fieldValuePair", "nope=1")],
        ),
        400,
    );
    assert!(why.contains("nope"), "{why}");
    refused(
        &get(
            &h,
            AdminEndpoint::TokenSearch,
            &read,
            &[("sortBy", "secret")],
        ),
        400,
    );

    // Reading is not revoking.
    refused(&revoke(&h, &token_key(&bob_at), &read), 403);
    assert!(active(&h, &rp, &bob_at));

    // An access token alone: bob's refresh token still works.
    assert_eq!(revoke(&h, &token_key(&bob_at), &del).status(), 204);
    assert!(!active(&h, &rp, &bob_at));
    assert!(active(&h, &rp, &bob_rt));
    refused(&revoke(&h, &token_key(&bob_at), &del), 404);

    // A refresh token with its grant: alice's access token goes with it.
    assert_eq!(revoke(&h, &token_key(&alice_rt), &del).status(), 204);
    assert!(!active(&h, &rp, &alice_rt));
    assert!(!active(&h, &rp, &alice_at));
    let r = h.token(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &alice_rt),
        ],
        Some(basic(&rp)),
    );
    assert_error(&r, 400, "invalid_grant");

    // Each revocation is in the audit log, by code.
    let audit = json(&get(
        &h,
        AdminEndpoint::Audit,
        &token(&h, "https://jans.io/oauth/config/read-all"),
        &[("pattern", "token")],
    ));
    assert!(
        audit.to_string().contains(&token_key(&alice_rt)),
        "the revocation is audited: {audit}"
    );
}

#[test]
fn concurrent_revocations_of_one_token_all_answer() {
    let (h, rp) = super::scim_write::harness_with_password_grant();
    h.add_user("alice");
    let (at, rt) = tokens_of(&h, &rp, "alice");
    let del = token(&h, DELETE);
    let code = token_key(&rt);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (engine, ctx, code, del) = (h.engine.clone(), h.ctx(), &code, &del);
                s.spawn(move || {
                    let mut req =
                        Request::new(AdminEndpoint::TokenRevoke(code.clone()), Method::Delete);
                    req.authorization = Some(format!("Bearer {del}"));
                    block_on(engine.handle(req, &ctx)).status()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|s| *s == 204 || *s == 404),
        "each is revoked or already gone, never an error: {statuses:?}"
    );
    assert!(statuses.contains(&204), "{statuses:?}");
    assert!(!active(&h, &rp, &rt) && !active(&h, &rp, &at));
}
