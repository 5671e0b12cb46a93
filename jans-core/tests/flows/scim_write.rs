//! SCIM writes through `Engine::handle` (issue 13 items 2, 5, 6, 8): users and groups
//! created, replaced, patched and deleted; versions with `If-Match`; one user base with the
//! auth-server (passwords sign in, `active: false` and deletion end sessions and tokens);
//! and the refusals, which store nothing.

use std::sync::{Arc, Barrier};

use jans_core::request::ScimEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::harness::*;
use super::scim::{scim_ok, scim_refused, with_token};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ALL: &str = "https://jans.io/scim/users.read https://jans.io/scim/users.write \
                   https://jans.io/scim/groups.read https://jans.io/scim/groups.write";

/// A token of a provisioning client holding `scope`.
fn token(h: &Harness, scope: &str) -> String {
    let c = h.register(json!({"client_name": "provisioner", "scope": scope}));
    h.cc_token(&c)
}

fn send(h: &Harness, t: &str, e: ScimEndpoint, m: Method, body: Option<Value>) -> Response {
    send_if(h, t, e, m, body, None)
}

fn send_if(
    h: &Harness,
    t: &str,
    e: ScimEndpoint,
    m: Method,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Response {
    let mut req = Request::new(e, m);
    if let Some(b) = body {
        req.body = serde_json::to_vec(&b).unwrap();
        req.content_type = Some("application/scim+json".into());
    }
    req.if_match = if_match.map(str::to_owned);
    h.call(with_token(req, t))
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn user_at(h: &Harness, t: &str, id: &str) -> Response {
    send(h, t, ScimEndpoint::User(id.into()), Method::Get, None)
}

/// The password grant for `user`: the access token, or the error code.
fn password_grant(
    h: &Harness,
    c: &RegisteredClient,
    user: &str,
    pw: &str,
) -> Result<String, String> {
    let r = h.token(
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", pw),
            ("scope", "openid"),
        ],
        Some(basic(c)),
    );
    let v = json(&r);
    match r.status() {
        200 => Ok(v["access_token"].as_str().unwrap().to_owned()),
        _ => Err(v["error"].as_str().unwrap_or_default().to_owned()),
    }
}

fn harness_with_password_grant() -> (Harness, RegisteredClient) {
    let mut c = config();
    c.grant_types_supported.push("password".to_owned());
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let rp = h.register(json!({
        "client_name": "app",
        "grant_types": ["password", "refresh_token"],
        "scope": "openid offline_access",
    }));
    (h, rp)
}

fn user_count(h: &Harness) -> usize {
    block_on(h.stores.users.list()).unwrap().len()
}

#[test]
fn users_are_created_replaced_patched_and_deleted() {
    let (h, rp) = harness_with_password_grant();
    let t = token(&h, ALL);
    let bjensen = json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "bjensen",
        "externalId": "701984",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Tour Guide",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@example.org", "type": "home"},
        ],
        "password": "t1meMa$heen",
        "id": "ignored: read-only",
        ENTERPRISE: {"employeeNumber": "42"},
    });

    // POST: 201 with Location and ETag; the password is never returned.
    let r = send(
        &h,
        &t,
        ScimEndpoint::Users,
        Method::Post,
        Some(bjensen.clone()),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    assert_eq!(r.content_type(), Some("application/scim+json"));
    let created = json(&r);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_ne!(id, "ignored: read-only");
    assert_eq!(
        header(&r, "location").as_deref(),
        created["meta"]["location"].as_str()
    );
    assert_eq!(
        header(&r, "etag").as_deref(),
        created["meta"]["version"].as_str()
    );
    assert_eq!(created["title"], "Tour Guide");
    assert_eq!(created[ENTERPRISE]["employeeNumber"], "42");
    assert!(created.get("password").is_none());
    assert!(!r.body_bytes().windows(6).any(|w| w == b"argon2"));

    // The same userName in another case: 409 uniqueness, nothing stored.
    let mut again = bjensen.clone();
    again["userName"] = "BJensen".into();
    let v = scim_refused(
        &send(&h, &t, ScimEndpoint::Users, Method::Post, Some(again)),
        409,
    );
    assert_eq!(v["scimType"], "uniqueness");
    assert_eq!(user_count(&h), 1);

    // One user base: the password signs in at the auth-server, stored as argon2id.
    let stored = block_on(h.stores.users.get(&id)).unwrap().unwrap();
    assert!(
        stored
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert_eq!(stored.mail.as_deref(), Some("bjensen@example.com"));
    let access = password_grant(&h, &rp, "bjensen", "t1meMa$heen").unwrap();
    assert_eq!(h.introspect(&rp, &access)["active"], true);

    // PUT with a stale If-Match: 412, nothing changes.
    let etag = header(&r, "etag").unwrap();
    let mut replaced = bjensen.clone();
    replaced.as_object_mut().unwrap().remove("title");
    replaced.as_object_mut().unwrap().remove("password");
    replaced["displayName"] = "Babs".into();
    let user = ScimEndpoint::User(id.clone());
    let stale = "W/\"stale\"";
    scim_refused(
        &send_if(
            &h,
            &t,
            user.clone(),
            Method::Put,
            Some(replaced.clone()),
            Some(stale),
        ),
        412,
    );
    assert_eq!(header(&user_at(&h, &t, &id), "etag").unwrap(), etag);
    // With the current version: replaced; what it left out is gone, the password stays.
    h.clock.advance(5);
    let r = send_if(
        &h,
        &t,
        user.clone(),
        Method::Put,
        Some(replaced),
        Some(&etag),
    );
    let put = scim_ok(&r);
    assert_eq!(put["displayName"], "Babs");
    assert!(put.get("title").is_none(), "{put}");
    assert_ne!(put["meta"]["version"], etag.as_str());
    assert_ne!(put["meta"]["lastModified"], put["meta"]["created"]);
    assert!(password_grant(&h, &rp, "bjensen", "t1meMa$heen").is_ok());

    // PATCH through a value filter: the work email changes, and so does the claim.
    let r = send(
        &h,
        &t,
        user.clone(),
        Method::Patch,
        Some(patch(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com"},
            {"op": "add", "value": {"nickName": "Babs", "password": "a new passw0rd"}},
        ]))),
    );
    let patched = scim_ok(&r);
    assert_eq!(patched["emails"][0]["value"], "barbara@example.com");
    assert_eq!(patched["emails"][1]["value"], "babs@example.org");
    assert_eq!(patched["nickName"], "Babs");
    let stored = block_on(h.stores.users.get(&id)).unwrap().unwrap();
    assert_eq!(stored.mail.as_deref(), Some("barbara@example.com"));
    assert_eq!(stored.nickname.as_deref(), Some("Babs"));
    assert_eq!(
        password_grant(&h, &rp, "bjensen", "t1meMa$heen"),
        Err("invalid_grant".into())
    );
    assert!(password_grant(&h, &rp, "bjensen", "a new passw0rd").is_ok());

    // Refused PATCHes store nothing: a required attribute removed, a read-only one
    // written, a missing target, a wrong type, a password too short.
    let before = header(&user_at(&h, &t, &id), "etag").unwrap();
    for (ops, scim_type) in [
        (
            json!([{"op": "remove", "path": "userName"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "x@y"}]),
            "noTarget",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": 3}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "nickName", "value": "ok"},
                   {"op": "replace", "path": "password", "value": "short"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "shoeSize", "value": 9}]),
            "invalidPath",
        ),
    ] {
        let v = scim_refused(
            &send(
                &h,
                &t,
                user.clone(),
                Method::Patch,
                Some(patch(ops.clone())),
            ),
            400,
        );
        assert_eq!(v["scimType"], scim_type, "{ops}");
    }
    // Renamed to another user's userName (in another case): 409 uniqueness.
    h.add_user("alice");
    for (m, body) in [
        (
            Method::Patch,
            patch(json!([{"op": "replace", "path": "userName", "value": "Alice"}])),
        ),
        (Method::Put, json!({"schemas": [USER], "userName": "ALICE"})),
    ] {
        let v = scim_refused(&send(&h, &t, user.clone(), m, Some(body)), 409);
        assert_eq!(v["scimType"], "uniqueness");
    }
    assert_eq!(header(&user_at(&h, &t, &id), "etag").unwrap(), before);

    // active: false ends the sessions and the tokens; the password no longer signs in.
    let session = jans_core::repo::session::Session {
        sid: "sid-1".into(),
        user_inum: id.clone(),
        auth_time: 0,
        acr: "simple_password_auth".into(),
        amr: vec!["pwd".into()],
        opbs: String::new(),
        clients: Vec::new(),
    };
    let now = h.ctx().now;
    block_on(h.stores.sessions.insert("s-key", &session, now, now + 3600)).unwrap();
    let access = password_grant(&h, &rp, "bjensen", "a new passw0rd").unwrap();
    let tokens = json(&h.token(
        &[
            ("grant_type", "password"),
            ("username", "bjensen"),
            ("password", "a new passw0rd"),
            ("scope", "openid offline_access"),
        ],
        Some(basic(&rp)),
    ));
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let r = send(
        &h,
        &t,
        user.clone(),
        Method::Patch,
        Some(patch(
            json!([{"op": "replace", "value": {"active": "False"}}]),
        )),
    );
    assert_eq!(scim_ok(&r)["active"], false);
    assert!(
        block_on(h.stores.sessions.get("s-key", now))
            .unwrap()
            .is_none()
    );
    assert_eq!(h.introspect(&rp, &access)["active"], false);
    assert_error(
        &h.token(
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some(basic(&rp)),
        ),
        400,
        "invalid_grant",
    );
    assert_eq!(
        password_grant(&h, &rp, "bjensen", "a new passw0rd"),
        Err("invalid_grant".into())
    );

    // DELETE: a stale version is 412; then 204, and the user, its FIDO2 registrations and
    // its tokens are gone.
    let reg: jans_core::repo::fido2::Fido2Registration = serde_json::from_value(json!({
        "userInum": id, "username": "bjensen", "credentialId": "AQID", "publicKey": "pk",
        "algorithm": -7, "signCount": 0, "aaguid": "00000000-0000-0000-0000-000000000000",
        "backupEligible": false, "backedUp": false, "attestationFormat": "none",
        "attestationType": "none", "rpId": "id.example.com",
        "origin": "https://id.example.com", "createdAt": 1,
    }))
    .unwrap();
    block_on(h.stores.fido2.insert(&reg)).unwrap();
    // Enabled again, with a session and a token, to see them go with the user.
    let r = send(
        &h,
        &t,
        user.clone(),
        Method::Patch,
        Some(patch(
            json!([{"op": "replace", "path": "active", "value": true}]),
        )),
    );
    assert_eq!(scim_ok(&r)["active"], true);
    let access = password_grant(&h, &rp, "bjensen", "a new passw0rd").unwrap();
    block_on(
        h.stores
            .sessions
            .insert("s-key2", &session, now, now + 3600),
    )
    .unwrap();
    scim_refused(
        &send_if(&h, &t, user.clone(), Method::Delete, None, Some(stale)),
        412,
    );
    assert_eq!(user_count(&h), 2);
    let r = send_if(&h, &t, user.clone(), Method::Delete, None, Some("*"));
    assert_eq!(r.status(), 204, "{:?}", r.body);
    assert!(r.body_bytes().is_empty());
    scim_refused(&user_at(&h, &t, &id), 404);
    scim_refused(&send(&h, &t, user, Method::Delete, None), 404);
    assert!(block_on(h.stores.fido2.of_user(&id)).unwrap().is_empty());
    assert!(
        block_on(h.stores.sessions.get("s-key2", now))
            .unwrap()
            .is_none()
    );
    assert_eq!(h.introspect(&rp, &access)["active"], false);
    assert_eq!(user_count(&h), 1);
}

#[test]
fn writes_need_the_write_scope_and_a_resource_body() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let read = token(
        &h,
        "https://jans.io/scim/users.read https://jans.io/scim/groups.read",
    );
    let body = json!({"schemas": [USER], "userName": "bob"});
    let r = send(
        &h,
        &read,
        ScimEndpoint::Users,
        Method::Post,
        Some(body.clone()),
    );
    scim_refused(&r, 403);
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("users.write")
    );
    scim_refused(
        &send(
            &h,
            &read,
            ScimEndpoint::User(alice.inum.clone()),
            Method::Delete,
            None,
        ),
        403,
    );
    let r = send(
        &h,
        &read,
        ScimEndpoint::Groups,
        Method::Post,
        Some(json!({})),
    );
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("groups.write")
    );
    let t = token(&h, ALL);
    for (b, status, scim_type) in [
        (json!({"userName": "bob"}), 400, "invalidSyntax"),
        (json!({"schemas": [USER]}), 400, "invalidValue"),
        (
            json!({"schemas": [USER], "userName": "bob", "shoeSize": 9}),
            400,
            "invalidSyntax",
        ),
        (
            json!({"schemas": [USER], "userName": "bob", "password": "short"}),
            400,
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "ALICE"}),
            409,
            "uniqueness",
        ),
        (
            json!({"schemas": [GROUP], "displayName": "x"}),
            400,
            "invalidValue",
        ),
    ] {
        let v = scim_refused(
            &send(&h, &t, ScimEndpoint::Users, Method::Post, Some(b.clone())),
            status,
        );
        assert_eq!(v["scimType"], scim_type, "{b}");
    }
    assert_eq!(user_count(&h), 1);
    // Methods an endpoint does not answer: 405 with Allow.
    let r = send(&h, &t, ScimEndpoint::Users, Method::Put, Some(body));
    scim_refused(&r, 405);
    assert_eq!(header(&r, "allow").as_deref(), Some("GET, POST"));
    // A user created without a password cannot sign in, and can be given one.
    let r = send(
        &h,
        &t,
        ScimEndpoint::Users,
        Method::Post,
        Some(json!({"schemas": [USER], "userName": "carol"})),
    );
    assert_eq!(r.status(), 201);
    let carol = block_on(h.engine.check_password("carol", "any password at all")).unwrap();
    assert!(carol.is_none());
}

#[test]
fn groups_are_written_and_memberships_follow() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let bob = h.add_user("bob");
    let t = token(&h, ALL);
    let groups_before = || block_on(h.stores.groups.list()).unwrap().len();

    // A member that does not exist: invalidValue, nothing stored.
    let v = scim_refused(
        &send(
            &h,
            &t,
            ScimEndpoint::Groups,
            Method::Post,
            Some(json!({
                "schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "nobody"}],
            })),
        ),
        400,
    );
    assert_eq!(v["scimType"], "invalidValue");
    assert_eq!(groups_before(), 0);

    let r = send(
        &h,
        &t,
        ScimEndpoint::Groups,
        Method::Post,
        Some(json!({
            "schemas": [GROUP], "displayName": "Tour Guides", "externalId": "tg",
            "members": [{"value": alice.inum, "display": "ignored"}],
        })),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let g = json(&r);
    let gid = g["id"].as_str().unwrap().to_owned();
    assert_eq!(g["members"][0]["type"], "User");
    assert_eq!(g["externalId"], "tg");
    // A group inside another.
    let r = send(
        &h,
        &t,
        ScimEndpoint::Groups,
        Method::Post,
        Some(json!({
            "schemas": [GROUP], "displayName": "Staff", "members": [{"value": gid}],
        })),
    );
    let staff = json(&r)["id"].as_str().unwrap().to_owned();
    assert_eq!(json(&r)["members"][0]["type"], "Group");

    // PATCH members: Bob in, Alice out (how Okta and Entra ID send it).
    let group = ScimEndpoint::Group(gid.clone());
    scim_ok(&send(
        &h,
        &t,
        group.clone(),
        Method::Patch,
        Some(patch(json!([
            {"op": "add", "path": "members", "value": [{"value": bob.inum}]},
            {"op": "remove", "path": "members", "value": [{"value": alice.inum}]},
        ]))),
    ));
    let groups_of = |inum: &str| -> Vec<String> {
        scim_ok(&user_at(&h, &t, inum))["groups"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|g| g["display"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(groups_of(&bob.inum), ["Tour Guides"]);
    assert!(groups_of(&alice.inum).is_empty());
    // A group cannot hold itself; PUT replaces the members.
    let v = scim_refused(
        &send(
            &h,
            &t,
            group.clone(),
            Method::Put,
            Some(json!({
                "schemas": [GROUP], "displayName": "Tour Guides", "members": [{"value": gid}],
            })),
        ),
        400,
    );
    assert_eq!(v["scimType"], "invalidValue");
    let put = scim_ok(&send(
        &h,
        &t,
        group.clone(),
        Method::Put,
        Some(json!({
            "schemas": [GROUP], "displayName": "Guides", "members": [{"value": alice.inum}, {"value": bob.inum}],
        })),
    ));
    assert_eq!(put["members"].as_array().unwrap().len(), 2);
    assert!(put.get("externalId").is_none(), "PUT replaces: {put}");

    // Deleting a user takes it out of its groups; deleting a group, out of its parents.
    let r = send(
        &h,
        &t,
        ScimEndpoint::User(bob.inum.clone()),
        Method::Delete,
        None,
    );
    assert_eq!(r.status(), 204);
    let now = scim_ok(&send(&h, &t, group.clone(), Method::Get, None));
    assert_eq!(
        now["members"],
        json!([{"value": alice.inum, "type": "User",
        "$ref": format!("https://id.example.com/jans-scim/restv1/v2/Users/{}", alice.inum)}])
    );
    assert_eq!(send(&h, &t, group, Method::Delete, None).status(), 204);
    let parent = scim_ok(&send(&h, &t, ScimEndpoint::Group(staff), Method::Get, None));
    assert!(parent.get("members").is_none(), "{parent}");
}

/// Concurrent PATCHes naming the same version: exactly one wins, the others get 412; without
/// `If-Match` none is lost. On every backend.
#[test]
fn concurrent_patches_on_every_backend() {
    for backend in super::backends::all() {
        let h = Arc::new(Harness::with(config(), backend.stores.clone(), [7; 32]));
        let alice = h.add_user("alice");
        let t = token(&h, ALL);
        let user = ScimEndpoint::User(alice.inum.clone());
        let etag = header(&user_at(&h, &t, &alice.inum), "etag").unwrap();
        let race = |with_version: bool| -> Vec<u16> {
            let barrier = Arc::new(Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|i| {
                    let (h, t, user, etag, barrier) = (
                        h.clone(),
                        t.clone(),
                        user.clone(),
                        etag.clone(),
                        barrier.clone(),
                    );
                    std::thread::spawn(move || {
                        let ops = json!([{"op": "add", "path": "emails",
                            "value": [{"value": format!("a{i}@example.com"), "type": "other"}]}]);
                        barrier.wait();
                        let v = with_version.then_some(etag.as_str());
                        send_if(&h, &t, user, Method::Patch, Some(patch(ops)), v).status()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        };
        let statuses = race(true);
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{}: {statuses:?}",
            backend.name
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 412).count(),
            7,
            "{}: {statuses:?}",
            backend.name
        );
        let statuses = race(false);
        assert!(
            statuses.iter().all(|s| *s == 200),
            "{}: {statuses:?}",
            backend.name
        );
        let emails = scim_ok(&user_at(&h, &t, &alice.inum))["emails"]
            .as_array()
            .unwrap()
            .len();
        // The second race adds the eight values, one of which the first race's winner
        // added already (a value already there is not added twice): eight, none lost.
        assert_eq!(emails, 8, "{}", backend.name);
    }
}

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
    // A filter naming an attribute a type lacks matches none of that type, even in an `or`.
    assert_eq!(both["totalResults"], 1, "{both}");
    assert_eq!(both["Resources"][0]["displayName"], Value::Null);
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
