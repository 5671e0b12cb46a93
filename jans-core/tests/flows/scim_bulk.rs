//! SCIM Bulk through `Engine::handle` (issue 13 item 7): `bulkId` references in any order,
//! a cycle through group members resolved, `failOnErrors`, the limits (413), refusals, and
//! passwords hashed ahead that sign in.

use jans_core::request::ScimEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::harness::*;
use super::scim::{scim_ok, scim_refused, token, with_token};
use super::scim_write::{GROUP, USER, harness_with_password_grant, password_grant};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn bulk(h: &Harness, t: &str, body: Value) -> Response {
    let mut req = Request::new(ScimEndpoint::Bulk, Method::Post);
    req.body = serde_json::to_vec(&body).unwrap();
    h.call(with_token(req, t))
}

fn results(r: &Response) -> Vec<Value> {
    let v = scim_ok(r);
    assert_eq!(
        v["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    v["Operations"].as_array().unwrap().clone()
}

fn user_op(bulk_id: &str, name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id,
           "data": {"schemas": [USER], "userName": name}})
}

fn counts(h: &Harness) -> (usize, usize) {
    (
        block_on(h.stores.users.list()).unwrap().len(),
        block_on(h.stores.groups.list()).unwrap().len(),
    )
}

/// The passwords of a Bulk request are hashed before its operations run, side by side: each
/// user signs in with its own, two users with one password get two salts, a replaced
/// password replaces the old one, and a password too short fails its operation alone.
#[test]
fn passwords_hashed_ahead_sign_in() {
    let (h, rp) = harness_with_password_grant();
    let t = token(
        &h,
        "https://jans.io/scim/bulk https://jans.io/scim/users.write",
    );
    let with = |bulk_id: &str, name: &str, pw: &str| {
        json!({"method": "POST", "path": "/Users", "bulkId": bulk_id,
               "data": {"schemas": [USER], "userName": name, "password": pw}})
    };
    let r = bulk(
        &h,
        &t,
        json!({"schemas": [BULK], "Operations": [
            with("a", "ann", "ann's secret"),
            with("b", "bob", "shared secret"),
            with("c", "cy", "shared secret"),
            with("d", "dee", "short"),
            {"method": "PUT", "path": "/Users/bulkId:a",
             "data": {"schemas": [USER], "userName": "ann", "password": "ann's new secret"}},
        ]}),
    );
    let ops = results(&r);
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "201", "201", "400", "200"], "{ops:?}");
    assert_eq!(ops[3]["response"]["scimType"], "invalidValue", "{ops:?}");
    assert!(password_grant(&h, &rp, "ann", "ann's new secret").is_ok());
    assert_eq!(
        password_grant(&h, &rp, "ann", "ann's secret").unwrap_err(),
        "invalid_grant"
    );
    for name in ["bob", "cy"] {
        assert!(
            password_grant(&h, &rp, name, "shared secret").is_ok(),
            "{name}"
        );
    }
    let phc = |name: &str| {
        block_on(h.stores.users.by_uid(name))
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap()
    };
    assert_ne!(phc("bob"), phc("cy"), "a salt each");
    assert!(block_on(h.stores.users.by_uid("dee")).unwrap().is_none());
}

#[test]
fn a_group_refers_to_users_created_in_the_same_request() {
    let h = Harness::new();
    let t = token(
        &h,
        "https://jans.io/scim/bulk https://jans.io/scim/groups.read",
    );
    // The group comes first and names users created after it: it waits for them.
    let r = bulk(
        &h,
        &t,
        json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": {"schemas": [GROUP], "displayName": "Tour Guides",
                      "members": [{"value": "bulkId:alice"}, {"value": "bulkId:bob"}]}},
            user_op("alice", "alice"),
            user_op("bob", "bob"),
            {"method": "PATCH", "path": "/Users/bulkId:bob",
             "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "add", "path": "nickName", "value": "Bobby"}]}},
        ]}),
    );
    let ops = results(&r);
    let by_id = |b: &str| {
        ops.iter()
            .find(|o| o["bulkId"] == b)
            .unwrap_or_else(|| panic!("{b}: {ops:?}"))
            .clone()
    };
    for b in ["g", "alice", "bob"] {
        let o = by_id(b);
        assert_eq!(o["status"], "201", "{o}");
        assert_eq!(o["method"], "POST");
        assert!(
            o["location"]
                .as_str()
                .unwrap()
                .contains("/jans-scim/restv1/v2/")
        );
        assert!(o["version"].as_str().unwrap().starts_with("W/\""));
        assert!(o.get("response").is_none());
    }
    // In the order run: the users before the group that names them.
    let order: Vec<&str> = ops.iter().filter_map(|o| o["bulkId"].as_str()).collect();
    assert_eq!(order, ["alice", "bob", "g"]);
    assert_eq!(ops[3]["method"], "PATCH");
    assert_eq!(ops[3]["status"], "200");
    let bob = block_on(h.engine.user("bob")).unwrap().unwrap();
    assert_eq!(bob.nickname.as_deref(), Some("Bobby"));
    let alice = block_on(h.engine.user("alice")).unwrap().unwrap();
    let gid = by_id("g")["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let g = scim_ok(&h.call(with_token(
        Request::new(ScimEndpoint::Group(gid), Method::Get),
        &t,
    )));
    let members: Vec<&str> = g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, [alice.inum.as_str(), bob.inum.as_str()]);
}

#[test]
fn cycles_unknown_references_and_fail_on_errors() {
    let h = Harness::new();
    let t = token(&h, "https://jans.io/scim/bulk");
    // Two groups, each a member of the other (RFC 7644 §3.7.1): both created, both members.
    let r = bulk(
        &h,
        &t,
        json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "a",
             "data": {"schemas": [GROUP], "displayName": "A", "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b",
             "data": {"schemas": [GROUP], "displayName": "B", "members": [{"value": "bulkId:a"}]}},
        ]}),
    );
    let ops = results(&r);
    assert!(ops.iter().all(|o| o["status"] == "201"), "{ops:?}");
    let groups = block_on(h.stores.groups.list()).unwrap();
    assert_eq!(groups.len(), 2);
    for g in &groups {
        let other = groups.iter().find(|o| o.inum != g.inum).unwrap();
        assert_eq!(g.members.len(), 1, "{g:?}");
        assert_eq!(g.members[0].value, other.inum);
    }

    // A cycle not through groups' members cannot be resolved: 409, nothing stored.
    let before = counts(&h);
    let r = bulk(
        &h,
        &t,
        json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "p",
             "data": {"schemas": [USER], "userName": "p", "externalId": "bulkId:q"}},
            {"method": "POST", "path": "/Users", "bulkId": "q",
             "data": {"schemas": [USER], "userName": "q", "externalId": "bulkId:p"}},
        ]}),
    );
    let ops = results(&r);
    assert_eq!(ops.len(), 2);
    for o in &ops {
        assert_eq!(o["status"], "409", "{o}");
        assert_eq!(o["response"]["scimType"], "invalidValue");
    }
    assert_eq!(counts(&h), before);

    // A reference to no operation, and one to a creation that failed: 409, nothing stored.
    let before = counts(&h);
    let r = bulk(
        &h,
        &t,
        json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "x",
             "data": {"schemas": [GROUP], "displayName": "X", "members": [{"value": "bulkId:nobody"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"schemas": [USER]}},
            {"method": "POST", "path": "/Groups", "bulkId": "y",
             "data": {"schemas": [GROUP], "displayName": "Y", "members": [{"value": "bulkId:bad"}]}},
            {"method": "DELETE", "path": "/Users/no-such-user"},
            {"method": "PUT", "path": "/Nope/1", "data": {}},
        ]}),
    );
    let ops = results(&r);
    let status: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["409", "400", "409", "404", "400"]);
    assert_eq!(ops[0]["response"]["scimType"], "invalidValue");
    assert_eq!(ops[1]["response"]["scimType"], "invalidValue");
    assert_eq!(ops[4]["response"]["scimType"], "invalidPath");
    assert_eq!(counts(&h), before);

    // failOnErrors 1: processing stops at the first failure; what ran before it stays.
    let r = bulk(
        &h,
        &t,
        json!({"schemas": [BULK], "failOnErrors": 1, "Operations": [
            user_op("u1", "carol"),
            user_op("u2", "CAROL"),
            user_op("u3", "dave"),
        ]}),
    );
    let ops = results(&r);
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert_eq!(ops[0]["status"], "201");
    assert_eq!(ops[1]["status"], "409");
    assert_eq!(ops[1]["response"]["scimType"], "uniqueness");
    assert!(block_on(h.engine.user("dave")).unwrap().is_none());
}

#[test]
fn limits_scope_and_shape() {
    use jans_core::repo::Stores;
    let mut c = config();
    c.scim_configuration.bulk_max_operations = 3;
    c.scim_configuration.bulk_max_payload_size = 4096;
    let h = Harness::with(c, Stores::memory(), [7; 32]);
    let t = token(&h, "https://jans.io/scim/bulk");
    let four: Vec<Value> = (0..4)
        .map(|i| user_op(&format!("u{i}"), &format!("u{i}")))
        .collect();
    scim_refused(
        &bulk(&h, &t, json!({"schemas": [BULK], "Operations": four})),
        413,
    );
    let big = json!({"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "b",
         "data": {"schemas": [USER], "userName": "big", "title": "x".repeat(5000)}},
    ]});
    scim_refused(&bulk(&h, &t, big), 413);
    assert_eq!(counts(&h), (0, 0));
    // Bulk bodies are bounded by bulkMaxPayloadSize, not by the 1 MiB of other requests.
    let mut c = config();
    c.scim_configuration.bulk_max_payload_size = 3 * 1024 * 1024;
    let h = Harness::with(c, Stores::memory(), [7; 32]);
    let t = token(&h, "https://jans.io/scim/bulk");
    let large = json!({"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "b",
         "data": {"schemas": [USER], "userName": "big", "title": "x".repeat(600_000)}},
        {"method": "POST", "path": "/Users", "bulkId": "c",
         "data": {"schemas": [USER], "userName": "big2", "title": "x".repeat(600_000)}},
    ]});
    let done = results(&bulk(&h, &t, large));
    assert!(done.iter().all(|o| o["status"] == "201"), "{done:?}");
    // The bulk scope is needed; a malformed request is invalidSyntax.
    let other = token(&h, "https://jans.io/scim/users.write");
    scim_refused(
        &bulk(&h, &other, json!({"schemas": [BULK], "Operations": []})),
        403,
    );
    for body in [
        json!({"Operations": []}),
        json!({"schemas": [BULK], "Operations": [{"method": "POST", "path": "/Users"}]}),
        json!({"schemas": [BULK], "Operations": [user_op("d", "a"), user_op("d", "b")]}),
    ] {
        let v = scim_refused(&bulk(&h, &t, body.clone()), 400);
        assert_eq!(v["scimType"], "invalidSyntax", "{body}");
    }
    let r = h.call(with_token(
        Request::new(ScimEndpoint::Bulk, Method::Get),
        &t,
    ));
    scim_refused(&r, 405);
}
