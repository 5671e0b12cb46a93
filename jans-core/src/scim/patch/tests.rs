use serde_json::{Value, json};

use super::*;
use crate::scim::schema::{ENTERPRISE_USER, USER};

fn schemas() -> ResourceSchemas {
    ResourceSchemas::users(&[]).unwrap()
}

fn user() -> Value {
    json!({
        "schemas": [USER],
        "id": "u1",
        "userName": "bjensen",
        "active": true,
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "emails": [
            {"value": "b@example.com", "type": "work", "primary": true},
            {"value": "b@home.org", "type": "home"}
        ],
        "meta": {"resourceType": "User"},
    })
}

fn ops(list: Value) -> Vec<Operation> {
    parse_request(&json!({"schemas": [PATCH_OP], "Operations": list})).unwrap()
}

fn patch(list: Value) -> Result<Value, ScimError> {
    apply(&user(), &ops(list), &schemas())
}

fn refused(list: Value) -> ScimType {
    patch(list).unwrap_err().scim_type.unwrap()
}

#[test]
fn add() {
    let got = patch(json!([{"op": "add", "path": "nickName", "value": "Babs"}])).unwrap();
    assert_eq!(got["nickName"], "Babs");
    // Appending to a multi-valued attribute; a value already there is not repeated.
    let got = patch(json!([{"op": "add", "path": "emails", "value": [
        {"value": "b@new.com", "type": "other"},
        {"value": "b@home.org", "type": "home"}
    ]}]))
    .unwrap();
    assert_eq!(got["emails"].as_array().unwrap().len(), 3);
    // Merging sub-attributes of a complex attribute.
    let got = patch(json!([{"op": "add", "path": "name", "value": {"middleName": "J"}}])).unwrap();
    assert_eq!(
        got["name"],
        json!({"familyName": "Jensen", "givenName": "Barbara", "middleName": "J"})
    );
    // Without a path: members merged, names case-insensitive and spelled as the schema does.
    let got = patch(json!([{"op": "Add", "value": {
        "DISPLAYNAME": "Barbara J",
        "name": {"honorificPrefix": "Ms."},
        ENTERPRISE_USER: {"employeeNumber": "7"}
    }}]))
    .unwrap();
    assert_eq!(got["displayName"], "Barbara J");
    assert!(got.get("DISPLAYNAME").is_none());
    assert_eq!(got["name"]["honorificPrefix"], "Ms.");
    assert_eq!(got[ENTERPRISE_USER]["employeeNumber"], "7");
    assert_eq!(got["schemas"], json!([USER, ENTERPRISE_USER]));
    // An extension's whole object through its URN; a `schemas` member in it is ignored
    // (scim2-models sends one).
    let got = patch(json!([{"op": "replace", "path": ENTERPRISE_USER,
        "value": {"schemas": [ENTERPRISE_USER], "costCenter": "4130"}}]))
    .unwrap();
    assert_eq!(got[ENTERPRISE_USER], json!({"costCenter": "4130"}));
    // An extension attribute through its URN.
    let got = patch(json!([{"op": "add",
        "path": format!("{ENTERPRISE_USER}:manager.value"), "value": "u9"}]))
    .unwrap();
    assert_eq!(got[ENTERPRISE_USER], json!({"manager": {"value": "u9"}}));
}

#[test]
fn value_filter_paths() {
    let got = patch(json!([{"op": "replace",
        "path": "emails[type eq \"work\"].value", "value": "new@example.com"}]))
    .unwrap();
    assert_eq!(got["emails"][0]["value"], "new@example.com");
    assert_eq!(got["emails"][1]["value"], "b@home.org");
    // Replace whole matching values.
    let got = patch(json!([{"op": "replace",
        "path": "emails[value ew \".org\"]", "value": {"value": "x@y.org", "type": "other"}}]))
    .unwrap();
    assert_eq!(
        got["emails"][1],
        json!({"value": "x@y.org", "type": "other"})
    );
    // No match: replace is noTarget; add through `eq`s creates the value (Entra ID).
    assert_eq!(
        refused(
            json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "o@x"}])
        ),
        ScimType::NoTarget
    );
    let got = patch(json!([{"op": "add",
        "path": "emails[type eq \"other\"].value", "value": "o@x"}]))
    .unwrap();
    assert_eq!(got["emails"][2], json!({"type": "other", "value": "o@x"}));
    assert_eq!(
        refused(json!([{"op": "add", "path": "emails[value co \"zz\"].type", "value": "home"}])),
        ScimType::NoTarget
    );
    // Remove through a filter: the values, or one sub-attribute of each.
    let got = patch(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}])).unwrap();
    assert_eq!(got["emails"].as_array().unwrap().len(), 1);
    let got = patch(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}])).unwrap();
    assert!(got["emails"][0].get("primary").is_none());
    assert_eq!(
        refused(json!([{"op": "remove", "path": "emails[type eq \"fax\"]"}])),
        ScimType::NoTarget
    );
    // The last value removed removes the attribute.
    let got = patch(json!([{"op": "remove", "path": "emails[value pr]"}])).unwrap();
    assert!(got.get("emails").is_none());
}

#[test]
fn primary_stays_unique() {
    let got = patch(json!([{"op": "replace",
        "path": "emails[type eq \"home\"].primary", "value": true}]))
    .unwrap();
    assert_eq!(got["emails"][1]["primary"], true);
    assert!(got["emails"][0].get("primary").is_none());
    let got = patch(json!([{"op": "add", "path": "emails",
        "value": {"value": "p@x.com", "primary": true}}]))
    .unwrap();
    let primaries = got["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .count();
    assert_eq!(primaries, 1);
    assert_eq!(got["emails"][2]["primary"], true);
    assert_eq!(
        refused(json!([{"op": "replace", "path": "emails", "value": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
        ]}])),
        ScimType::InvalidValue
    );
}

#[test]
fn replace_and_remove() {
    let got = patch(json!([
        {"op": "replace", "path": "active", "value": "False"},
        {"op": "replace", "path": "name.givenName", "value": "Babs"},
        {"op": "replace", "value": {"userName": "babs", "name": {"familyName": "J"}}},
        {"op": "remove", "path": "emails"}
    ]))
    .unwrap();
    assert_eq!(got["active"], false, "Entra ID's string booleans");
    assert_eq!(got["userName"], "babs");
    assert_eq!(got["name"], json!({"familyName": "J", "givenName": "Babs"}));
    assert!(got.get("emails").is_none());
    // Removing listed values of a multi-valued attribute (group members, Okta and Entra ID).
    let got = patch(json!([{"op": "remove", "path": "emails",
        "value": [{"value": "b@home.org"}]}]))
    .unwrap();
    assert_eq!(got["emails"].as_array().unwrap().len(), 1);
    // A whole extension removed, and `schemas` follows.
    let mut with_ext = user();
    with_ext[ENTERPRISE_USER] = json!({"employeeNumber": "7"});
    with_ext["schemas"] = json!([USER, ENTERPRISE_USER]);
    let got = apply(
        &with_ext,
        &ops(json!([{"op": "remove", "path": ENTERPRISE_USER}])),
        &schemas(),
    )
    .unwrap();
    assert!(got.get(ENTERPRISE_USER).is_none());
    assert_eq!(got["schemas"], json!([USER]));
}

#[test]
fn refusals() {
    for (list, want) in [
        (json!([{"op": "remove"}]), ScimType::NoTarget),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "meta.version", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "value": {"id": "x"}}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "nope", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "name.nope", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "userName[value eq \"x\"]", "value": "y"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[nope eq \"x\"]", "value": {}}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "add", "path": "userName", "value": ["a"]}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [{"nope": 1}]}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "add", "path": "name", "value": "x"}]),
            ScimType::InvalidValue,
        ),
        (json!([{"op": "add", "value": "x"}]), ScimType::InvalidValue),
        (
            json!([{"op": "add", "value": {"nope": 1}}]),
            ScimType::InvalidPath,
        ),
    ] {
        assert_eq!(refused(list.clone()), want, "{list}");
    }
    // All or nothing: a refusal after good operations changes nothing (the caller's value
    // is untouched; the result is the refusal).
    let before = user();
    let e = apply(
        &before,
        &ops(json!([
            {"op": "replace", "path": "userName", "value": "changed"},
            {"op": "replace", "path": "id", "value": "x"}
        ])),
        &schemas(),
    );
    assert!(e.is_err());
    assert_eq!(before, user());
}

#[test]
fn request_shape() {
    let bad = |body: Value| parse_request(&body).unwrap_err().scim_type.unwrap();
    assert_eq!(bad(json!([])), ScimType::InvalidSyntax);
    assert_eq!(bad(json!({"Operations": []})), ScimType::InvalidSyntax);
    assert_eq!(bad(json!({"schemas": [PATCH_OP]})), ScimType::InvalidSyntax);
    assert_eq!(
        bad(json!({"schemas": [PATCH_OP], "Operations": []})),
        ScimType::InvalidSyntax
    );
    assert_eq!(
        bad(json!({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "a"}]})),
        ScimType::InvalidSyntax
    );
    assert_eq!(
        bad(json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "a"}]})),
        ScimType::InvalidValue
    );
    assert_eq!(
        bad(json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": 1, "value": 1}]})),
        ScimType::InvalidPath
    );
    // `operations` in any case.
    let o = parse_request(&json!({"schemas": [PATCH_OP],
        "operations": [{"op": "REMOVE", "path": "title"}]}))
    .unwrap();
    assert_eq!(o[0].op, Op::Remove);
}
