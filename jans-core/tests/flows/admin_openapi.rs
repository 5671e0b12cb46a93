//! The config API's OpenAPI document (issue 14 item 4): served without a token, OpenAPI
//! 3.1, and complete: every path the API serves and every method it answers there is in
//! it with its scopes, and nothing else is. Schemathesis runs every operation of it
//! against `jans serve` (`jans-http/tests/config_api.rs`).

use jans_core::admin::paths::{EXACT, WITH_ID, WITH_THREE_IDS};
use jans_core::request::AdminEndpoint;
use jans_core::{Method, Request};
use serde_json::Value;

use super::harness::*;

const PREFIX: &str = "/jans-config-api/api/v1";

fn document(h: &Harness) -> Value {
    let r = h.call(Request::new(AdminEndpoint::OpenApi, Method::Get));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)
}

/// What the dispatcher answers `method` on `endpoint` with, without a token: 405 when it
/// does not serve it.
fn served(h: &Harness, endpoint: &AdminEndpoint, method: Method) -> bool {
    h.call(Request::new(endpoint.clone(), method)).status() != 405
}

#[test]
fn every_route_is_in_the_document_and_nothing_else() {
    let h = Harness::new();
    let doc = document(&h);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["servers"][0]["url"],
        format!("{ISSUER}/jans-config-api/api/v1")
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut routes: Vec<(String, AdminEndpoint)> = EXACT
        .iter()
        .map(|(p, e)| ((*p).to_owned(), e.clone()))
        .collect();
    for collection in WITH_ID {
        let endpoint = jans_core::admin::paths::from_path(&format!("{collection}/x")).unwrap();
        routes.push((jans_core::admin::operations::template(&endpoint), endpoint));
    }
    for collection in WITH_THREE_IDS {
        let endpoint = jans_core::admin::paths::from_path(&format!("{collection}/x/y/z")).unwrap();
        routes.push((jans_core::admin::operations::template(&endpoint), endpoint));
    }
    let methods = [
        (Method::Get, "get"),
        (Method::Post, "post"),
        (Method::Put, "put"),
        (Method::Patch, "patch"),
        (Method::Delete, "delete"),
    ];
    // Tokens of two unrelated resources' scopes: each operation lacks one of them.
    let others: Vec<(&str, String)> = [
        "https://jans.io/oauth/config/organization.readonly",
        "https://jans.io/oauth/config/scopes.readonly",
    ]
    .into_iter()
    .map(|scope| {
        let c = h.register(serde_json::json!({"client_name": "other", "scope": scope}));
        (scope, h.cc_token(&c))
    })
    .collect();
    let mut documented = 0;
    for (path, endpoint) in &routes {
        let relative = path.strip_prefix(PREFIX).unwrap();
        let item = paths
            .get(relative)
            .unwrap_or_else(|| panic!("{relative} is served but not in the document"));
        let mut any = false;
        for (method, name) in methods {
            let answered = served(&h, endpoint, method);
            let op = item.get(name);
            assert_eq!(
                answered,
                op.is_some(),
                "{name} {relative}: served {answered}, documented {}",
                op.is_some()
            );
            if let Some(op) = op {
                any = true;
                documented += 1;
                assert!(op["operationId"].is_string(), "{name} {relative}");
                assert!(
                    op["responses"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .any(|c| c.starts_with('2'))
                );
                // A protected operation names its scopes, each an alternative, and they
                // are what the dispatcher accepts: a token with the first one passes the
                // scope check (any answer but 401/403).
                if let Some(security) = op["security"].as_array() {
                    assert!(!security.is_empty());
                    let first = security[0]["oauth2"][0].as_str().unwrap();
                    let c = h.register(serde_json::json!({"client_name": "op", "scope": first}));
                    let token = h.cc_token(&c);
                    let mut req = Request::new(endpoint.clone(), method);
                    req.authorization = Some(format!("Bearer {token}"));
                    let status = h.call(req).status();
                    assert!(
                        status != 401 && status != 403,
                        "{name} {relative} refused {first}: {status}"
                    );
                    assert!(op["responses"]["403"].is_object(), "{name} {relative}");
                    // And a token with none of them is refused: 403.
                    let listed: Vec<&str> = security
                        .iter()
                        .flat_map(|s| s["oauth2"].as_array().unwrap())
                        .map(|s| s.as_str().unwrap())
                        .collect();
                    let (_, other) = others
                        .iter()
                        .find(|(scope, _)| !listed.contains(scope))
                        .unwrap();
                    let mut req = Request::new(endpoint.clone(), method);
                    req.authorization = Some(format!("Bearer {other}"));
                    assert_eq!(
                        h.call(req).status(),
                        403,
                        "{name} {relative} must refuse a token lacking its scopes"
                    );
                }
            }
        }
        assert!(any, "{relative} is routed but answers no method");
    }
    // Nothing documented that is not served.
    let total: usize = paths
        .values()
        .map(|item| {
            methods
                .iter()
                .filter(|(_, n)| item.get(*n).is_some())
                .count()
        })
        .sum();
    assert_eq!(total, documented);
    // Every schema referenced is defined.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| *c != '"').collect();
        assert!(
            schemas.contains_key(&name),
            "{name} is referenced, not defined"
        );
    }
    // The client schema is the client JSON the API writes: each member of a shown client
    // is a property.
    let c = h.register(
        serde_json::json!({"client_name": "shown", "redirect_uris": ["https://rp.example/cb"]}),
    );
    let admin = h.register(
        serde_json::json!({"client_name": "op", "scope": "https://jans.io/oauth/config/read-all"}),
    );
    let token = h.cc_token(&admin);
    let mut req = Request::new(
        AdminEndpoint::Client(c.client.client_id.clone()),
        Method::Get,
    );
    req.authorization = Some(format!("Bearer {token}"));
    let shown = json(&h.call(req));
    let properties = schemas["Client"]["properties"].as_object().unwrap();
    for member in shown.as_object().unwrap().keys() {
        assert!(
            properties.contains_key(member),
            "{member} is not in the Client schema"
        );
    }
}
