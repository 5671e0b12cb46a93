//! A person's client authorizations through the config API (`clients/authorizations`,
//! issue 14): the clients they consented to with the scopes approved, read from the
//! consents the auth-server keeps, and one revoked so the client asks again.

use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Request};
use serde_json::json;

use super::admin_util::{refused, token};
use super::harness::*;

fn call(h: &Harness, endpoint: AdminEndpoint, method: Method, t: &str) -> jans_core::Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = Some(format!("Bearer {t}"));
    h.call(req)
}

#[test]
fn consents_are_listed_and_revoked() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let (rp1, rp2) = (
        h.register(json!({"client_name": "one"})).client.client_id,
        h.register(json!({"client_name": "two"})).client.client_id,
    );
    let consents = &h.stores.consents;
    let now = h.ctx().now;
    let approve = |client: &str, scopes: &[&str]| {
        block_on(consents.put(
            &alice.inum,
            client,
            &jans_core::repo::consent::Consent(scopes.iter().map(|s| (*s).to_owned()).collect()),
            now,
            now + 3600,
        ))
        .unwrap();
    };
    approve(&rp1, &["openid", "profile"]);
    approve(&rp2, &["openid", "gone-scope"]);
    let read = token(&h, "https://jans.io/oauth/client/authorizations.readonly");
    let delete = token(&h, "https://jans.io/oauth/client/authorizations.delete");
    let r = call(
        &h,
        AdminEndpoint::ClientAuthorizations(alice.inum.clone()),
        Method::Get,
        &read,
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let auths = json(&r)["clientAuths"].clone();
    let ids = |c: &str| -> Vec<String> {
        auths[c]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&rp1), ["openid", "profile"]);
    assert_eq!(ids(&rp2), ["openid", "gone-scope"]);
    assert_eq!(auths[&rp1][1]["scopeType"], "openid", "the scope as stored");
    refused(
        &call(
            &h,
            AdminEndpoint::ClientAuthorizations("nobody".into()),
            Method::Get,
            &read,
        ),
        404,
    );

    let one = |client: &str, username: &str| AdminEndpoint::ClientAuthorization {
        user: alice.inum.clone(),
        client: client.to_owned(),
        username: username.to_owned(),
    };
    refused(&call(&h, one(&rp1, "alice"), Method::Delete, &read), 403);
    refused(&call(&h, one(&rp1, "bob"), Method::Delete, &delete), 404);
    assert_eq!(
        call(&h, one(&rp1, "alice"), Method::Delete, &delete).status(),
        204
    );
    refused(&call(&h, one(&rp1, "alice"), Method::Delete, &delete), 404);
    let left = json(&call(
        &h,
        AdminEndpoint::ClientAuthorizations(alice.inum.clone()),
        Method::Get,
        &read,
    ));
    assert!(left["clientAuths"].get(&rp1).is_none(), "{left}");
    assert!(left["clientAuths"].get(&rp2).is_some(), "{left}");
    // The auth-server forgot it too: nothing remembered for that client.
    let c = block_on(consents.get(&alice.inum, &rp1, now)).unwrap();
    assert!(c.0.is_empty());
}
