//! The admin routes the components contribute to the config API (issue 14), each served by
//! its own component without the config API's code: FIDO2's `fido2/fido2-config` (GET,
//! PUT) and SCIM's `scim/scim-config` (GET, PATCH), with Janssen's plugin scopes, changes
//! validated and stored for every node, audited, and refusals in Janssen's `ApiError` form.

use jans_core::request::{Fido2Endpoint, ScimEndpoint};
use jans_core::{Endpoint, Method, Request, Response};
use serde_json::{Value, json};

use super::admin_util::token;
use super::harness::*;

fn call(
    h: &Harness,
    endpoint: impl Into<Endpoint>,
    method: Method,
    token: Option<&str>,
    body: Option<(&str, Value)>,
) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = token.map(|t| format!("Bearer {t}"));
    if let Some((media, b)) = body {
        req.content_type = Some(media.to_owned());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

fn api_error(r: &Response, status: u16) -> String {
    assert_eq!(r.status(), status, "{:?}", r.body);
    let v = json(r);
    assert_eq!(v["code"], status.to_string(), "Janssen's ApiError: {v}");
    v["description"].as_str().unwrap().to_owned()
}

#[test]
fn fido2_contributes_its_configuration_route() {
    let h = Harness::new();
    let read = token(&h, "https://jans.io/oauth/config/fido2.readonly");
    let write = token(&h, "https://jans.io/oauth/config/fido2.write");
    let e = Fido2Endpoint::AdminConfig;
    api_error(&call(&h, e, Method::Get, None, None), 401);
    let shown = json(&call(&h, e, Method::Get, Some(&read), None));
    assert_eq!(
        shown["unfinishedRequestExpiration"],
        h.engine
            .config()
            .fido2_configuration
            .unfinished_request_expiration
    );
    let mut changed = shown.clone();
    changed["unfinishedRequestExpiration"] = 90.into();
    let media = Some(("application/json", changed.clone()));
    api_error(&call(&h, e, Method::Put, Some(&read), media.clone()), 403);
    let r = call(&h, e, Method::Put, Some(&write), media);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["unfinishedRequestExpiration"], 90);
    assert_eq!(
        h.engine
            .config()
            .fido2_configuration
            .unfinished_request_expiration,
        90
    );
    // Invalid: an unknown member, not an object; a method it does not answer.
    let mut bad = changed.clone();
    bad["madeUp"] = true.into();
    let d = api_error(
        &call(
            &h,
            e,
            Method::Put,
            Some(&write),
            Some(("application/json", bad)),
        ),
        400,
    );
    assert!(d.contains("madeUp"), "{d}");
    api_error(
        &call(
            &h,
            e,
            Method::Put,
            Some(&write),
            Some(("application/json", json!([]))),
        ),
        400,
    );
    let post = call(&h, e, Method::Post, Some(&write), None);
    api_error(&post, 405);
    assert_eq!(header(&post, "allow").as_deref(), Some("GET, PUT"));
    assert_eq!(
        h.engine
            .config()
            .fido2_configuration
            .unfinished_request_expiration,
        90
    );
}

#[test]
fn scim_contributes_its_configuration_route() {
    let h = Harness::new();
    let read = token(&h, "https://jans.io/scim/config.readonly");
    let write = token(&h, "https://jans.io/scim/config.write");
    let e = ScimEndpoint::AdminConfig;
    let shown = json(&call(&h, e.clone(), Method::Get, Some(&read), None));
    assert_eq!(shown["maxCount"], 200);
    let patch = |ops: Value| Some(("application/json-patch+json", ops));
    let r = call(
        &h,
        e.clone(),
        Method::Patch,
        Some(&write),
        patch(json!([{"op": "replace", "path": "/maxCount", "value": 50}])),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["maxCount"], 50);
    assert_eq!(h.engine.config().scim_configuration.max_count, 50);
    for (ops, named) in [
        (
            json!([{"op": "replace", "path": "/maxCount", "value": "many"}]),
            "maxCount",
        ),
        (
            json!([{"op": "add", "path": "/madeUp", "value": 1}]),
            "madeUp",
        ),
        (
            json!([{"op": "test", "path": "/maxCount", "value": 1}]),
            "test",
        ),
        (
            json!([{"op": "add", "path": "", "value": {}}]),
            "member at a time",
        ),
    ] {
        let d = api_error(
            &call(
                &h,
                e.clone(),
                Method::Patch,
                Some(&write),
                patch(ops.clone()),
            ),
            400,
        );
        assert!(d.contains(named), "{ops}: {d}");
    }
    api_error(
        &call(&h, e.clone(), Method::Patch, Some(&read), patch(json!([]))),
        403,
    );
    assert_eq!(h.engine.config().scim_configuration.max_count, 50);
    // The writes are in the config API's audit log.
    let audit = token(&h, "https://jans.io/oauth/config/logging.readonly");
    let log = json(&call(
        &h,
        jans_core::request::AdminEndpoint::Audit,
        Method::Get,
        Some(&audit),
        None,
    ));
    assert!(log.to_string().contains("scim/scim-config"), "{log}");
}
