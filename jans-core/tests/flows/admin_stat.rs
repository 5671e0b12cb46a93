//! Usage statistics through the config API (`stat`, issue 14): the month's active users and
//! the tokens issued per grant type and token type, counted by the engine as it issues
//! them (token endpoint, implicit and hybrid flows), months asked one by one or as a range.

use jans_core::repo::stat::Month;
use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use serde_json::{Value, json};

use super::admin_tokens::tokens_of;
use super::admin_util::{get, refused, token};
use super::authorize::{
    CB, authorize, fragment, harness, location, login_and_consent, rp, std_params, with_type,
};
use super::harness::*;

const READ: &str = "https://jans.io/oauth/config/stats.readonly";

fn stat(h: &Harness, t: &str, query: &[(&str, &str)]) -> Value {
    let r = get(h, AdminEndpoint::Stat, t, query);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)
}

#[test]
fn tokens_and_active_users_are_counted_by_month() {
    let (h, rp) = super::scim_write::harness_with_password_grant();
    h.add_user("alice");
    h.add_user("bob");
    let this = Month::of(h.ctx().now);
    tokens_of(&h, &rp, "alice");
    tokens_of(&h, &rp, "alice");
    tokens_of(&h, &rp, "bob");
    // Its own reader's token is a client_credentials token: counted, with no person.
    let read = token(&h, READ);
    let expected = json!([{
        "month": this.number(),
        "monthly_active_users": 2,
        "token_count_per_granttype": {
            "password": {"access_token": 3, "id_token": 3, "refresh_token": 3},
            "client_credentials": {"access_token": 1},
        },
    }]);
    assert_eq!(stat(&h, &read, &[]), expected, "this month by default");
    let month = this.to_string();
    assert_eq!(stat(&h, &read, &[("month", &month)]), expected);
    assert_eq!(
        stat(&h, &read, &[("month", &month), ("format", "json")]),
        expected
    );

    // A refresh is counted under its grant type; alice is still one person.
    let (_, rt) = tokens_of(&h, &rp, "alice");
    let r = h.token(
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        Some(basic(&rp)),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let now = stat(&h, &read, &[]);
    assert_eq!(now[0]["monthly_active_users"], 2);
    assert_eq!(
        now[0]["token_count_per_granttype"]["password"]["access_token"],
        4
    );
    let refreshed = &now[0]["token_count_per_granttype"]["refresh_token"];
    assert_eq!(refreshed["access_token"], 1, "{now}");

    // A range: every month in it, the empty ones with nothing.
    let before = Month::parse("202001").unwrap();
    let (a, b) = (this.to_string(), this.next().to_string());
    let range = stat(&h, &read, &[("start_month", &a), ("end_month", &b)]);
    assert_eq!(range.as_array().unwrap().len(), 2);
    assert_eq!(range[0]["month"], this.number());
    assert_eq!(
        range[1],
        json!({"month": this.next().number(), "monthly_active_users": 0,
               "token_count_per_granttype": {}})
    );
    let listed = stat(&h, &read, &[("month", &format!("{b} {before},{a}"))]);
    let months: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["month"])
        .collect();
    assert_eq!(
        months,
        [before.number(), this.number(), this.next().number()],
        "in order"
    );

    // Bad parameters are 400s in the API's form; nothing is counted by them.
    for (q, why) in [
        (vec![("month", "2026-12")], "YYYYMM"),
        (vec![("month", "202613")], "YYYYMM"),
        (
            vec![("start_month", b.as_str()), ("end_month", a.as_str())],
            "after",
        ),
        (vec![("start_month", a.as_str())], "together"),
        (
            vec![("month", a.as_str()), ("start_month", a.as_str())],
            "not both",
        ),
        (
            vec![("start_month", "200001"), ("end_month", "203001")],
            "at most",
        ),
        (vec![("format", "openmetrics")], "json"),
        (vec![("format", "")], "json"),
        (vec![("month", "")], "YYYYMM"),
        (vec![("month", " , ")], "YYYYMM"),
    ] {
        let got = refused(&get(&h, AdminEndpoint::Stat, &read, &q), 400);
        assert!(got.contains(why), "{q:?}: {got}");
    }
    assert_eq!(
        stat(&h, &read, &[])[0]["token_count_per_granttype"],
        now[0]["token_count_per_granttype"]
    );

    // Another resource's scope does not read statistics.
    let other = token(&h, "https://jans.io/oauth/config/scopes.readonly");
    refused(&get(&h, AdminEndpoint::Stat, &other, &[]), 403);
}

#[test]
fn implicit_and_hybrid_tokens_are_counted() {
    let h = harness();
    let c = rp(
        &h,
        json!({
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["code", "code id_token", "id_token token"]
        }),
    );
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let to = location(&authorize(
        &h,
        &with_type(&c, "id_token token", &[]),
        Some(&cookie),
    ));
    assert!(
        to.starts_with(CB) && fragment(&to, "access_token").is_some(),
        "{to}"
    );
    let to = location(&authorize(
        &h,
        &with_type(&c, "code id_token", &[]),
        Some(&cookie),
    ));
    assert!(fragment(&to, "id_token").is_some(), "{to}");
    let now = h.ctx().now;
    // The engine's tick stores what it counted.
    block_on(h.engine.tick(&h.ctx())).unwrap();
    let f = block_on(h.stores.stats.month(Month::of(now), now)).unwrap();
    assert_eq!(f.active_users, 1);
    let implicit = &f.tokens["implicit"];
    assert_eq!((implicit["access_token"], implicit["id_token"]), (1, 1));
    assert_eq!(
        f.tokens["authorization_code"]["id_token"], 1,
        "a hybrid flow's ID token is its code's grant"
    );
}
