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
use super::scim::{scim_ok, scim_refused, token, with_token};

pub(super) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(super) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(super) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub(super) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(super) const ALL: &str = "https://jans.io/scim/users.read https://jans.io/scim/users.write \
                   https://jans.io/scim/groups.read https://jans.io/scim/groups.write";

pub(super) fn send(
    h: &Harness,
    t: &str,
    e: ScimEndpoint,
    m: Method,
    body: Option<Value>,
) -> Response {
    send_if(h, t, e, m, body, None)
}

pub(super) fn send_if(
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

pub(super) fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

pub(super) fn user_at(h: &Harness, t: &str, id: &str) -> Response {
    send(h, t, ScimEndpoint::User(id.into()), Method::Get, None)
}

/// The password grant for `user`: the access token, or the error code.
pub(super) fn password_grant(
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

pub(super) fn harness_with_password_grant() -> (Harness, RegisteredClient) {
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

pub(super) fn user_count(h: &Harness) -> usize {
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
