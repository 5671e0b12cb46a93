//! SCIM discovery through `Engine::handle` at Janssen's paths (issue 13 item 1): the
//! service provider's configuration, resource types and schemas, Janssen's endpoint
//! directory, and their refusals in SCIM's error form.

use jans_core::request::ScimEndpoint;
use jans_core::{Method, Request, Response};
use serde_json::Value;

use super::harness::*;

const BASE: &str = "https://id.example.com/jans-scim/restv1/v2";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn get(h: &Harness, e: ScimEndpoint) -> Response {
    h.call(Request::new(e, Method::Get))
}

/// A 200 in `application/scim+json`: its body.
pub(super) fn scim_ok(r: &Response) -> Value {
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(r.content_type(), Some("application/scim+json"));
    json(r)
}

/// A SCIM error (RFC 7644 §3.12) with this status.
pub(super) fn scim_refused(r: &Response, status: u16) -> Value {
    assert_eq!(r.status(), status, "{:?}", r.body);
    assert_eq!(r.content_type(), Some("application/scim+json"));
    let v = json(r);
    assert_eq!(
        v["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{v}"
    );
    assert_eq!(v["status"], status.to_string());
    assert!(!v["detail"].as_str().unwrap().is_empty());
    v
}

#[test]
fn discovery_documents() {
    let h = Harness::new();
    let spc = scim_ok(&get(&h, ScimEndpoint::ServiceProviderConfig));
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], 200);
    assert_eq!(spc["bulk"]["maxOperations"], 30);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    assert_eq!(
        spc["meta"]["location"],
        format!("{BASE}/ServiceProviderConfig")
    );

    let types = scim_ok(&get(&h, ScimEndpoint::ResourceTypes));
    assert_eq!(types["totalResults"], 4);
    assert_eq!(types["Resources"][0]["schema"], USER);
    let user = scim_ok(&get(&h, ScimEndpoint::ResourceType("User".into())));
    assert_eq!(user["endpoint"], "/Users");

    let schemas = scim_ok(&get(&h, ScimEndpoint::Schemas));
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            USER,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:gluu:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "urn:ietf:params:scim:schemas:core:2.0:FidoDevice",
            "urn:ietf:params:scim:schemas:core:2.0:Fido2Device",
        ]
    );
    // One schema by its URN, in any case.
    let one = scim_ok(&get(&h, ScimEndpoint::Schema(USER.to_uppercase())));
    assert_eq!(one["id"], USER);
    assert_eq!(one["meta"]["location"], format!("{BASE}/Schemas/{USER}"));

    // Janssen's directory is plain JSON.
    let c = get(&h, ScimEndpoint::Configuration);
    assert_eq!(c.status(), 200);
    assert_eq!(c.content_type(), Some("application/json"));
    assert_eq!(json(&c)[0]["schemas_endpoint"], format!("{BASE}/Schemas"));
}

#[test]
fn refusals_are_scim_errors() {
    let h = Harness::new();
    scim_refused(&get(&h, ScimEndpoint::ResourceType("Nope".into())), 404);
    scim_refused(&get(&h, ScimEndpoint::Schema("urn:x".into())), 404);
    for e in [
        ScimEndpoint::ServiceProviderConfig,
        ScimEndpoint::Schemas,
        ScimEndpoint::Schema(USER.into()),
    ] {
        let r = h.call(Request::new(e, Method::Post));
        scim_refused(&r, 405);
        assert_eq!(header(&r, "allow").as_deref(), Some("GET"));
    }
}

#[test]
fn configured_limits_and_custom_attributes_are_served() {
    use jans_core::config::scim::CustomAttribute;
    use jans_core::repo::Stores;
    let mut c = config();
    c.scim_configuration.max_count = 50;
    c.scim_configuration.bulk_max_operations = 10;
    c.scim_configuration.custom_attributes = vec![CustomAttribute {
        name: "badgeNumber".into(),
        ty: "integer".into(),
        multi_valued: false,
        required: true,
    }];
    let h = Harness::with(c, Stores::memory(), [7; 32]);
    let spc = scim_ok(&get(&h, ScimEndpoint::ServiceProviderConfig));
    assert_eq!(spc["filter"]["maxResults"], 50);
    assert_eq!(spc["bulk"]["maxOperations"], 10);
    let gluu = scim_ok(&get(
        &h,
        ScimEndpoint::Schema("urn:ietf:params:scim:schemas:extension:gluu:2.0:User".into()),
    ));
    assert_eq!(gluu["attributes"][0]["name"], "badgeNumber");
    assert_eq!(gluu["attributes"][0]["type"], "integer");
    assert_eq!(gluu["attributes"][0]["required"], true);
}

const READ: &str = "https://jans.io/scim/users.read";

/// A token of a provisioning client holding `scope`.
pub(super) fn token(h: &Harness, scope: &str) -> String {
    let c = h.register(serde_json::json!({"client_name": "provisioner", "scope": scope}));
    h.cc_token(&c)
}

pub(super) fn with_token(mut req: Request, token: &str) -> Request {
    req.authorization = Some(format!("Bearer {token}"));
    req
}

fn users_query(h: &Harness, token: &str, query: &[(&str, &str)]) -> Response {
    let mut req = Request::new(ScimEndpoint::Users, Method::Get);
    req.query = jans_core::params::Params::from_pairs(
        query.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    );
    h.call(with_token(req, token))
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn users_are_read_with_a_token_holding_users_read() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    h.add_user("Bob");
    h.add_user("carol");
    let t = token(&h, READ);

    // One user, by id: the SCIM User, its ETag, never the password.
    let r = h.call(with_token(
        Request::new(ScimEndpoint::User(alice.inum.clone()), Method::Get),
        &t,
    ));
    let u = scim_ok(&r);
    assert_eq!(u["userName"], "alice");
    assert_eq!(u["active"], true);
    assert_eq!(
        u["meta"]["location"],
        format!("{BASE}/Users/{}", alice.inum)
    );
    assert_eq!(header(&r, "etag").as_deref(), u["meta"]["version"].as_str());
    assert!(!r.body_bytes().windows(6).any(|w| w == b"argon2"));
    // A client's copy that is current: 304 with the ETag and no body (RFC 7644 §3.14).
    let etag = header(&r, "etag").unwrap();
    let conditional = |value: &str| {
        let mut req = Request::new(ScimEndpoint::User(alice.inum.clone()), Method::Get);
        req.if_none_match = Some(value.to_owned());
        h.call(with_token(req, &t))
    };
    for current in [etag.clone(), format!("\"x\", {etag}"), "*".to_owned()] {
        let r = conditional(&current);
        assert_eq!(r.status(), 304, "{current}");
        assert_eq!(header(&r, "etag").as_deref(), Some(etag.as_str()));
        assert!(r.body_bytes().is_empty());
    }
    // Weak comparison: the same opaque tag without W/ matches too.
    assert_eq!(conditional(etag.trim_start_matches("W/")).status(), 304);
    assert_eq!(conditional("W/\"stale\"").status(), 200);

    // Filter, sort, page, attributes.
    let all = scim_ok(&users_query(&h, &t, &[("sortBy", "userName")]));
    assert_eq!(all["totalResults"], 3);
    assert_eq!(ids(&all), ["alice", "Bob", "carol"]);
    let some = scim_ok(&users_query(
        &h,
        &t,
        &[
            ("filter", r#"userName sw "b" or userName eq "CAROL""#),
            ("sortBy", "userName"),
            ("sortOrder", "descending"),
            ("count", "1"),
            ("attributes", "userName"),
        ],
    ));
    assert_eq!(some["totalResults"], 2);
    assert_eq!(some["itemsPerPage"], 1);
    assert_eq!(ids(&some), ["carol"]);
    let first = &some["Resources"][0];
    assert!(
        first.get("active").is_none() && first.get("meta").is_none(),
        "{first}"
    );
    assert!(first.get("id").is_some(), "id is returned always");
    let page2 = scim_ok(&users_query(
        &h,
        &t,
        &[("sortBy", "userName"), ("startIndex", "2"), ("count", "5")],
    ));
    assert_eq!(ids(&page2), ["Bob", "carol"]);
    assert_eq!(page2["startIndex"], 2);

    // The same query as a SearchRequest.
    let mut req = Request::new(ScimEndpoint::UsersSearch, Method::Post);
    req.body = serde_json::to_vec(&serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName sw \"b\" or userName eq \"CAROL\"",
        "sortBy": "userName",
        "startIndex": 1,
        "count": 10,
        "attributes": ["userName"],
    }))
    .unwrap();
    let found = scim_ok(&h.call(with_token(req, &t)));
    assert_eq!(ids(&found), ["Bob", "carol"]);
}

#[test]
fn user_queries_refuse_what_they_cannot_answer() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let t = token(&h, READ);
    for (query, scim_type) in [
        (vec![("filter", "userName eq")], "invalidFilter"),
        (vec![("filter", "nope eq \"x\"")], "invalidFilter"),
        (vec![("sortBy", "nope")], "invalidValue"),
        (vec![("sortOrder", "sideways")], "invalidValue"),
        (vec![("count", "many")], "invalidValue"),
        (vec![("attributes", "a b")], "invalidValue"),
        (vec![("count", "1"), ("count", "2")], "invalidValue"),
    ] {
        let v = scim_refused(&users_query(&h, &t, &query), 400);
        assert_eq!(v["scimType"], scim_type, "{query:?}");
    }
    let mut req = Request::new(ScimEndpoint::UsersSearch, Method::Post);
    req.body = b"{\"filter\": 1}".to_vec();
    let v = scim_refused(&h.call(with_token(req, &t)), 400);
    assert_eq!(v["scimType"], "invalidSyntax");
    // Bodies over 1 MiB: 413.
    let mut req = Request::new(ScimEndpoint::UsersSearch, Method::Post);
    req.body = vec![b' '; 1024 * 1024 + 1];
    scim_refused(&h.call(with_token(req, &t)), 413);
    scim_refused(
        &h.call(with_token(
            Request::new(ScimEndpoint::User("no-such-inum".into()), Method::Get),
            &t,
        )),
        404,
    );
    // Writing needs users.write: 403 naming it.
    let r = h.call(with_token(
        Request::new(ScimEndpoint::User(alice.inum), Method::Delete),
        &t,
    ));
    scim_refused(&r, 403);
}

#[test]
fn users_need_a_live_token_with_the_scope() {
    let h = Harness::new();
    h.add_user("alice");
    // No token: 401 with a bare challenge (RFC 6750 §3.1).
    let r = h.call(Request::new(ScimEndpoint::Users, Method::Get));
    scim_refused(&r, 401);
    assert_eq!(
        header(&r, "www-authenticate").as_deref(),
        Some("Bearer realm=\"jans-scim\"")
    );
    // A token that is not ours: 401 invalid_token.
    let r = users_query(&h, "not-a-token", &[]);
    scim_refused(&r, 401);
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // A token without the scope: 403 insufficient_scope, naming it.
    let other = token(&h, "https://jans.io/scim/groups.read");
    let r = users_query(&h, &other, &[]);
    scim_refused(&r, 403);
    let challenge = header(&r, "www-authenticate").unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains(READ), "{challenge}");
    // A revoked token: 401.
    let c = h.register(serde_json::json!({"client_name": "p", "scope": READ}));
    let t = h.cc_token(&c);
    assert_eq!(scim_ok(&users_query(&h, &t, &[]))["totalResults"], 1);
    let revoked = h.post(
        jans_core::AuthEndpoint::Revocation,
        &[("token", t.as_str())],
        Some(basic(&c)),
    );
    assert_eq!(revoked.status(), 200);
    scim_refused(&users_query(&h, &t, &[]), 401);
}

#[test]
fn groups_are_read_and_users_show_theirs() {
    use jans_core::repo::group::{Group, Member, MemberKind};
    use jans_core::testing::block_on;
    let h = Harness::new();
    let alice = h.add_user("alice");
    let bob = h.add_user("bob");
    let member = |u: &jans_core::repo::user::User| Member {
        value: u.inum.clone(),
        kind: MemberKind::User,
    };
    for (inum, name, members) in [
        ("g-admins", "Admins", vec![member(&alice)]),
        ("g-staff", "Staff", vec![member(&alice), member(&bob)]),
    ] {
        block_on(h.stores.groups.insert(&Group {
            inum: inum.into(),
            display_name: name.into(),
            members,
            ..Default::default()
        }))
        .unwrap();
    }
    let t = token(&h, "https://jans.io/scim/groups.read");
    let mut req = Request::new(ScimEndpoint::Groups, Method::Get);
    req.query = jans_core::params::Params::from_pairs([(
        "filter".to_owned(),
        format!("members[value eq \"{}\"]", bob.inum),
    )]);
    let list = scim_ok(&h.call(with_token(req, &t)));
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["displayName"], "Staff");
    let one = h.call(with_token(
        Request::new(ScimEndpoint::Group("g-admins".into()), Method::Get),
        &t,
    ));
    let admins = scim_ok(&one);
    assert_eq!(admins["members"][0]["value"], alice.inum);
    assert_eq!(
        admins["members"][0]["$ref"],
        format!("{BASE}/Users/{}", alice.inum)
    );
    assert!(header(&one, "etag").is_some());
    // groups.read does not read users, and users.read does not read groups.
    scim_refused(
        &h.call(with_token(
            Request::new(ScimEndpoint::Users, Method::Get),
            &t,
        )),
        403,
    );
    let users = token(&h, READ);
    scim_refused(
        &h.call(with_token(
            Request::new(ScimEndpoint::Groups, Method::Get),
            &users,
        )),
        403,
    );
    // A user shows the groups it is a member of, as a list and alone; filters see them.
    let u = scim_ok(&h.call(with_token(
        Request::new(ScimEndpoint::User(alice.inum.clone()), Method::Get),
        &users,
    )));
    let names: Vec<&str> = u["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["display"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Admins", "Staff"]);
    let in_admins = scim_ok(&users_query(
        &h,
        &users,
        &[("filter", "groups.display eq \"admins\"")],
    ));
    assert_eq!(ids(&in_admins), ["alice"]);
    scim_refused(
        &h.call(with_token(
            Request::new(ScimEndpoint::Group("nope".into()), Method::Get),
            &t,
        )),
        404,
    );
}
