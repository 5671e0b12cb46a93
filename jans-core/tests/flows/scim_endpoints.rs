//! SCIM endpoints beyond the users and groups themselves, through `Engine::handle`: the
//! root `/.search` across resource types, `/Me`, Janssen's `/UpdatedUsers`, and the device
//! views of the FIDO registrations (issue 13 item 1); and malformed bodies to every write.

use jans_core::request::ScimEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Request};
use serde_json::{Value, json};

use super::harness::*;
use super::scim::{scim_ok, scim_refused, token, with_token};
use super::scim_write::{ALL, GROUP, patch, send, user_at, user_count};

/// The root `/.search` (RFC 7644 §3.4.3) queries users and groups together, with the scope
/// `all-resources.search`.
#[test]
fn search_across_resource_types() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    h.add_user("bob");
    let t = token(&h, ALL);
    let r = send(
        &h,
        &t,
        ScimEndpoint::Groups,
        Method::Post,
        Some(json!({
            "schemas": [GROUP], "displayName": "alpha", "members": [{"value": alice.inum}],
        })),
    );
    assert_eq!(r.status(), 201);
    let search = |t: &str, body: Value| send(&h, t, ScimEndpoint::Search, Method::Post, Some(body));
    const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    // Needs its own scope.
    scim_refused(&search(&t, json!({"schemas": [SEARCH]})), 403);
    let t = token(&h, "https://jans.io/scim/all-resources.search");
    let all = scim_ok(&search(
        &t,
        json!({"schemas": [SEARCH], "sortBy": "meta.resourceType"}),
    ));
    assert_eq!(all["totalResults"], 3);
    let types: Vec<&str> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["meta"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Group", "User", "User"]);
    // A filter on an attribute only users have matches users only; one both have, both.
    let users = scim_ok(&search(
        &t,
        json!({"schemas": [SEARCH], "filter": "userName sw \"a\""}),
    ));
    assert_eq!(users["totalResults"], 1);
    assert_eq!(users["Resources"][0]["userName"], "alice");
    let both = scim_ok(&search(
        &t,
        json!({
            "schemas": [SEARCH],
            "filter": "userName eq \"bob\" or displayName eq \"alpha\"",
            "attributes": ["displayName"],
            "count": 1,
        }),
    ));
    // An attribute a type lacks is unassigned there: the `or` finds Bob among the users
    // and alpha among the groups.
    assert_eq!(both["totalResults"], 2, "{both}");
    assert_eq!(both["itemsPerPage"], 1);
    let either = scim_ok(&search(
        &t,
        json!({
            "schemas": [SEARCH],
            "filter": "userName ne \"bob\" and not (members pr)",
            "attributes": ["userName", "displayName"],
        }),
    ));
    // Users other than Bob (no `members`), and no group (each has members, and `userName
    // ne` holds for them but `members pr` too): alice.
    assert_eq!(either["totalResults"], 1, "{either}");
    assert_eq!(either["Resources"][0]["userName"], "alice");
    let names = scim_ok(&search(
        &t,
        json!({
            "schemas": [SEARCH],
            "filter": "meta.resourceType eq \"Group\" or meta.resourceType eq \"User\"",
            "attributes": ["displayName", "userName"],
            "sortBy": "id",
            "count": 2,
        }),
    ));
    assert_eq!(names["totalResults"], 3);
    assert_eq!(names["itemsPerPage"], 2);
    for r in names["Resources"].as_array().unwrap() {
        assert!(r.get("meta").is_none() && r.get("id").is_some(), "{r}");
    }
    // A filter no type can read is refused.
    let v = scim_refused(
        &search(&t, json!({"schemas": [SEARCH], "filter": "shoeSize gt 9"})),
        400,
    );
    assert_eq!(v["scimType"], "invalidFilter");
}

/// `/Me` (RFC 7644 §3.11) is the token's user; Janssen's `/UpdatedUsers` lists the users
/// changed since a time.
#[test]
fn me_and_updated_users() {
    let mut c = config();
    c.grant_types_supported.push("password".to_owned());
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let rp = h.register(json!({
        "client_name": "self-service",
        "grant_types": ["password"],
        "scope": "openid https://jans.io/scim/users.read https://jans.io/scim/users.write",
    }));
    let alice = h.add_user("alice");
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "correct horse battery"),
            (
                "scope",
                "openid https://jans.io/scim/users.read https://jans.io/scim/users.write",
            ),
        ],
        Some(basic(&rp)),
    );
    let mine = json(&r)["access_token"].as_str().unwrap().to_owned();
    let r = send(&h, &mine, ScimEndpoint::Me, Method::Get, None);
    let me = scim_ok(&r);
    assert_eq!(me["id"], alice.inum.as_str());
    assert_eq!(
        header(&r, "location").unwrap(),
        format!(
            "https://id.example.com/jans-scim/restv1/v2/Users/{}",
            alice.inum
        )
    );
    let r = send(
        &h,
        &mine,
        ScimEndpoint::Me,
        Method::Patch,
        Some(patch(
            json!([{"op": "add", "path": "nickName", "value": "Al"}]),
        )),
    );
    assert_eq!(scim_ok(&r)["nickName"], "Al");
    // A client's own token names no user.
    let t = token(&h, ALL);
    scim_refused(&send(&h, &t, ScimEndpoint::Me, Method::Get, None), 404);
    scim_refused(&send(&h, &t, ScimEndpoint::Me, Method::Post, None), 404);

    // UpdatedUsers: changed at or after the time, by userName, paged from 0.
    h.clock.advance(100);
    let since = h.ctx().now;
    h.add_user("carol");
    h.add_user("bob");
    h.clock.advance(10);
    let r = send(
        &h,
        &mine,
        ScimEndpoint::Me,
        Method::Patch,
        Some(patch(
            json!([{"op": "replace", "path": "nickName", "value": "Ally"}]),
        )),
    );
    assert_eq!(r.status(), 200);
    let updated = |query: &[(&str, String)]| {
        let mut req = Request::new(ScimEndpoint::UpdatedUsers, Method::Get);
        req.query = jans_core::params::Params::from_pairs(
            query.iter().map(|(k, v)| (k.to_string(), v.clone())),
        );
        h.call(with_token(req, &t))
    };
    let iso = jans_core::scim::datetime::format(since);
    let r = updated(&[("timeStamp", iso.clone()), ("pageSize", "2".into())]);
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_type(), Some("application/json"));
    let v = json(&r);
    assert_eq!(v["total"], 2);
    let uids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["uid"][0].as_str().unwrap())
        .collect();
    assert_eq!(uids, ["alice", "bob"]);
    assert_eq!(v["results"][0]["nickname"], json!(["Ally"]));
    assert_eq!(
        v["latestUpdateAt"],
        jans_core::scim::datetime::format(since + 10)
    );
    let r = updated(&[
        ("timeStamp", iso.clone()),
        ("start", "2".into()),
        ("pageSize", "2".into()),
    ]);
    assert_eq!(json(&r)["results"][0]["uid"], json!(["carol"]));
    for bad in [
        vec![
            ("timeStamp", "yesterday".to_owned()),
            ("pageSize", "2".into()),
        ],
        vec![("timeStamp", iso.clone()), ("pageSize", "0".into())],
        vec![
            ("timeStamp", iso),
            ("start", "-1".into()),
            ("pageSize", "1".into()),
        ],
    ] {
        scim_refused(&updated(&bad), 400);
    }
    let other = token(&h, "https://jans.io/scim/groups.read");
    let mut req = Request::new(ScimEndpoint::UpdatedUsers, Method::Get);
    req.query = jans_core::params::Params::from_pairs([(
        "timeStamp".to_owned(),
        "2020-01-01T00:00:00Z".to_owned(),
    )]);
    scim_refused(&h.call(with_token(req, &other)), 403);
}

/// Janssen's device views of the FIDO registrations: listed (by owner too), renamed with
/// PUT, deleted; POST is 501 and PATCH 405; each view needs its own scopes.
#[test]
fn fido_devices_are_views_of_the_registrations() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let bob = h.add_user("bob");
    let reg = |owner: &str, cred: &str, app_id: Option<&str>| {
        let r: jans_core::repo::fido2::Fido2Registration = serde_json::from_value(json!({
            "userInum": owner, "username": "x", "credentialId": cred, "publicKey": "pk",
            "algorithm": -7, "signCount": 3, "aaguid": "00000000-0000-0000-0000-000000000000",
            "backupEligible": false, "backedUp": false, "attestationFormat": "none",
            "attestationType": "none", "rpId": "id.example.com",
            "origin": "https://id.example.com", "createdAt": 1, "appId": app_id,
        }))
        .unwrap();
        block_on(h.stores.fido2.insert(&r)).unwrap();
        jans_core::repo::fido2::Registrations::credential_key(&r.credential_id_bytes().unwrap())
    };
    let a1 = reg(&alice.inum, "AQID", None);
    reg(&bob.inum, "BAUG", None);
    let u2f = reg(&alice.inum, "BwgJ", Some("https://id.example.com"));
    let t = token(
        &h,
        "https://jans.io/scim/fido2.read https://jans.io/scim/fido2.write \
         https://jans.io/scim/fido.read",
    );
    let list = |e: ScimEndpoint, query: &[(&str, &str)]| {
        let mut req = Request::new(e, Method::Get);
        req.query = jans_core::params::Params::from_pairs(
            query.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        );
        scim_ok(&h.call(with_token(req, &t)))
    };
    let all = list(ScimEndpoint::Fido2Devices, &[]);
    assert_eq!(all["totalResults"], 2);
    let mine = list(
        ScimEndpoint::Fido2Devices,
        &[("userId", alice.inum.as_str())],
    );
    assert_eq!(mine["totalResults"], 1);
    assert_eq!(mine["Resources"][0]["id"], a1.as_str());
    assert_eq!(mine["Resources"][0]["counter"], 3);
    let filtered = list(
        ScimEndpoint::Fido2Devices,
        &[("filter", &format!("userId eq \"{}\"", bob.inum))],
    );
    assert_eq!(filtered["totalResults"], 1);
    let legacy = list(ScimEndpoint::FidoDevices, &[]);
    assert_eq!(legacy["totalResults"], 1);
    assert_eq!(legacy["Resources"][0]["id"], u2f.as_str());
    assert_eq!(
        legacy["Resources"][0]["application"],
        "https://id.example.com"
    );

    // PUT renames; the immutable attributes cannot change.
    let device = ScimEndpoint::Fido2Device(a1.clone());
    let current = scim_ok(&send(&h, &t, device.clone(), Method::Get, None));
    let mut renamed = current.clone();
    renamed["displayName"] = "Blue key".into();
    let r = send(&h, &t, device.clone(), Method::Put, Some(renamed.clone()));
    assert_eq!(scim_ok(&r)["displayName"], "Blue key");
    let stored = block_on(h.stores.fido2.of_user(&alice.inum)).unwrap();
    assert!(
        stored
            .iter()
            .any(|r| r.nickname.as_deref() == Some("Blue key"))
    );
    let mut moved = renamed.clone();
    moved["userId"] = bob.inum.clone().into();
    let v = scim_refused(&send(&h, &t, device.clone(), Method::Put, Some(moved)), 400);
    assert_eq!(v["scimType"], "mutability");
    // A device of the other view is not found in this one.
    scim_refused(
        &send(
            &h,
            &t,
            ScimEndpoint::Fido2Device(u2f.clone()),
            Method::Get,
            None,
        ),
        404,
    );
    // POST is 501, PATCH 405; writing the U2F view needs fido.write.
    scim_refused(
        &send(
            &h,
            &t,
            ScimEndpoint::Fido2Devices,
            Method::Post,
            Some(current),
        ),
        501,
    );
    scim_refused(&send(&h, &t, device.clone(), Method::Patch, None), 405);
    scim_refused(
        &send(&h, &t, ScimEndpoint::FidoDevice(u2f), Method::Delete, None),
        403,
    );
    // DELETE removes the registration.
    let r = send(&h, &t, device.clone(), Method::Delete, None);
    assert_eq!(r.status(), 204);
    scim_refused(&send(&h, &t, device, Method::Get, None), 404);
    assert_eq!(
        block_on(h.stores.fido2.of_user(&alice.inum)).unwrap().len(),
        1
    );
}

/// Bad input to every SCIM write is the protocol's own 4xx, never a 500, and stores nothing
/// (issue 13, "Bad input").
#[test]
fn malformed_bodies_are_refused_and_store_nothing() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let t = token(
        &h,
        &format!("{ALL} https://jans.io/scim/bulk https://jans.io/scim/all-resources.search"),
    );
    let deep = "[".repeat(100_000);
    let bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"x\"".to_vec(),
        b"{".to_vec(),
        vec![0xff, 0xfe, 0x00],
        deep.into_bytes(),
        br#"{"schemas": 7}"#.to_vec(),
        br#"{"schemas": [null], "userName": {"a": 1}}"#.to_vec(),
        br#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 1e999}"#
            .to_vec(),
        br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "emails[", "value": 1}]}"#.to_vec(),
        br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bulkId:a"}}]}"#.to_vec(),
    ];
    let endpoints = [
        (ScimEndpoint::Users, Method::Post),
        (ScimEndpoint::Groups, Method::Post),
        (ScimEndpoint::User(alice.inum.clone()), Method::Put),
        (ScimEndpoint::User(alice.inum.clone()), Method::Patch),
        (ScimEndpoint::UsersSearch, Method::Post),
        (ScimEndpoint::Search, Method::Post),
        (ScimEndpoint::Bulk, Method::Post),
    ];
    let before = header(&user_at(&h, &t, &alice.inum), "etag");
    for (endpoint, method) in endpoints {
        for body in &bodies {
            let mut req = Request::new(endpoint.clone(), method);
            req.body = body.clone();
            let r = h.call(with_token(req, &t));
            let status = r.status();
            // Bulk answers 200 with each operation's own status; everything else is a 4xx.
            if endpoint == ScimEndpoint::Bulk && status == 200 {
                let ops = json(&r)["Operations"].clone();
                assert!(
                    ops.as_array()
                        .unwrap()
                        .iter()
                        .all(|o| o["status"].as_str().is_some_and(|s| s.starts_with('4'))),
                    "{ops}"
                );
                continue;
            }
            assert!(
                (400..500).contains(&status),
                "{endpoint:?} {method:?} {:?}: {status} {:?}",
                String::from_utf8_lossy(body.get(..60.min(body.len())).unwrap_or_default()),
                r.body
            );
            assert_eq!(r.content_type(), Some("application/scim+json"));
        }
    }
    assert_eq!(user_count(&h), 1);
    assert!(block_on(h.stores.groups.list()).unwrap().is_empty());
    assert_eq!(header(&user_at(&h, &t, &alice.inum), "etag"), before);
}
