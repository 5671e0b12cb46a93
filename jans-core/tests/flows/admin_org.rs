//! The config API's organization (`org`, issue 14): read with its scopes, changed with a
//! JSON Patch all or nothing, audited.

use jans_core::request::AdminEndpoint;
use jans_core::{Method, Request};
use serde_json::json;

use super::harness::*;

#[test]
fn the_organization_is_read_and_patched() {
    let h = Harness::new();
    let token = |scope: &str| {
        let c = h.register(json!({"client_name": "operator", "scope": scope}));
        h.cc_token(&c)
    };
    let (r, w) = (
        token("https://jans.io/oauth/config/organization.readonly"),
        token("https://jans.io/oauth/config/organization.write"),
    );
    let call = |t: &str, method: Method, media: Option<&str>, body: Option<serde_json::Value>| {
        let mut req = Request::new(AdminEndpoint::Org, method);
        req.authorization = Some(format!("Bearer {t}"));
        req.content_type = media.map(str::to_owned);
        req.body = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        h.call(req)
    };
    let org = json(&call(&r, Method::Get, None, None));
    assert_eq!(org, json!({"displayName": "Janssen"}));
    // A read scope does not write.
    let patch = json!([
        {"op": "replace", "path": "/displayName", "value": "Acme"},
        {"op": "add", "path": "/themeColor", "value": "#1a2b3c"},
        {"op": "add", "path": "/customMessages", "value": ["Welcome"]},
    ]);
    let media = Some("application/json-patch+json");
    assert_eq!(
        call(&r, Method::Patch, media, Some(patch.clone())).status(),
        403
    );
    let res = call(&w, Method::Patch, media, Some(patch));
    assert_eq!(res.status(), 200, "{:?}", res.body);
    let want =
        json!({"displayName": "Acme", "themeColor": "#1a2b3c", "customMessages": ["Welcome"]});
    assert_eq!(json(&res), want);
    assert_eq!(json(&call(&r, Method::Get, None, None)), want);
    // Refused, and nothing changes: an unknown member, an empty name, a control
    // character, a failed test, another media type.
    for (patch, status) in [
        (json!([{"op": "add", "path": "/nope", "value": 1}]), 400),
        (
            json!([{"op": "replace", "path": "/displayName", "value": " "}]),
            400,
        ),
        (
            json!([{"op": "add", "path": "/description", "value": "a\u{7}b"}]),
            400,
        ),
        (
            json!([{"op": "add", "path": "/description", "value": "x"}, {"op": "test", "path": "/displayName", "value": "Other"}]),
            400,
        ),
    ] {
        let res = call(&w, Method::Patch, media, Some(patch.clone()));
        assert_eq!(res.status(), status, "{patch}: {:?}", res.body);
        assert_eq!(json(&res)["code"], status.to_string());
    }
    assert_eq!(
        call(&w, Method::Patch, Some("text/plain"), Some(json!([]))).status(),
        415
    );
    assert_eq!(call(&w, Method::Put, None, None).status(), 405);
    assert_eq!(json(&call(&r, Method::Get, None, None)), want);
    // Audited.
    let a = token("https://jans.io/oauth/config/logging.readonly");
    let mut req = Request::new(AdminEndpoint::Audit, Method::Get);
    req.authorization = Some(format!("Bearer {a}"));
    let log = json(&h.call(req));
    assert_eq!(log["totalEntriesCount"], 1, "{log}");
    assert!(
        log["entries"][0]
            .as_str()
            .unwrap()
            .contains("\"resource\":\"org\"")
    );
}
