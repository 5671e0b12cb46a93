//! One table of SCIM filters run on every backend (issue 13 item 4): the same users and
//! groups, the same results, whether a filter is answered through the store's indexes of
//! their keys (`userName`, `emails.value`, `externalId`, `meta.lastModified`, a group's
//! `displayName` and `members.value`: `jans_core::scim::plan`) or by reading every one.

use jans_core::request::ScimEndpoint;
use jans_core::{Method, Request};
use serde_json::{Value, json};

use super::harness::*;
use super::scim::{scim_ok, token, with_token};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn people() -> Vec<Value> {
    vec![
        json!({"schemas": [USER, ENTERPRISE], "userName": "bjensen", "externalId": "E-1",
               "name": {"givenName": "Barbara", "familyName": "Jensen"}, "title": "Tour Guide",
               "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                          {"value": "babs@example.org", "type": "home"}],
               ENTERPRISE: {"employeeNumber": "701"}, "active": true}),
        json!({"schemas": [USER, ENTERPRISE], "userName": "jsmith", "externalId": "E-2",
               "name": {"givenName": "John", "familyName": "Smith"},
               "emails": [{"value": "jsmith@example.com", "type": "home"}],
               ENTERPRISE: {"employeeNumber": "150"}, "active": true}),
        json!({"schemas": [USER], "userName": "adoe", "title": "Engineer",
               "name": {"givenName": "Ann", "familyName": "Doe"},
               "emails": [{"value": "ann@corp.example.net", "type": "work"}], "active": false}),
        json!({"schemas": [USER], "userName": "bjones", "nickName": "BJ",
               "name": {"givenName": "Bob", "familyName": "Jones"}, "active": true}),
        json!({"schemas": [USER, ENTERPRISE], "userName": "Zed",
               "name": {"givenName": "Zed", "familyName": "Jansen"},
               "emails": [{"value": "zed@example.com", "type": "work"}],
               ENTERPRISE: {"employeeNumber": "90"}}),
    ]
}

/// What `GET endpoint?filter=...&sortBy=name` finds: each resource's `name`, checked against
/// `totalResults`.
fn filtered(h: &Harness, t: &str, endpoint: ScimEndpoint, filter: &str, name: &str) -> Vec<String> {
    let mut req = Request::new(endpoint, Method::Get);
    req.query = jans_core::params::Params::from_pairs([
        ("filter".to_owned(), filter.to_owned()),
        ("sortBy".to_owned(), name.to_owned()),
    ]);
    let list = scim_ok(&h.call(with_token(req, t)));
    let found: Vec<String> = list["Resources"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r[name].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(list["totalResults"], found.len(), "{filter}");
    found
}

/// The filters and the userNames they find, by userName.
fn table(t0: u64) -> Vec<(String, Vec<&'static str>)> {
    let after = jans_core::scim::datetime::format(t0 + 15);
    vec![
        (r#"userName eq "BJENSEN""#.into(), vec!["bjensen"]),
        (
            r#"userName eq "bjensen" or userName eq "JSMITH""#.into(),
            vec!["bjensen", "jsmith"],
        ),
        (r#"userName eq "nobody""#.into(), vec![]),
        (r#"id eq "no-such-id""#.into(), vec![]),
        (
            r#"emails[type eq "work" and value co "@example.com"]"#.into(),
            vec!["bjensen", "Zed"],
        ),
        (r#"emails co "example.org""#.into(), vec!["bjensen"]),
        ("title pr".into(), vec!["adoe", "bjensen"]),
        ("not (title pr)".into(), vec!["bjones", "jsmith", "Zed"]),
        ("active eq false".into(), vec!["adoe"]),
        (
            r#"name.familyName sw "J""#.into(),
            vec!["bjensen", "bjones", "Zed"],
        ),
        (r#"externalId eq "E-2""#.into(), vec!["jsmith"]),
        (r#"externalId eq "e-2""#.into(), vec![]),
        (
            format!(r#"{ENTERPRISE}:employeeNumber gt "100""#),
            vec!["bjensen", "jsmith", "Zed"],
        ),
        (
            format!(r#"meta.created gt "{after}""#),
            vec!["adoe", "bjones", "Zed"],
        ),
        (
            r#"userName eq "bjensen" and title eq "tour guide""#.into(),
            vec!["bjensen"],
        ),
        (
            r#"(userName sw "b" or userName sw "j") and not (active eq false)"#.into(),
            vec!["bjensen", "bjones", "jsmith"],
        ),
        (
            r#"userName ne "bjensen""#.into(),
            vec!["adoe", "bjones", "jsmith", "Zed"],
        ),
        (r#"nickName eq "bj""#.into(), vec!["bjones"]),
        // Through the indexes: each key, each test, folded or not, combined.
        (r#"emails.value sw "BJ""#.into(), vec!["bjensen"]),
        (r#"emails ew "EXAMPLE.NET""#.into(), vec!["adoe"]),
        (
            r#"emails co "@example.""#.into(),
            vec!["bjensen", "jsmith", "Zed"],
        ),
        (
            r#"emails[value eq "ZED@example.com"] or externalId eq "E-1""#.into(),
            vec!["bjensen", "Zed"],
        ),
        (
            r#"emails[type eq "home" and value sw "babs"]"#.into(),
            vec!["bjensen"],
        ),
        (
            r#"emails[type eq "work" and value sw "jsmith"]"#.into(),
            vec![],
        ),
        (
            "emails.value pr".into(),
            vec!["adoe", "bjensen", "jsmith", "Zed"],
        ),
        ("externalId pr".into(), vec!["bjensen", "jsmith"]),
        (r#"externalId sw "E-""#.into(), vec!["bjensen", "jsmith"]),
        (
            format!(r#"meta.lastModified ge "{after}""#),
            vec!["adoe", "bjones", "Zed"],
        ),
        (
            format!(r#"meta.lastModified lt "{after}""#),
            vec!["bjensen", "jsmith"],
        ),
        (
            format!(
                r#"meta.lastModified eq "{}""#,
                jans_core::scim::datetime::format(t0 + 20)
            ),
            vec!["adoe"],
        ),
        (r#"userName gt "J""#.into(), vec!["jsmith", "Zed"]),
        (r#"userName le "bjensen""#.into(), vec!["adoe", "bjensen"]),
        (
            r#"userName sw "b" and emails co "example.org""#.into(),
            vec!["bjensen"],
        ),
        (
            r#"(emails co "corp" or userName eq "zed") and active eq false"#.into(),
            vec!["adoe"],
        ),
    ]
}

/// Groups through their keys (`displayName`, `members.value`, `externalId`) and not, the
/// same on every backend.
#[test]
fn group_filters_on_every_backend() {
    for backend in super::backends::all() {
        let h = Harness::with(config(), backend.stores.clone(), [7; 32]);
        let t = token(
            &h,
            "https://jans.io/scim/users.write https://jans.io/scim/groups.read \
             https://jans.io/scim/groups.write",
        );
        let post = |endpoint: ScimEndpoint, body: Value| {
            let mut req = Request::new(endpoint, Method::Post);
            req.body = serde_json::to_vec(&body).unwrap();
            let r = h.call(with_token(req, &t));
            assert_eq!(r.status(), 201, "{}: {:?}", backend.name, r.body);
            json(&r)["id"].as_str().unwrap().to_owned()
        };
        let user = |name: &str| {
            post(
                ScimEndpoint::Users,
                json!({"schemas": [USER], "userName": name}),
            )
        };
        let (a, b) = (user("ann"), user("bob"));
        const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
        for (name, members, external) in [
            ("Admins", vec![a.clone(), b.clone()], Some("G-1")),
            ("Staff", vec![b.clone()], None),
            ("Visitors", vec![], Some("g-3")),
        ] {
            let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
            let mut g = json!({"schemas": [GROUP], "displayName": name, "members": members});
            if let Some(x) = external {
                g["externalId"] = x.into();
            }
            post(ScimEndpoint::Groups, g);
        }
        for (filter, expected) in [
            (r#"displayName eq "ADMINS""#.to_owned(), vec!["Admins"]),
            (
                r#"displayName sw "s" or displayName ew "ORS""#.into(),
                vec!["Staff", "Visitors"],
            ),
            (format!(r#"members[value eq "{a}"]"#), vec!["Admins"]),
            (
                format!(r#"members.value eq "{b}""#),
                vec!["Admins", "Staff"],
            ),
            (
                format!(r#"members eq "{b}" and not (displayName eq "staff")"#),
                vec!["Admins"],
            ),
            ("members pr".into(), vec!["Admins", "Staff"]),
            (r#"externalId eq "G-1""#.into(), vec!["Admins"]),
            (r#"externalId eq "g-1""#.into(), vec![]),
            (r#"displayName gt "b""#.into(), vec!["Staff", "Visitors"]),
        ] {
            let found = filtered(&h, &t, ScimEndpoint::Groups, &filter, "displayName");
            assert_eq!(found, expected, "{}: {filter}", backend.name);
        }
    }
}

#[test]
fn one_table_of_filters_on_every_backend() {
    for backend in super::backends::all() {
        let h = Harness::with(config(), backend.stores.clone(), [7; 32]);
        let t = token(
            &h,
            "https://jans.io/scim/users.read https://jans.io/scim/users.write",
        );
        let t0 = h.ctx().now;
        let mut ids = Vec::new();
        for p in people() {
            let mut req = Request::new(ScimEndpoint::Users, Method::Post);
            req.body = serde_json::to_vec(&p).unwrap();
            let r = h.call(with_token(req, &t));
            assert_eq!(r.status(), 201, "{}: {:?}", backend.name, r.body);
            ids.push(json(&r)["id"].as_str().unwrap().to_owned());
            h.clock.advance(10);
        }
        let mut rows = table(t0);
        rows.push((
            format!(r#"id eq "{}" or id eq "{}""#, ids[4], ids[0]),
            vec!["bjensen", "Zed"],
        ));
        for (filter, expected) in rows {
            let found = filtered(&h, &t, ScimEndpoint::Users, &filter, "userName");
            assert_eq!(found, expected, "{}: {filter}", backend.name);
        }
    }
}

/// A scan reads the users a page at a time: across pages, every match is found once.
#[test]
fn a_scan_across_pages_finds_every_match_once() {
    use jans_core::repo::user::{User, UserStatus};
    use jans_core::testing::block_on;
    let h = Harness::new();
    for i in 0..700 {
        block_on(h.stores.users.insert(&User {
            inum: format!("inum-{i:04}"),
            uid: format!("user{i:04}"),
            status: if i % 3 == 0 {
                UserStatus::Inactive
            } else {
                UserStatus::Active
            },
            ..User::default()
        }))
        .unwrap();
    }
    let t = token(&h, "https://jans.io/scim/users.read");
    let query = |q: &[(&str, &str)]| {
        let mut req = Request::new(ScimEndpoint::Users, Method::Get);
        req.query = jans_core::params::Params::from_pairs(
            q.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        );
        scim_ok(&h.call(with_token(req, &t)))
    };
    let inactive = query(&[("filter", "active eq false"), ("count", "200")]);
    assert_eq!(inactive["totalResults"], 234);
    let names: Vec<&str> = inactive["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 200);
    assert_eq!(names[0], "user0000");
    assert_eq!(names[199], "user0597");
    let rest = query(&[
        ("filter", "active eq false"),
        ("startIndex", "201"),
        ("count", "200"),
    ]);
    assert_eq!(rest["Resources"].as_array().unwrap().len(), 34);
    assert_eq!(rest["Resources"][33]["userName"], "user0699");
}

/// A filter whose keys hold more users than an indexed read takes
/// (`jans_core::scim::MAX_KEYED`) is answered by the scan, with the same result; one that
/// holds fewer, through the index.
#[test]
fn an_unselective_key_falls_back_to_the_scan() {
    use jans_core::repo::user::User;
    use jans_core::testing::block_on;
    let h = Harness::new();
    let n = jans_core::scim::MAX_KEYED + 100;
    for i in 0..n {
        block_on(h.stores.users.insert(&User {
            inum: format!("inum-{i:05}"),
            uid: format!("user{i:05}"),
            mail: Some(format!("u{i}@example.com")),
            ..User::default()
        }))
        .unwrap();
    }
    let t = token(&h, "https://jans.io/scim/users.read");
    let total = |filter: &str| {
        let mut req = Request::new(ScimEndpoint::Users, Method::Get);
        req.query = jans_core::params::Params::from_pairs([
            ("filter".to_owned(), filter.to_owned()),
            ("count".to_owned(), "1".to_owned()),
        ]);
        scim_ok(&h.call(with_token(req, &t)))["totalResults"].clone()
    };
    assert_eq!(total(r#"emails co "@example.com""#), n);
    assert_eq!(
        total(r#"userName sw "user" and emails ew "9@example.com""#),
        n / 10
    );
    assert_eq!(total(r#"userName sw "user0000""#), 10);
}
