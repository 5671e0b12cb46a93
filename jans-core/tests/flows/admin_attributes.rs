//! The person attributes through the config API (`attributes`, issue 14): a new
//! installation's own, listed with Janssen's paging and `status`, created, replaced,
//! patched and deleted, every write checked (names unique in any case) and nothing stored
//! changing on a refusal.

use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Response};
use serde_json::{Value, json};

use super::admin_util::{get, refused, send, token};
use super::harness::*;

const PATCH: &str = "application/json-patch+json";

fn stored(h: &Harness) -> Vec<jans_core::repo::attribute::Attribute> {
    block_on(h.stores.attributes.list()).unwrap()
}

fn post(h: &Harness, t: &str, body: Value) -> Response {
    send(
        h,
        AdminEndpoint::Attributes,
        Method::Post,
        t,
        Some(("application/json", body)),
    )
}

#[test]
fn attributes_are_listed_created_changed_and_deleted() {
    let h = Harness::new();
    let r = token(&h, "https://jans.io/oauth/config/attributes.readonly");
    let w = token(&h, "https://jans.io/oauth/config/attributes.write");
    let d = token(&h, "https://jans.io/oauth/config/attributes.delete");
    let own = json(&get(&h, AdminEndpoint::Attributes, &r, &[("limit", "100")]));
    assert_eq!(own["totalEntriesCount"], 13, "{own}");
    let names: Vec<&str> = own["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"uid") && names.contains(&"emailVerified"),
        "{names:?}"
    );
    let inactive = json(&get(
        &h,
        AdminEndpoint::Attributes,
        &r,
        &[("status", "inactive")],
    ));
    assert_eq!(inactive["totalEntriesCount"], 0);
    refused(
        &get(&h, AdminEndpoint::Attributes, &r, &[("status", "")]),
        400,
    );

    let new = json!({"name": "employeeNumber", "displayName": "Employee number",
        "description": "The HR number", "dataType": "string", "editType": ["admin"],
        "viewType": ["admin", "user"], "status": "active", "custom": true});
    refused(&post(&h, &r, new.clone()), 403);
    let created = post(&h, &w, new.clone());
    assert_eq!(created.status(), 201, "{:?}", created.body);
    let inum = json(&created)["inum"].as_str().unwrap().to_owned();
    assert_eq!(
        json(&get(&h, AdminEndpoint::Attribute(inum.clone()), &r, &[]))["name"],
        "employeeNumber"
    );

    let before = stored(&h);
    for (body, status, named) in [
        (
            json!({"name": "EMPLOYEENUMBER", "displayName": "x", "description": "x",
            "dataType": "string", "editType": [], "viewType": []}),
            409,
            "EMPLOYEENUMBER",
        ),
        (
            json!({"name": "bad name", "displayName": "x", "description": "x",
            "dataType": "string", "editType": [], "viewType": []}),
            400,
            "name",
        ),
        (
            json!({"name": "ok", "displayName": "x", "description": "x", "dataType": "colour",
            "editType": [], "viewType": []}),
            400,
            "colour",
        ),
        (
            json!({"name": "ok", "displayName": "x", "description": "x", "dataType": "string",
            "editType": [], "viewType": [], "madeUp": 1}),
            400,
            "madeUp",
        ),
        (json!({"name": "ok"}), 400, "displayName"),
    ] {
        let resp = post(&h, &w, body.clone());
        assert_eq!(resp.status(), status, "{body}: {:?}", resp.body);
        assert!(
            json(&resp)["description"].as_str().unwrap().contains(named),
            "{body}"
        );
    }
    assert_eq!(stored(&h), before, "nothing stored changed");

    // PUT what a GET shows, changed; a JSON Patch; a patch taking another's name.
    let mut one = json(&get(&h, AdminEndpoint::Attribute(inum.clone()), &r, &[]));
    one["displayName"] = "Employee #".into();
    let put = send(
        &h,
        AdminEndpoint::Attributes,
        Method::Put,
        &w,
        Some(("application/json", one)),
    );
    assert_eq!(put.status(), 200, "{:?}", put.body);
    let p = send(
        &h,
        AdminEndpoint::Attribute(inum.clone()),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([{"op": "replace", "path": "/status", "value": "inactive"}]),
        )),
    );
    assert_eq!(p.status(), 200, "{:?}", p.body);
    let inactive = json(&get(
        &h,
        AdminEndpoint::Attributes,
        &r,
        &[("status", "inactive")],
    ));
    assert_eq!(inactive["entries"][0]["displayName"], "Employee #");
    let taken = send(
        &h,
        AdminEndpoint::Attribute(inum.clone()),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([{"op": "replace", "path": "/name", "value": "mail"}]),
        )),
    );
    refused(&taken, 409);

    refused(
        &send(
            &h,
            AdminEndpoint::Attribute(inum.clone()),
            Method::Delete,
            &w,
            None,
        ),
        403,
    );
    assert_eq!(
        send(
            &h,
            AdminEndpoint::Attribute(inum.clone()),
            Method::Delete,
            &d,
            None
        )
        .status(),
        204
    );
    refused(
        &get(&h, AdminEndpoint::Attribute(inum.clone()), &r, &[]),
        404,
    );
    refused(
        &send(&h, AdminEndpoint::Attribute(inum), Method::Delete, &d, None),
        404,
    );
    // The name is free again.
    assert_eq!(post(&h, &w, new).status(), 201);
}
