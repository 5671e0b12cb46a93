//! One table of SCIM filters run on every backend (issue 13 item 4): the same users, the
//! same results, whether a filter is answered through the users' keys (`userName eq`,
//! `id eq`, and their `or`s) or by reading every user.

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
    ]
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
            let mut req = Request::new(ScimEndpoint::Users, Method::Get);
            req.query = jans_core::params::Params::from_pairs([
                ("filter".to_owned(), filter.clone()),
                ("sortBy".to_owned(), "userName".to_owned()),
            ]);
            let list = scim_ok(&h.call(with_token(req, &t)));
            let found: Vec<&str> = list["Resources"]
                .as_array()
                .map(|a| a.iter().map(|r| r["userName"].as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(found, expected, "{}: {filter}", backend.name);
            assert_eq!(
                list["totalResults"],
                expected.len(),
                "{}: {filter}",
                backend.name
            );
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
