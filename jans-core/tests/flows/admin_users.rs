//! People through the config API (`mgt/configuser`, issue 14): Janssen's `CustomUser` in
//! and out, `userMandatoryAttributes`, the password set through it (argon2id, never
//! shown, signing in), Janssen's `UserPatchRequest`, deletion taking what refers to the
//! person with it, each operation's scopes, and bad input changing nothing.

use jans_core::repo::group::{Group, Member, MemberKind};
use jans_core::repo::user::User;
use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::admin_util::{refused, token};
use super::harness::*;

fn send(
    h: &Harness,
    endpoint: AdminEndpoint,
    method: Method,
    t: &str,
    body: Option<Value>,
) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = Some(format!("Bearer {t}"));
    if let Some(b) = body {
        req.content_type = Some("application/json".into());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

fn users(h: &Harness) -> Vec<User> {
    block_on(h.stores.users.list()).unwrap()
}

fn signs_in(h: &Harness, uid: &str, password: &str) -> bool {
    block_on(h.engine.check_password(uid, password))
        .unwrap()
        .is_some()
}

const ALICE: &str = "correct horse battery staple";

#[test]
fn a_person_is_created_read_changed_and_deleted() {
    let h = Harness::new();
    let w = token(&h, "https://jans.io/oauth/config/user.write");
    let r = token(&h, "https://jans.io/oauth/config/user.readonly");
    let d = token(&h, "https://jans.io/oauth/config/user.delete");
    // userMandatoryAttributes: Janssen's five by default.
    let lacking = refused(
        &send(
            &h,
            AdminEndpoint::Users,
            Method::Post,
            &w,
            Some(json!({"userId": "alice"})),
        ),
        400,
    );
    for name in ["mail", "displayName", "userPassword", "givenName"] {
        assert!(lacking.contains(name), "{lacking}");
    }
    let created = send(
        &h,
        AdminEndpoint::Users,
        Method::Post,
        &w,
        Some(json!({
            "userId": "alice", "mail": "alice@example.com", "displayName": "Alice Smith",
            "givenName": "Alice", "jansStatus": "active", "userPassword": ALICE,
            "customAttributes": [{"name": "sn", "multiValued": false, "values": ["Smith"]},
                {"name": "emailVerified", "values": [true]}],
        })),
    );
    assert_eq!(created.status(), 201, "{:?}", created.body);
    let alice = json(&created);
    let inum = alice["inum"].as_str().unwrap().to_owned();
    assert!(alice.get("userPassword").is_none(), "{alice}");
    assert_eq!(alice["dn"], format!("inum={inum},ou=people,o=jans"));
    assert!(signs_in(&h, "alice", ALICE));
    let stored = block_on(h.stores.users.get(&inum)).unwrap().unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    assert_eq!(stored.family_name.as_deref(), Some("Smith"));
    assert!(stored.email_verified);
    // The userId is taken now.
    let again = send(
        &h,
        AdminEndpoint::Users,
        Method::Post,
        &w,
        Some(
            json!({"userId": "alice", "mail": "a2@example.com", "displayName": "A",
            "givenName": "A", "jansStatus": "active", "userPassword": ALICE}),
        ),
    );
    assert!(refused(&again, 409).contains("alice"));

    // Reads: one, and the list with a pattern.
    let one = json(&send(
        &h,
        AdminEndpoint::User(inum.clone()),
        Method::Get,
        &r,
        None,
    ));
    assert_eq!(one["userId"], "alice");
    assert_eq!(
        one["customAttributes"][0],
        json!({"name": "sn", "multiValued": false, "values": ["Smith"]})
    );
    let mut req = Request::new(AdminEndpoint::Users, Method::Get);
    req.authorization = Some(format!("Bearer {r}"));
    req.query = jans_core::params::Params::from_pairs([("pattern".to_owned(), "SMITH".to_owned())]);
    let list = json(&h.call(req));
    assert_eq!(list["totalEntriesCount"], 1, "{list}");

    // PUT what a GET shows, changed: the password stays.
    let mut changed = one.clone();
    changed["displayName"] = "Alice S.".into();
    let put = send(&h, AdminEndpoint::Users, Method::Put, &w, Some(changed));
    assert_eq!(put.status(), 200, "{:?}", put.body);
    assert_eq!(json(&put)["displayName"], "Alice S.");
    assert!(signs_in(&h, "alice", ALICE));

    // Janssen's UserPatchRequest: a patch as text, and custom attributes.
    let new_password = "tr0ub4dor and then some";
    let patch = json!([
        {"op": "replace", "path": "/mail", "value": "alice@example.org"},
        {"op": "add", "path": "/userPassword", "value": new_password},
    ]);
    let p = send(
        &h,
        AdminEndpoint::User(inum.clone()),
        Method::Patch,
        &w,
        Some(json!({"jsonPatchString": patch.to_string(),
            "customAttributes": [{"name": "nickname", "values": ["Al"]}]})),
    );
    assert_eq!(p.status(), 200, "{:?}", p.body);
    let stored = block_on(h.stores.users.get(&inum)).unwrap().unwrap();
    assert_eq!(stored.mail.as_deref(), Some("alice@example.org"));
    assert_eq!(stored.nickname.as_deref(), Some("Al"));
    assert_eq!(
        stored.family_name.as_deref(),
        Some("Smith"),
        "a patch keeps the others"
    );
    assert!(signs_in(&h, "alice", new_password));
    assert!(!signs_in(&h, "alice", ALICE));
    // The audit log has the patch, the password redacted.
    let audit = token(&h, "https://jans.io/oauth/config/logging.readonly");
    let log = json(&send(&h, AdminEndpoint::Audit, Method::Get, &audit, None)).to_string();
    assert!(log.contains("mgt/configuser"), "{log}");
    assert!(!log.contains(new_password), "{log}");

    // Disabled: no sign-in.
    let p = send(
        &h,
        AdminEndpoint::User(inum.clone()),
        Method::Patch,
        &w,
        Some(
            json!({"jsonPatchString": r#"[{"op": "replace", "path": "/jansStatus", "value": "inactive"}]"#}),
        ),
    );
    assert_eq!(p.status(), 200, "{:?}", p.body);
    assert!(!signs_in(&h, "alice", new_password));

    // Deleted, and out of the groups it was in.
    block_on(h.stores.groups.insert(&Group {
        inum: "g1".into(),
        display_name: "staff".into(),
        members: vec![Member {
            value: inum.clone(),
            kind: MemberKind::User,
        }],
        ..Group::default()
    }))
    .unwrap();
    refused(
        &send(
            &h,
            AdminEndpoint::User(inum.clone()),
            Method::Delete,
            &w,
            None,
        ),
        403,
    );
    assert_eq!(
        send(
            &h,
            AdminEndpoint::User(inum.clone()),
            Method::Delete,
            &d,
            None
        )
        .status(),
        204
    );
    assert!(block_on(h.stores.users.get(&inum)).unwrap().is_none());
    let (_, g) = block_on(h.stores.groups.get("g1")).unwrap().unwrap();
    assert!(g.members.is_empty());
    refused(
        &send(&h, AdminEndpoint::User(inum.clone()), Method::Get, &r, None),
        404,
    );
    refused(
        &send(&h, AdminEndpoint::User(inum), Method::Delete, &d, None),
        404,
    );
}

#[test]
fn bad_user_writes_are_refused_and_change_nothing() {
    let h = Harness::new();
    let w = token(&h, "https://jans.io/oauth/config/user.admin");
    h.add_user("bob");
    let bob = block_on(h.stores.users.by_uid("bob")).unwrap().unwrap();
    let before = users(&h);
    let full = |extra: Value| {
        let mut v = json!({"userId": "carol", "mail": "c@example.com", "displayName": "C",
            "givenName": "C", "jansStatus": "active", "userPassword": ALICE});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    for (body, named) in [
        (full(json!({"madeUp": 1})), "madeUp"),
        (full(json!({"userId": "bad uid!"})), "uid"),
        (full(json!({"jansStatus": "asleep"})), "jansStatus"),
        (full(json!({"userPassword": "short"})), "userPassword"),
        (
            full(json!({"customAttributes": [{"name": "favouriteColour", "values": ["red"]}]})),
            "favouriteColour",
        ),
        (full(json!({"inum": "chosen"})), "inum"),
        (full(json!({"userId": "bob"})), "bob"),
        (json!([]), "object"),
    ] {
        let r = send(
            &h,
            AdminEndpoint::Users,
            Method::Post,
            &w,
            Some(body.clone()),
        );
        assert!(
            r.status() == 400 || r.status() == 409,
            "{body}: {:?}",
            r.body
        );
        let d = json(&r)["description"].as_str().unwrap().to_owned();
        assert!(d.contains(named), "{body}: {d}");
    }
    for (patch, named) in [
        (json!({"jsonPatchString": "not json"}), "jsonPatchString"),
        (
            json!({"jsonPatchString": r#"[{"op": "replace", "path": "/inum", "value": "x"}]"#}),
            "inum",
        ),
        (
            json!({"jsonPatchString": r#"[{"op": "test", "path": "/userId", "value": "nobody"}]"#}),
            "test",
        ),
        (
            json!({"jsonPatchString": r#"[{"op": "add", "path": "", "value": {}}]"#}),
            "member at a time",
        ),
        (json!({"other": 1}), "other"),
    ] {
        let r = send(
            &h,
            AdminEndpoint::User(bob.inum.clone()),
            Method::Patch,
            &w,
            Some(patch.clone()),
        );
        let d = refused(&r, 400);
        assert!(d.contains(named), "{patch}: {d}");
    }
    refused(
        &send(
            &h,
            AdminEndpoint::Users,
            Method::Put,
            &w,
            Some(json!({"inum": "nobody", "userId": "x"})),
        ),
        404,
    );
    assert_eq!(users(&h), before, "nothing stored changed");
}

/// Janssen's `role` (what makes a Casa administrator) is a multi-valued custom attribute,
/// kept as the person's SCIM `roles`: written, shown, replaced, cleared; a role that is not
/// text is refused and changes nothing.
#[test]
fn roles_are_a_multi_valued_custom_attribute() {
    let h = Harness::new();
    let w = token(&h, "https://jans.io/oauth/config/user.write");
    let r = token(&h, "https://jans.io/oauth/config/user.readonly");
    let person = |custom: Value| {
        json!({
            "userId": "dave", "mail": "dave@example.com", "displayName": "Dave",
            "givenName": "Dave", "jansStatus": "active", "userPassword": ALICE,
            "customAttributes": custom,
        })
    };
    let created = send(
        &h,
        AdminEndpoint::Users,
        Method::Post,
        &w,
        Some(person(
            json!([{"name": "role", "multiValued": true, "values": ["CasaAdmin", "auditor", "CasaAdmin"]}]),
        )),
    );
    assert_eq!(created.status(), 201, "{:?}", created.body);
    let inum = json(&created)["inum"].as_str().unwrap().to_owned();
    let stored = || block_on(h.stores.users.get(&inum)).unwrap().unwrap();
    assert_eq!(stored().roles(), ["CasaAdmin", "auditor"]);
    let shown = json(&send(
        &h,
        AdminEndpoint::User(inum.clone()),
        Method::Get,
        &r,
        None,
    ));
    assert_eq!(
        shown["customAttributes"],
        json!([{"name": "role", "multiValued": true, "values": ["CasaAdmin", "auditor"]}])
    );
    for bad in [
        json!([{"name": "role", "values": [7]}]),
        json!([{"name": "role", "values": [""]}]),
        json!([{"name": "role", "values": ["x".repeat(129)]}]),
    ] {
        let mut body = person(bad.clone());
        body["inum"] = inum.clone().into();
        let answer = send(&h, AdminEndpoint::Users, Method::Put, &w, Some(body));
        refused(&answer, 400);
        assert_eq!(stored().roles(), ["CasaAdmin", "auditor"], "{bad}");
    }
    // Replaced without it: no role any more.
    let mut body = person(json!([]));
    body["inum"] = inum.clone().into();
    let answer = send(&h, AdminEndpoint::Users, Method::Put, &w, Some(body));
    assert_eq!(answer.status(), 200, "{:?}", answer.body);
    assert!(stored().roles().is_empty());
    assert!(!stored().scim.contains_key("roles"));
}
