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
fn scim_ok(r: &Response) -> Value {
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(r.content_type(), Some("application/scim+json"));
    json(r)
}

/// A SCIM error (RFC 7644 §3.12) with this status.
fn scim_refused(r: &Response, status: u16) -> Value {
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
    assert_eq!(types["totalResults"], 2);
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
